"""The oversight features in the console: paused banner, fast-approval dialog, calibration
notice, reviewers' trends — the real app against the real backend on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Sparkline, Static

from backend.settings import Settings
from backend_client import Author, CalibrationItem, ChatStarted, ConnectionState
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs import ConfirmDialog
from console.screens.conversation import ConversationScreen
from console.screens.metrics import MetricsScreen
from console.widgets.paused_banner import PausedBanner
from console.widgets.reviewer_trends import ReviewerTrends
from tests.helpers import Backend, until

SIZE = (140, 40)
QUESTION = "How long does shipping take?"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # One word a second: every approval in a test comes faster than that.
    return Settings(db_path=tmp_path / "h.db", secret="s", reading_words_per_second=1)


def console(backend: Backend, who: str, tmp_path: Path) -> HitlApp:
    config = ConsoleConfig(
        url=backend.url, token=backend.tokens[who], config_path=tmp_path / "absent.toml"
    )
    return make_app(config)


async def open_chat(app: HitlApp, pilot: Pilot[Any], cid: str) -> ConversationScreen:
    await until(pilot, lambda: app.me is not None and app.connection is ConnectionState.LIVE)
    app.call_later(app.open_conversation, cid)
    screen: ConversationScreen = await until(
        pilot, lambda: app.screen if isinstance(app.screen, ConversationScreen) else None
    )
    await until(pilot, lambda: screen.detail is not None and screen.detail.draft is not None)
    return screen


def notifications(app: HitlApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_every_screen_shows_the_pause_and_its_reason(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat(QUESTION)
    app = console(live_backend, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection is ConnectionState.LIVE)
        banner = app.screen.query_one(PausedBanner)
        assert not banner.has_class("-paused")
        async with live_backend.client("sam") as sam:
            await sam.pause_ai("wrong prices in the knowledge base")
        await until(pilot, lambda: banner.has_class("-paused"))
        assert "wrong prices in the knowledge base" in str(banner.visual)
        assert "by sam" in str(banner.visual)
        screen = await open_chat(app, pilot, chat.id)
        other = screen.query_one(PausedBanner)
        await until(pilot, lambda: other.has_class("-paused"))
        assert "AI PAUSED" in str(other.visual)
        async with live_backend.client("sam") as sam:
            await sam.resume_ai()
        await until(pilot, lambda: not other.has_class("-paused"))


async def test_a_fast_approval_asks_whether_the_draft_was_read(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat: ChatStarted = await live_backend.chat(QUESTION)
    app = console(live_backend, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(app, pilot, chat.id)
        draft = screen.detail.draft if screen.detail else None
        assert draft is not None
        await pilot.press("a")
        dialog = await until(
            pilot, lambda: app.screen if isinstance(app.screen, ConfirmDialog) else None
        )
        words = len(draft.text.split())
        assert f"Did you read all {words} words" in dialog.question
        await pilot.press("y")
        await until(pilot, lambda: screen.detail is not None and screen.detail.draft is None)
    async with live_backend.channel() as channel:
        seen = await channel.messages(chat)
    assert [m.text for m in seen if m.author is Author.AI] == [draft.text]


async def test_the_reviewer_is_told_after_a_calibration_draft(
    live_backend: Backend, tmp_path: Path
) -> None:
    async with live_backend.client("sam") as sam:
        await sam.load_calibration(
            [
                CalibrationItem(
                    customer_message="Can I return worn shoes?",
                    bad_draft="Yes, any time.",
                    what_is_wrong="worn items cannot be returned",
                )
            ]
        )
    cid = live_backend.app.state.hitl.seed_calibration()
    app = console(live_backend, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(app, pilot, cid)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        told = await until(
            pilot, lambda: [n for n in notifications(app) if "Calibration check" in n]
        )
    assert "worn items cannot be returned" in told[0] and "a miss" in told[0]


async def test_the_metrics_screen_shows_each_reviewers_trend(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat(QUESTION)
    async with live_backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
        assert draft is not None
        await alice.approve_confirmed(draft.id, draft.version, len(draft.text.split()))
    app = console(live_backend, "sam", tmp_path)
    async with app.run_test(size=(160, 60)) as pilot:
        await until(pilot, lambda: app.me is not None and app.connection is ConnectionState.LIVE)
        await pilot.press("f8")
        screen = await until(
            pilot, lambda: app.screen if isinstance(app.screen, MetricsScreen) else None
        )
        trends = screen.query_one(ReviewerTrends)
        labels = await until(pilot, lambda: list(trends.query(".reviewer-label").results(Static)))
        text = str(labels[0].visual)
        assert text.startswith("alice") and "fast 100%" in text and "caught 0/0" in text
        assert len(trends.query(Sparkline)) == 2


async def test_a_complaint_is_announced_with_the_time_the_customer_was_promised(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = console(live_backend, "alice", tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection is ConnectionState.LIVE and app.ai_state)
        async with live_backend.channel() as channel:
            chat = await channel.start_chat("Cleo Complains", "cleo@example.com")
            await channel.complain(chat, "I want a person to look at this")
        # Escalations are alerts now (a place, not a pile of toasts): f9 lists them.
        told = await until(
            pilot,
            lambda: [a.text for a in app.alert_log.newest_first() if "Cleo" in a.text],
        )
    assert "complaint" in told[0].lower() and "within 60 min" in told[0]
