"""What agents expect (issue 15), in the console: the real backend on loopback, the real app.

Find in the queue, internal notes, the customer's history, assignment, …, each
driven by keys as a person would, and checked by what the screen shows.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Label, OptionList, Static, TextArea

from backend_client import ChatStarted, ConnectionState, ReasonCode
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs import DraftEditor
from console.dialogs.workday import AssignDialog, NoteDialog
from console.live.queue_state import QueueFilter
from console.screens import agent_tools
from console.screens.conversation import ConversationScreen
from console.screens.history import HistoryScreen
from console.screens.replay import ReplayScreen
from console.screens.saved_replies import SavedReplyFinder
from console.widgets.note_row import NoteRow
from console.widgets.queue_find import QueueColumns, QueueFind
from console.widgets.queue_list import QueueList
from console.widgets.sla_badge import SlaBadge
from console.widgets.transcript import MessageRow
from hitl.cli import main
from tests.console_helpers import console_for, open_chat
from tests.helpers import Backend, until

SIZE = (120, 30)


async def started(app: HitlApp, pilot: Pilot[Any]) -> None:
    """Live, signed in, snapshot loaded."""
    await until(pilot, lambda: app.connection is ConnectionState.LIVE and app.me is not None)
    await until(pilot, lambda: not app.loading)


def shown(app: HitlApp) -> str:
    """The queue's visible lines, as text."""
    widget = app.queue_screen.query_one(QueueList)
    return "\n".join(
        widget.render_line(y).text for y in range(widget.scrollable_content_region.height)
    )


async def chat_as(backend: Backend, name: str, email: str | None, *turns: str) -> ChatStarted:
    """A customer starts a chat and says `turns`, each drafted for."""
    async with backend.channel() as channel:
        chat = await channel.start_chat(name, email)
        for turn in turns:
            await channel.say(chat, turn)
            await backend.drafted(chat)
        return chat


async def test_slash_finds_in_the_live_queue(live_backend: Backend, tmp_path: Path) -> None:
    await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    await chat_as(live_backend, "Bo Park", "bo@else.test", "Do you sell kettles?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await until(pilot, lambda: "Ann Lee" in shown(app) and "Bo Park" in shown(app))
        columns = str(app.queue_screen.query_one(QueueColumns).visual)
        assert "Customer" in columns and "Last message" in columns
        await pilot.press("slash")
        assert app.queue_screen.query_one(QueueFind).has_focus
        await pilot.press(*"else.test")
        await until(pilot, lambda: "Ann Lee" not in shown(app))
        assert "Bo Park" in shown(app)
        await pilot.press("enter")  # back to the list, the find stands
        assert app.queue_screen.query_one(QueueList).has_focus
        # Live: a new customer who matches joins the list without a key.
        await chat_as(live_backend, "Cy Else", "cy@else.test", "hello")
        await until(pilot, lambda: "Cy Else" in shown(app))
        assert "Ann Lee" not in shown(app)
        # Nothing matching says so, not "No open conversations."
        await pilot.press("slash", *" zebra")
        await until(pilot, lambda: "Bo Park" not in shown(app))
        hint = str(app.queue_screen.query_one("#queue-empty", Label).visual)
        assert "matches" in hint and "zebra" in hint
        await pilot.press("escape")
        await until(pilot, lambda: "Ann Lee" in shown(app) and "Bo Park" in shown(app))


def notes_shown(screen: Any) -> list[str]:
    """The internal notes the transcript shows, as text."""
    return [str(row.visual) for row in screen.query(NoteRow)]


async def test_an_internal_note_is_seen_by_colleagues_live_and_in_replay(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    alice_app = console_for(live_backend, tmp_path, "alice")
    bob_app = console_for(live_backend, tmp_path, "bob")
    async with alice_app.run_test(size=SIZE) as alice, bob_app.run_test(size=SIZE) as bob:
        await started(alice_app, alice)
        await started(bob_app, bob)
        mine = await open_chat(alice_app, alice, chat.id)
        theirs = await open_chat(bob_app, bob, chat.id)
        await alice.press("i")
        dialog = await until(alice, lambda: isinstance(alice_app.screen, NoteDialog))
        assert dialog
        await alice.press("ctrl+s")  # empty: refused, with a reason
        assert "empty" in str(alice_app.screen.query_one("#dialog-error", Static).visual)
        alice_app.screen.query_one(TextArea).insert("Courier says it left today.")
        await alice.press("ctrl+s")
        await until(alice, lambda: any("Courier" in n for n in notes_shown(mine)))
        (shown,) = notes_shown(mine)
        assert "internal note" in shown and "alice" in shown and "does not see" in shown
        # Bob has the same chat open: the note appears there without a key.
        await until(bob, lambda: any("Courier" in n for n in notes_shown(theirs)))
        # Never among the messages.
        assert all("Courier" not in str(r.visual) for r in theirs.query(MessageRow))
    async with live_backend.channel() as channel:
        assert all("Courier" not in m.text for m in await channel.messages(chat))
    # The replay shows it as a step of its own.
    tina_app = console_for(live_backend, tmp_path, "tina")
    async with tina_app.run_test(size=SIZE) as pilot:
        await started(tina_app, pilot)
        await pilot.press("f7")
        replay = await until(
            pilot, lambda: tina_app.screen if isinstance(tina_app.screen, ReplayScreen) else None
        )
        await pilot.press(*chat.id, "enter")
        results = replay.query_one("#replay-results", DataTable)
        await until(pilot, lambda: results.row_count == 1)
        await pilot.press("enter")
        await until(pilot, lambda: replay.timeline is not None)
        await pilot.press("end")
        await until(pilot, lambda: any("Courier" in n for n in notes_shown(replay)))
        panel = str(replay.query_one("#replay-step-text", Static).visual)
        assert "internal note by alice" in panel and "not shown to the customer" in panel


async def test_p_shows_the_customers_earlier_conversations(
    live_backend: Backend, tmp_path: Path
) -> None:
    first = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "My kettle broke")
    second = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    app = console_for(live_backend, tmp_path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await open_chat(app, pilot, second.id)
        await pilot.press("p")
        history = await until(
            pilot, lambda: app.screen if isinstance(app.screen, HistoryScreen) else None
        )
        options = history.query_one(OptionList)
        assert options.option_count == 1
        assert "kettle" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        screen = await until(
            pilot,
            lambda: (
                app.screen
                if isinstance(app.screen, ConversationScreen)
                and app.screen.conversation_id == first.id
                else None
            ),
        )
        await until(pilot, lambda: screen.detail is not None)


async def test_assigning_to_a_colleague_tells_them_and_fills_their_mine_tab(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    sam_app = console_for(live_backend, tmp_path, "sam")
    alice_app = console_for(live_backend, tmp_path, "alice")
    async with sam_app.run_test(size=SIZE) as sam, alice_app.run_test(size=SIZE) as alice:
        await started(sam_app, sam)
        await started(alice_app, alice)
        assert alice_app.queue.len_of(QueueFilter.MINE, alice_app.me.id) == 0  # type: ignore[union-attr]
        screen = await open_chat(sam_app, sam, chat.id)
        await sam.press("m")
        dialog = await until(
            sam, lambda: sam_app.screen if isinstance(sam_app.screen, AssignDialog) else None
        )
        options = dialog.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0] == "Me (sam)" and not any("tina" in label for label in labels)
        options.highlighted = next(i for i, label in enumerate(labels) if label.startswith("alice"))
        await sam.press("enter")
        await until(sam, lambda: screen.detail is not None and screen.detail.assignee is not None)
        line = str(screen.query_one("#agent-line", Static).visual)
        assert "Assigned to alice" in line
        # Alice hears of it (an alert), and it is in her Mine tab.
        me = alice_app.me
        assert me is not None
        await until(alice, lambda: alice_app.queue.len_of(QueueFilter.MINE, me.id) == 1)
        await until(
            alice,
            lambda: any("assigned" in a.title.lower() for a in alice_app.alert_log.newest_first()),
        )
        await until(alice, lambda: "→ alice" in shown(alice_app))


class MovableClock:
    """The console's clock: the real time plus an offset a test moves on."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_an_escalation_past_its_promise_is_counted_marked_and_alerted(
    live_backend: Backend, tmp_path: Path
) -> None:
    asked = await chat_as(
        live_backend, "Ann Lee", "ann@shop.test", "I want to talk to a real person"
    )
    complained = await chat_as(
        live_backend, "Bo Park", "bo@shop.test", "I want to file a formal complaint"
    )
    clock = MovableClock()
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["alice"], config_path=tmp_path / "x.toml"
    )
    app = make_app(config, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        badge = app.queue_screen.query_one(SlaBadge)
        await until(pilot, lambda: badge.watch_.promises is not None)
        await until(pilot, lambda: "Ann Lee" in shown(app) and "Bo Park" in shown(app))
        assert not badge.display
        clock.offset = timedelta(minutes=16)  # past the team's 15 minutes, not the complaint's 60
        await until(pilot, lambda: badge.late == 1)
        assert badge.display and "1 over SLA" in str(badge.visual)
        line = next(line for line in shown(app).splitlines() if "Ann Lee" in line)
        assert "!" in line.split("Ann Lee")[0]  # her waiting clock is marked
        alerts = [a for a in app.alert_log.newest_first() if a.title == "Over SLA"]
        assert [a.conversation_id for a in alerts] == [asked.id]
        assert "15 min" in alerts[0].text
        # The conversation itself shows the clock and the promise it broke.
        screen = await open_chat(app, pilot, asked.id)
        line = screen.query_one("#agent-line", Static)
        await until(pilot, lambda: "over the 15 min promise" in str(line.visual))
        assert "waiting 16m" in str(line.visual)
        await pilot.press("escape")
        clock.offset = timedelta(minutes=61)  # the complaint's own promise has passed too
        await until(pilot, lambda: badge.late == 2)
        alerts = [a for a in app.alert_log.newest_first() if a.title == "Over SLA"]
        assert alerts[0].conversation_id == complained.id and "60 min" in alerts[0].text


async def test_f2_inserts_a_saved_reply_filled_in_where_you_write(
    live_backend: Backend, tmp_path: Path
) -> None:
    async with live_backend.client("sam") as sam:
        await sam.add_saved_reply("Greeting", "Hi {customer.first_name}, {agent.name} here.")
        await sam.add_saved_reply("Refund policy", "Refunds take 5 working days.")
    held = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    drafted = await chat_as(live_backend, "Bo Park", "bo@shop.test", "Where is my order?")
    async with live_backend.client("alice") as alice:
        detail = await alice.get_conversation(held.id)
        await alice.takeover(held.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
    app = console_for(live_backend, tmp_path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        screen = await open_chat(app, pilot, held.id)
        composer = screen.query_one("#composer")
        await until(pilot, lambda: composer.display)
        composer.focus()
        await pilot.press("f2")
        finder = await until(
            pilot, lambda: app.screen if isinstance(app.screen, SavedReplyFinder) else None
        )
        await until(pilot, lambda: finder.query_one(OptionList).option_count == 2)
        await pilot.press(*"grt")  # fuzzy: "Greeting"
        await until(pilot, lambda: finder.query_one(OptionList).option_count == 1)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        # The reply box is an Input or, once it has several lines, a TextArea.
        written = getattr(composer, "value", None) or getattr(composer, "text", "")
        assert written == "Hi Ann, alice here."
        # The text of an edit: f2 inside the draft editor.
        screen = await open_chat(app, pilot, drafted.id)
        await until(pilot, lambda: screen.detail is not None and screen.detail.draft is not None)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, DraftEditor))
        editor = app.screen.query_one(TextArea)
        editor.text = ""
        await pilot.press("f2")
        finder = await until(
            pilot, lambda: app.screen if isinstance(app.screen, SavedReplyFinder) else None
        )
        await until(pilot, lambda: finder.query_one(OptionList).option_count == 2)
        await pilot.press(*"refund", "enter")
        await until(pilot, lambda: isinstance(app.screen, DraftEditor))
        assert editor.text == "Refunds take 5 working days."


async def test_a_supervisor_keeps_the_library_from_the_command_line(
    live_backend: Backend, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setenv("HITL_URL", live_backend.url)
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["sam"])
    assert await asyncio.to_thread(main, ["replies", "add", "Hello", "Hi {customer.name}"]) == 0
    reply_id = capsys.readouterr().out.strip()
    assert await asyncio.to_thread(main, ["replies", "list"]) == 0
    assert f"{reply_id}\tHello\tHi {{customer.name}}" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["replies", "add", "Bad", "{customer.age}"]) == 1
    assert "unknown variable" in capsys.readouterr().err
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["alice"])
    assert await asyncio.to_thread(main, ["replies", "remove", reply_id]) == 1  # agents may not
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["sam"])
    assert await asyncio.to_thread(main, ["replies", "remove", reply_id]) == 0


async def test_who_else_has_the_conversation_open_is_shown_live(
    live_backend: Backend, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(agent_tools, "PRESENCE_EVERY", 0.2)  # heartbeats, sooner than 5 s
    chat = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    alice_app = console_for(live_backend, tmp_path, "alice")
    sam_app = console_for(live_backend, tmp_path, "sam")
    async with alice_app.run_test(size=SIZE) as alice, sam_app.run_test(size=SIZE) as sam:
        await started(alice_app, alice)
        await started(sam_app, sam)
        mine = await open_chat(alice_app, alice, chat.id)
        line = mine.query_one("#agent-line", Static)
        assert not line.display  # nobody else here
        await open_chat(sam_app, sam, chat.id)
        await until(alice, lambda: "sam is viewing" in str(line.visual) and line.display)
        await sam.press("escape")  # sam goes back to the queue
        await until(alice, lambda: not line.display)


async def test_keys_and_theme_come_from_the_config_file(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    toml = tmp_path / "config.toml"
    toml.write_text(
        'theme = "nord"\n'
        "[keymap]\n"
        '"queue.find" = "ctrl+f"\n'
        '"conv.approve" = "A"\n'
        '"conv.nope" = "z"\n'
    )
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["alice"], config_path=toml
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.theme == "nord"
        warned = [n.message for n in app._notifications]
        assert any("'conv.nope'" in message for message in warned)
        await pilot.press("ctrl+f")
        assert app.queue_screen.query_one(QueueFind).has_focus
        await pilot.press("escape")
        screen = await open_chat(app, pilot, chat.id)
        keys = {
            b.binding.description: b.binding.key
            for b in screen.active_bindings.values()
            if b.binding.show
        }
        assert keys["Approve"] == "A"
        await pilot.press("A")
        await until(pilot, lambda: screen.detail is not None and screen.detail.draft is None)


async def test_a_theme_that_does_not_exist_is_said_not_fatal(
    live_backend: Backend, tmp_path: Path
) -> None:
    toml = tmp_path / "config.toml"
    toml.write_text('theme = "no-such-theme"\n')
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["alice"], config_path=toml
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        assert app.theme == "textual-dark"
        assert any("no-such-theme" in n.message for n in app._notifications)
