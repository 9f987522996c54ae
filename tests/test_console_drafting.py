"""The console while the AI drafts with a real (stub) model: the queue's drafting glyph,
the draft's sources and the `ungrounded` flag, and why a chat escalated with `bot_error`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from backend.settings import BotSettings, Settings
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.screens.conversation import ConversationScreen
from console.widgets.queue_list import QueueList
from tests.helpers import Backend, LiveServer, seed_operators, until
from tests.stubs import ModelStub, Turn

SIZE = (140, 45)
CITED = "You have 30 days to return an item for a full refund [1]."
QUESTION = "How long do I have to return something?"


@pytest.fixture
def settings(tmp_path: Path, model_stub: ModelStub) -> Settings:
    """The backend drafting with the stub model."""
    bot = BotSettings(
        kind="openai", base_url=model_stub.base_url, model="stub", retries=0, timeout_seconds=5
    )
    return Settings(db_path=tmp_path / "hitl.db", secret="test-secret", bot=bot)


@pytest.fixture
def console(live_server: LiveServer, tmp_path: Path) -> Iterator[tuple[Backend, HitlApp]]:
    assert live_server.app is not None
    backend = seed_operators(Backend(live_server.app, live_server.url, None))
    config = ConsoleConfig(
        url=backend.url, token=backend.tokens["sam"], config_path=tmp_path / "none.toml"
    )
    yield backend, make_app(config)


def shown(app: HitlApp) -> str:
    widget = app.queue_screen.query_one(QueueList)
    return "\n".join(
        widget.render_line(y).text for y in range(widget.scrollable_content_region.height)
    )


async def open_screen(app: HitlApp, pilot: Pilot[Any], cid: str) -> ConversationScreen:
    await until(pilot, lambda: app.me is not None)
    app.call_later(app.open_conversation, cid)
    screen: ConversationScreen = await until(
        pilot, lambda: app.screen if isinstance(app.screen, ConversationScreen) else None
    )
    await until(pilot, lambda: screen.detail is not None)
    return screen


def text_of(screen: ConversationScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_the_queue_shows_the_ai_drafting_then_the_draft(
    console: tuple[Backend, HitlApp], model_stub: ModelStub
) -> None:
    backend, app = console
    model_stub.then(Turn(reply="Sure, returns are free.", latency=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.me is not None)
        async with backend.channel() as channel:
            chat = await channel.start_chat("Drafting Dana")
            await channel.say(chat, QUESTION)
        row = await until(
            pilot, lambda: [ln for ln in shown(app).splitlines() if "Dana" in ln and "✎" in ln]
        )
        assert row[0].lstrip().startswith("✎") and "AI drafting…" in row[0]
        await until(pilot, lambda: "AI drafting" not in shown(app) and "ungrounded" in shown(app))
        line = next(ln for ln in shown(app).splitlines() if "Dana" in ln)
        assert line.lstrip().startswith("●")

        screen = await open_screen(app, pilot, chat.id)
        assert "ungrounded" in text_of(screen, "#draft-flags")


async def test_the_draft_panel_shows_the_cited_passages(
    console: tuple[Backend, HitlApp], model_stub: ModelStub
) -> None:
    backend, app = console
    model_stub.default = Turn(reply=CITED)
    chat = await backend.chat(QUESTION)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat.id)
        assert screen.detail is not None and screen.detail.draft is not None
        [source] = screen.detail.draft.sources
        sources = text_of(screen, "#draft-sources")
        assert f"[1] {source.title}" in sources
        assert str(source.url) in sources and (source.passage or "")[:40] in sources


async def test_a_bot_error_escalation_says_why(
    console: tuple[Backend, HitlApp], model_stub: ModelStub
) -> None:
    backend, app = console
    model_stub.default = Turn(status=503)
    chat = await backend.chat(QUESTION)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(app, pilot, chat.id)
        header = text_of(screen, "#conversation-header")
        assert "escalated: bot error" in header
        assert "model endpoint answered 503" in header
