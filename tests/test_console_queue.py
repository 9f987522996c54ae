"""The queue screen end to end: the real backend on loopback, the app driven by the Pilot.

Nothing here fakes the backend: customers chat through the channel API, the
console hears about it over the live stream, and the tests look at what the
operator would see.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static, Tab, Tabs

from backend_client import (
    Author,
    ChatStarted,
    ConnectionState,
    ConversationStatus,
    Customer,
    Page,
)
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.live.feed import FIRST_PAGE
from console.live.queue_state import QueueFilter
from console.screens.conversation import ConversationScreen
from console.screens.help import HelpScreen
from console.screens.refused import TokenRefusedScreen
from console.widgets.header import ConsoleHeader
from tests.console_helpers import Recorded, queue_list, shown, underline_in_place
from tests.helpers import Backend, LiveServer, until

SIZE = (140, 40)
ESCALATE = "I want to talk to a real person"
QUESTION = "Where is my order?"


@pytest.fixture
def config(live_backend: Backend, tmp_path: Path) -> ConsoleConfig:
    """Sam the supervisor, against the loopback backend, with no config file."""
    return ConsoleConfig(
        url=live_backend.url,
        token=live_backend.tokens["sam"],
        config_path=tmp_path / "absent.toml",
    )


def header_text(app: HitlApp, part: str) -> str:
    """One part of the header (`counts`, `ai`, `connection`, `title`) as plain text."""
    return str(
        app.queue_screen.query_one(ConsoleHeader).query_one(f"#header-{part}", Static).visual
    )


async def started(pilot: Pilot[None]) -> HitlApp:
    """The app once it is live, knows who is signed in, and has its snapshot."""
    app = pilot.app
    assert isinstance(app, HitlApp)
    await until(pilot, lambda: app.connection is ConnectionState.LIVE and app.me is not None)
    await until(pilot, lambda: not app.loading)
    return app


async def test_queue_shows_existing_conversations(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    await live_backend.chat(QUESTION, name="Ann Early")
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: "Ann Early" in shown(app))
        assert queue_list(app).has_focus
        await until(pilot, lambda: "sam (supervisor)" in header_text(app, "title"))
        assert "live" in header_text(app, "connection")
        assert "AI running" in header_text(app, "ai")


async def test_escalation_appears_and_notifies_without_a_key(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    app = make_app(config)
    notes = Recorded(app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await live_backend.chat(ESCALATE, name="Rita Loud")
        await until(pilot, lambda: "Rita Loud" in shown(app))
        await until(pilot, lambda: notes.titled("Escalated"))
        [note] = notes.titled("Escalated")
        assert "Rita Loud" in note["message"] and "asked for human" in note["message"]
        assert note["markup"] is False
        await until(pilot, lambda: "1 escalated" in header_text(app, "counts"))


async def test_filter_tabs_change_what_is_listed(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    await live_backend.chat(QUESTION, name="Rev Iewer")
    await live_backend.chat(ESCALATE, name="Esc Alated")
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: "Rev Iewer" in shown(app) and "Esc Alated" in shown(app))
        await until(
            pilot,
            lambda: app.queue.len_of(QueueFilter.REVIEW) == 1,  # the bot's draft is in
        )
        tabs = app.queue_screen.query_one(Tabs)

        await pilot.press("3")
        await until(pilot, lambda: "Esc Alated" in shown(app) and "Rev Iewer" not in shown(app))
        assert tabs.active == "filter-escalated"

        await pilot.press("left")
        await until(pilot, lambda: "Rev Iewer" in shown(app) and "Esc Alated" not in shown(app))
        assert queue_list(app).filter is QueueFilter.REVIEW

        await pilot.press("tab", "tab")  # Escalated, then Mine: sam holds nothing
        await until(pilot, lambda: queue_list(app).filter is QueueFilter.MINE)
        assert "Rev Iewer" not in shown(app) and "Esc Alated" not in shown(app)
        assert "You hold no conversations" in str(
            app.queue_screen.query_one("#queue-empty", Label).visual
        )

        await pilot.press("tab")  # wraps to All
        await until(pilot, lambda: "Rev Iewer" in shown(app) and "Esc Alated" in shown(app))
        assert tabs.active_tab is not None and tabs.active_tab.label_text.startswith("All 2")

        await pilot.click("#filter-review")  # the mouse works too
        await until(pilot, lambda: queue_list(app).filter is QueueFilter.REVIEW)
        assert queue_list(app).has_focus


async def test_the_underline_follows_a_tab_its_count_widened(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    """News handled while the app batches its updates (a screen or widgets mounting)
    widens "All 0" to "All 10", and the tab bar measures before the new width is laid
    out: once it is, the underline follows (issue 13's CI run caught it stale)."""
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: underline_in_place(app))
        tabs = app.queue_screen.query_one(Tabs)
        with app.batch_update():
            for number in range(10):
                await live_backend.chat(ESCALATE, name=f"Wide Ner{number}")  # no drafts
            await until(
                pilot,
                lambda: tabs.query_one("#filter-escalated", Tab).label_text == "Escalated 10",
            )
            await pilot.pause(0.1)  # the tab bar measures meanwhile (its move waits 20 ms)
            assert tabs.query_one("#filter-all", Tab).label_text == "All 10"
        await until(pilot, lambda: underline_in_place(app))


async def test_header_counts_follow_the_queue(live_backend: Backend, config: ConsoleConfig) -> None:
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert header_text(app, "counts").startswith("0 review")
        await live_backend.chat(QUESTION)
        await until(pilot, lambda: "1 review" in header_text(app, "counts"))
        await live_backend.chat(ESCALATE)
        await until(pilot, lambda: "1 escalated" in header_text(app, "counts"))


async def test_enter_and_n_open_conversations(live_backend: Backend, config: ConsoleConfig) -> None:
    first = await live_backend.chat(QUESTION, name="First Waiting")
    await live_backend.chat("Do you ship to Norway?", name="Second Waiting")
    escalated = await live_backend.chat(ESCALATE, name="Top Escalated")
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: app.queue.len_of(QueueFilter.REVIEW) == 2)

        await pilot.press("3", "enter")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == escalated.id

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue_screen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        assert isinstance(app.screen, ConversationScreen)
        assert app.screen.conversation_id == first.id  # its draft has waited longest


async def test_n_with_nothing_waiting_says_so(live_backend: Backend, config: ConsoleConfig) -> None:
    app = make_app(config)
    notes = Recorded(app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert app.open_next_draft() is False
        await pilot.press("n")
        await pilot.pause()
        assert [n["message"] for n in notes.items].count("No drafts waiting.") == 2
        assert app.screen is app.queue_screen


async def test_open_next_draft_skips_the_excluded_one(
    live_backend: Backend, config: ConsoleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await live_backend.chat(QUESTION)
    second = await live_backend.chat("Do you ship to Norway?")
    app = make_app(config)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_conversation", opened.append)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: app.queue.len_of(QueueFilter.REVIEW) == 2)
        assert app.open_next_draft() is True
        assert app.open_next_draft(exclude=first.id) is True
        assert app.open_next_draft(exclude=second.id) is True
        assert opened == [first.id, second.id, first.id]


async def test_connection_drop_and_catch_up(
    live_server: LiveServer, live_backend: Backend, config: ConsoleConfig
) -> None:
    app = make_app(config)
    notes = Recorded(app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        live_server.stop()
        await until(pilot, lambda: app.connection is not ConnectionState.LIVE)
        assert "live" not in header_text(app, "connection")
        assert any("lost" in n["message"] for n in notes.items)

        live_server.start()
        chat = await live_backend.chat(ESCALATE, name="After Outage")
        await until(pilot, lambda: app.connection is ConnectionState.LIVE, timeout=15)
        await until(pilot, lambda: "After Outage" in shown(app))
        assert app.queue.get(chat.id) is not None
        assert "live" in header_text(app, "connection")
        assert any("back" in n["message"] for n in notes.items)


async def test_markup_in_a_customer_name_is_shown_literally(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    app = make_app(config)
    notes = Recorded(app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await live_backend.chat(ESCALATE, name="[bold red]X[/]")
        await until(pilot, lambda: "[bold red]X[/]" in shown(app))
        await until(pilot, lambda: notes.titled("Escalated"))
        assert "[bold red]X[/]" in notes.titled("Escalated")[0]["message"]


async def test_help_lists_the_keys_of_the_queue(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one("#help-keys", DataTable)
        rows = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
        assert "Open" in rows and "Next draft" in rows and "Escalated" in rows
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue_screen)


async def test_sla_warns_once_per_draft(live_backend: Backend, tmp_path: Path) -> None:
    config = ConsoleConfig(
        url=live_backend.url,
        token=live_backend.tokens["sam"],
        sla_seconds=0.5,
        config_path=tmp_path / "absent.toml",
    )
    await live_backend.chat(QUESTION, name="Slow Reply")
    ahead = [timedelta(0)]
    app = make_app(config, clock=lambda: datetime.now(UTC) + ahead[0])
    notes = Recorded(app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: notes.titled("Draft waiting"))
        # Later checks, however late the draft gets, warn no more (the clock runs ahead
        # rather than the test waiting for it).
        for seconds in (1, 2, 3):
            ahead[0] = timedelta(seconds=seconds)
            app.check_sla()
        [note] = notes.titled("Draft waiting")
        assert "Slow Reply" in note["message"]


async def test_pause_ai_from_the_palette_shows_paused(
    live_backend: Backend, config: ConsoleConfig
) -> None:
    app = make_app(config)

    def palette_offers(name: str) -> bool:
        options = app.screen.query_one(CommandList).options
        return bool(options) and name in str(options[0].prompt)

    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Pause AI")
        await until(pilot, lambda: app.screen.query(CommandList) and palette_offers("Pause AI"))
        await pilot.press("enter")
        await until(pilot, lambda: "PAUSED" in header_text(app, "ai"))
        assert app.ai_state is not None and app.ai_state.paused


async def test_an_agent_cannot_pause_and_sees_why(live_backend: Backend, tmp_path: Path) -> None:
    config = ConsoleConfig(
        url=live_backend.url,
        token=live_backend.tokens["alice"],
        config_path=tmp_path / "absent.toml",
    )
    app = make_app(config)
    notes = Recorded(app)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.action_pause_ai()
        await until(pilot, lambda: notes.titled("Not allowed"))
        assert "AI running" in header_text(app, "ai")


async def test_a_refused_token_is_explained(live_backend: Backend, tmp_path: Path) -> None:
    config = ConsoleConfig(
        url=live_backend.url, token="not-a-token", config_path=tmp_path / "absent.toml"
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        # Issue 15: a whole screen rather than a toast that goes away.
        # The screen is pushed before its widgets are mounted: wait for its title.
        title = await until(
            pilot,
            lambda: (
                isinstance(app.screen, TokenRefusedScreen)
                and app.screen.query_one_optional("#refused-title", Static)
            ),
        )
        assert "refused the token" in str(title.render())
        assert app.queue_screen.is_attached  # still running, saying why


async def test_a_big_queue_is_drawn_from_its_first_page_and_loses_no_event_meanwhile(
    live_backend: Backend, config: ConsoleConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = live_backend.store
    chats: dict[str, ChatStarted] = {}
    with store.transaction():  # as `start_chat` does, 1,200 times at once
        for number in range(1_200):
            token = secrets.token_urlsafe(8)
            cid = store.create_conversation(Customer(name=f"Bulk {number:04d}"), token)
            store.add_message(cid, Author.SYSTEM, "You are chatting with an AI assistant.")
            store.publish_conversation(cid, created=True)
            chats[cid] = ChatStarted(id=cid, customer_token=token)
    app = make_app(config)
    notes = Recorded(app)
    # Every page after the first waits until the test lets it go.
    later_pages = asyncio.Event()
    fetch_page = app.client.list_conversations

    async def gated(**params: Any) -> Page[Any]:
        if params.get("cursor") is not None:
            await later_pages.wait()
        return await fetch_page(**params)

    monkeypatch.setattr(app.client, "list_conversations", gated)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection is ConnectionState.LIVE and app.me is not None)
        await until(pilot, lambda: len(app.queue) == FIRST_PAGE and "Bulk" in shown(app))
        assert app.loading
        assert f"loading {FIRST_PAGE}…" in header_text(app, "loading")

        # A conversation of the first page escalates while the rest is still
        # to come: the pages after it must not undo what the event said.
        top = app.queue.row_at(0)
        async with live_backend.channel() as channel:
            await channel.say(chats[top.id], ESCALATE)
        await until(pilot, lambda: app.queue.len_of(QueueFilter.ESCALATED) == 1)

        later_pages.set()
        await until(pilot, lambda: not app.loading)
        assert len(app.queue) == 1_200
        escalated = app.queue.get(top.id)
        assert escalated is not None and escalated.status is ConversationStatus.ESCALATED
        assert app.queue.row_at(0, QueueFilter.ESCALATED).id == top.id
        assert len(notes.titled("Escalated")) == 1
        await until(pilot, lambda: not header_text(app, "loading"))
        await until(pilot, lambda: "1 escalated" in header_text(app, "counts"))
