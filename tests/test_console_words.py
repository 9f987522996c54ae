"""A working day in the console, continued (issue 15): the words on drafts, edited replies and
takeovers, and the reply box. The real backend, the real app driven by a Pilot.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from textual.widgets import OptionList, Static
from textual.widgets._footer import FooterKey

from backend.settings import Settings
from backend_client import (
    DRAFT_REASONS,
    TAKEOVER_REASONS,
    ChatStarted,
    ConnectionState,
    InvalidRequestError,
    Operator,
    ReasonCode,
    Role,
)
from console.app import HitlApp, make_app
from console.dialogs import TakeoverDialog
from console.live.directory import told_apart
from console.screens.alerts import AlertsScreen
from console.screens.conversation import ConversationScreen
from console.widgets.alert_line import AlertLine
from console.widgets.composer import Composer
from console.widgets.draft_panel import DraftPanel
from console.widgets.queue_list import QueueList
from hitl.demo import demo_backend
from tests.console_helpers import console_for, escalate, open_chat
from tests.helpers import Backend, until

SIZE = (100, 32)


def notes(app: HitlApp) -> list[str]:
    """Every notification shown so far."""
    return [str(n.message) for n in app._notifications]


async def regenerated_twice(backend: Backend, chat: ChatStarted) -> None:
    """Alice asks the AI for a new draft twice: the third draft of the chat waits."""
    async with backend.client("alice") as alice:
        for instruction in ("be shorter", "be warmer"):
            draft = (await alice.get_conversation(chat.id)).draft
            assert draft is not None
            await alice.regenerate(draft.id, draft.version, instruction, ReasonCode.TONE)
            await backend.drafted(chat)


@pytest.mark.both_stores
async def test_drafts_are_numbered_in_their_conversation(backend: Backend) -> None:
    chat = await backend.chat("Where is my order?")
    await regenerated_twice(backend, chat)
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        assert detail.draft is not None
        assert (detail.draft.ordinal, detail.draft.version) == (3, 1)
        timeline = await alice.timeline(chat.id)
    drafts = [item.draft for item in timeline.items if item.draft is not None]
    assert [draft.ordinal for draft in drafts] == [1, 2, 3]  # replay numbers them the same


async def test_the_draft_panel_says_which_draft_of_the_conversation(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    await regenerated_twice(live_backend, chat)
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(app, pilot, chat.id)
        title = screen.query_one(DraftPanel).border_title
        assert title == "AI draft 3 of this conversation · regenerated: be warmer"
        header = str(screen.query_one("#conversation-header", Static).render())
        assert " v" not in header  # no lock counter that reads like a draft number


async def test_an_edited_reply_is_a_persons_words_from_an_ai_draft(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    async with live_backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
        assert draft is not None
        await alice.edit(draft.id, draft.version, "It left today.", ReasonCode.INCOMPLETE)
    app = console_for(live_backend, tmp_path, "bob")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(app, pilot, chat.id)
        last = screen.query_one("#transcript").query("MessageRow").last()
        author_line = str(last.render()).splitlines()[0]
        assert author_line.startswith("alice (human) · edited from an  AI draft ")
    async with httpx.AsyncClient(base_url=live_backend.url) as web:
        page = (await web.get("/chat/chat.js")).text  # what the customer's browser runs
    assert 'ai_edited: "Written by a person, from our AI assistant\\u2019s draft"' in page


@pytest.mark.both_stores
async def test_takeover_has_its_own_reasons_and_the_backend_keeps_them_apart(
    backend: Backend,
) -> None:
    chat = await backend.chat("Where is my order?")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        draft = detail.draft
        assert draft is not None
        # A takeover-only reason says nothing about a draft's words: refused there.
        with pytest.raises(InvalidRequestError, match="reason to take over"):
            await alice.reject(draft.id, draft.version, ReasonCode.VIP)
        held = await alice.takeover(chat.id, detail.version, ReasonCode.AI_STUCK)
        assert held.holder == backend.operator_ids["alice"]
    async with backend.client("sam") as sam:
        entries = (await sam.list_audit(action="takeover")).items
    assert [e.reason_code for e in entries] == [ReasonCode.AI_STUCK]
    assert ReasonCode.VIP not in DRAFT_REASONS and ReasonCode.VIP in TAKEOVER_REASONS


async def test_the_takeover_dialog_offers_takeover_reasons(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_chat(app, pilot, chat.id)
        await pilot.press("t")
        dialog = await until(pilot, lambda: isinstance(app.screen, TakeoverDialog) and app.screen)
        reasons = dialog.query_one("#reasons", OptionList)
        labels = [str(reasons.get_option_at_index(i).prompt) for i in range(reasons.option_count)]
        assert [label.split(" — ")[0] for label in labels] == [
            "Customer asked",
            "Sensitive",
            "AI stuck",
            "VIP",
            "Other",
        ]
        await pilot.press("down", "down", "down", "down", "enter")  # VIP
        screen = await until(
            pilot, lambda: isinstance(app.screen, ConversationScreen) and app.screen
        )
        await until(pilot, lambda: screen.held_by_me)
    async with live_backend.client("sam") as sam:
        entries = (await sam.list_audit(action="takeover")).items
    assert [e.reason_code for e in entries] == [ReasonCode.VIP]


async def test_the_reply_box_has_lines_a_counter_and_says_what_it_refuses(
    live_backend: Backend, tmp_path: Path
) -> None:
    live_backend.app.state.hitl.settings.max_text_length = 40
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_chat(app, pilot, chat.id)
        assert app.ai_state is not None and app.ai_state.max_text_length == 40
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TakeoverDialog))
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.held_by_me)
        composer = screen.query_one(Composer)
        hint = composer.query_one("#composer-hint", Static)
        assert "enter sends · ctrl+j new line" in str(hint.render())
        await pilot.press("enter")
        await until(pilot, lambda: any("Nothing to send" in n for n in notes(app)))

        await pilot.press(*"Hello", "ctrl+j", *"It ships today")
        assert composer.value == "Hello\nIt ships today"
        assert "20/40" in str(hint.render()) and not hint.has_class("-warning")
        await pilot.press(*"; tracking soon!")  # 36 of 40: a warning before the limit
        assert "36/40 — 4 left" in str(hint.render()) and hint.has_class("-warning")
        await pilot.press(*" and more")  # 45: over, and said so without sending
        assert "5 over the limit" in str(hint.render()) and hint.has_class("-error")
        await pilot.press("enter")
        await until(pilot, lambda: any("Too long to send" in n for n in notes(app)))
        for _ in range(9):
            await pilot.press("backspace")
        await pilot.press("enter")
        await until(pilot, lambda: composer.value == "")
    async with live_backend.channel() as channel:
        said = [m.text for m in await channel.messages(chat)]
    assert said[-1] == "Hello\nIt ships today; tracking soon!"


def queue_lines(app: HitlApp) -> list[str]:
    """The queue's lines as drawn."""
    queue_list = app.queue_screen.query_one(QueueList)
    return [
        "".join(segment.text for segment in queue_list.render_line(y))
        for y in range(queue_list.size.height)
    ]


async def test_two_customers_of_one_name_are_told_apart_at_80_columns(
    live_backend: Backend, tmp_path: Path
) -> None:
    async with live_backend.channel() as channel:
        await channel.start_chat("Jo Doe", "jo@a.example")
        await channel.start_chat("Jo Doe", None)
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len([ln for ln in queue_lines(app) if "Jo Doe" in ln]) == 2)
        jo = sorted(line for line in queue_lines(app) if "Jo Doe" in line)
    assert "Jo Doe · #" in jo[0] and "Jo Doe · jo@a.example" in jo[1]
    assert len(jo[0]) <= 80


def test_operators_of_one_name_get_a_short_id() -> None:
    sams = [
        Operator(id="op_00001111", name="sam", role=Role.AGENT),
        Operator(id="op_00002222", name="Sam ", role=Role.SUPERVISOR),
        Operator(id="op_00003333", name="alice", role=Role.AGENT),
    ]
    assert told_apart(sams) == {
        "op_00001111": "sam #1111",
        "op_00002222": "Sam  #2222",
        "op_00003333": "alice",
    }


async def test_an_escalation_alert_opens_its_conversation(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection is ConnectionState.LIVE)
        first = await escalate(live_backend, "Esme First")
        second = await escalate(live_backend, "Esme Second")
        await until(pilot, lambda: len(app.alert_log.items) == 2)
        # From the list: f9, the newest is highlighted, enter opens it.
        await pilot.press("f9")
        await until(pilot, lambda: isinstance(app.screen, AlertsScreen))
        await pilot.press("enter")
        screen = await until(
            pilot, lambda: isinstance(app.screen, ConversationScreen) and app.screen
        )
        assert screen.conversation_id == second
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.queue_screen)
        # From the alert line: one click on it opens its conversation.
        third = await escalate(live_backend, "Esme Third")
        line = app.queue_screen.query_one(AlertLine)
        await until(pilot, lambda: line.display and line.conversation_id == third)
        await pilot.click(line)
        screen = await until(
            pilot, lambda: isinstance(app.screen, ConversationScreen) and app.screen
        )
        assert screen.conversation_id == third != first


async def test_the_demo_shows_its_chat_page_in_the_queue(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "demo.db", secret="demo")
    with demo_backend(settings, role="agent") as demo:
        app = make_app(demo.config.model_copy(update={"config_path": tmp_path / "none.toml"}))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.me is not None)
            line = app.queue_screen.query_one("#demo-line", Static)
            assert line.display
            assert f"chat as a customer in a browser: {demo.chat_url}" in str(line.render())


async def test_outside_the_demo_there_is_no_demo_line(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.me is not None)
        assert not app.queue_screen.query_one("#demo-line", Static).display


async def test_at_80_columns_the_footer_keeps_help_and_drops_what_cannot_apply(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_chat(app, pilot, chat.id)
        await pilot.pause()
        keys = [key for key in screen.query(FooterKey) if key.display]
        assert keys[0].key == "question_mark"
        described = {key.description for key in keys}
        assert "Approve" in described and "Hand back" not in described  # not held: dimmed
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_chat(app, pilot, chat.id)
        await pilot.pause()
        assert "Hand back" in {key.description for key in screen.query(FooterKey)}
