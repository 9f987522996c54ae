"""A working day in the console (issue 15): keys, words and the override log, end to end.

The real backend on loopback, the real app driven by a Pilot, as an agent,
a supervisor and a trainer would use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static, TextArea

from backend.settings import Settings
from backend_client import ConnectionState, Role
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs import (
    DraftEditor,
    EditConfirmDialog,
    ExportDialog,
    RejectDialog,
    TakeoverDialog,
)
from console.live.queue_state import QueueFilter
from console.render.labels import spoken
from console.screens.alerts import AlertsScreen
from console.screens.audit_log import AuditLogScreen
from console.screens.help import HelpScreen
from console.screens.refused import TokenRefusedScreen
from console.widgets.alert_line import AlertLine
from console.widgets.audit_status import AuditStatusRow
from console.widgets.queue_list import QueueList
from hitl.cli._common import open_store
from hitl.embedded import free_port
from tests.console_helpers import console_for, escalate, open_chat
from tests.helpers import Backend, LiveServer, until

SIZE = (120, 40)


async def signed_in(app: HitlApp, pilot: Pilot[Any]) -> None:
    """Wait until the app knows who is at the console."""
    await until(pilot, lambda: app.me is not None)
    await pilot.pause()


async def open_override_log(app: HitlApp, pilot: Pilot[Any]) -> AuditLogScreen:
    """Sign in, press f6 and wait for the override log."""
    await signed_in(app, pilot)
    await pilot.press("f6")
    screen: AuditLogScreen = await until(
        pilot, lambda: isinstance(app.screen, AuditLogScreen) and app.screen
    )
    return screen


def footer_keys(app: HitlApp) -> set[str]:
    """The descriptions the footer would show on the current screen."""
    screen = app.screen
    return {
        active.binding.description
        for active in screen.active_bindings.values()
        if active.binding.show and active.node.check_action(active.binding.action, ()) is not False
    }


def help_rows(app: HitlApp) -> list[str]:
    """What `?` lists (the key table's descriptions)."""
    assert isinstance(app.screen, HelpScreen)
    return [description for _, description, _ in app.screen._keys] + [
        name for name, _ in app.screen._palette
    ]


async def test_q_quits_from_a_conversation(live_backend: Backend, tmp_path: Path) -> None:
    # How fast it quits is bench material, not a timed assertion (it flaked under load).
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        await open_chat(app, pilot, chat.id)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_q_quits_from_the_override_log(live_backend: Backend, tmp_path: Path) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        await open_override_log(app, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_a_trainer_is_offered_only_what_a_trainer_may_do(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path, "tina")
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        offered = footer_keys(app)
        assert not offered & {"Next draft", "Override log", "Metrics"}
        assert {"Replay", "Quit"} <= offered
        await open_chat(app, pilot, chat.id)
        offered = footer_keys(app)
        assert not offered & {"Approve", "Edit", "Reject", "Take over", "Next draft"}
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        listed = help_rows(app)
        assert "Approve" not in listed and "Pause AI" not in listed
        assert str(app.screen.query_one("#help-title", Static).render()) == "Keys — Conversation"


async def test_help_names_the_screen_lists_palette_commands_and_where_we_are(
    live_backend: Backend, tmp_path: Path
) -> None:
    about = "Demo: database /tmp/demo.db"
    app = console_for(live_backend, tmp_path, "sam", about=about)
    async with app.run_test(size=SIZE) as pilot:
        await open_override_log(app, pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert str(app.screen.query_one("#help-title", Static).render()) == "Keys — Override log"
        assert "Pause AI" in help_rows(app)
        shown = str(app.screen.query_one("#help-about", Static).render())
        assert live_backend.url in shown and "/tmp/demo.db" in shown and "sam" in shown


async def test_the_palette_lists_quit_once(live_backend: Backend, tmp_path: Path) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"quit")
        await pilot.pause(0.3)
        options = app.screen.query_one(CommandList)
        names = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert sum("Quit" in name.split("\n")[0] for name in names) == 1, names


async def test_enter_without_a_reason_says_pick_a_reason(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        await open_chat(app, pilot, chat.id)
        await pilot.press("e")
        editor: DraftEditor = await until(
            pilot, lambda: isinstance(app.screen, DraftEditor) and app.screen
        )
        editor.query_one(TextArea).text = "Your order ships tomorrow."
        await pilot.press("ctrl+s")
        dialog = await until(
            pilot, lambda: isinstance(app.screen, EditConfirmDialog) and app.screen
        )
        await pilot.press("enter")  # on the reason list, nothing picked
        await pilot.pause()
        assert app.screen is dialog
        assert "Pick a reason" in str(dialog.query_one("#dialog-error", Static).render())


async def test_override_log_says_a_since_that_is_not_a_date(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_override_log(app, pilot)
        since = screen.query_one("#filter-since", Input)
        since.focus()
        await pilot.press("q")  # a letter in a field, not Quit
        assert app.is_running and since.value == "q"
        since.value = ""
        await pilot.press(*"yesterday", "enter")
        status = screen.query_one(AuditStatusRow)
        await until(pilot, lambda: "not a date" in str(status.query_one(Static).render()))


async def test_ctrl_r_shows_the_verification_running_then_when_it_finished(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_override_log(app, pilot)
        label = screen.query_one("#audit-chain", Static)
        await until(pilot, lambda: "checked" in str(label.render()))
        label.update("stale")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "checked" in str(label.render()))
        assert "Chain verified" in str(label.render())


async def test_the_export_dialog_types_the_path_into_the_path(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        await open_override_log(app, pilot)
        await pilot.press("x")
        dialog = await until(pilot, lambda: isinstance(app.screen, ExportDialog) and app.screen)
        await pilot.pause()
        path = dialog.query_one("#export-path", Input)
        path.value = ""
        await pilot.press(*"journal.jsonl")
        assert path.value == "journal.jsonl"
        assert dialog.query_one("#export-format", Select).value == "csv"


async def test_a_refused_token_is_a_whole_screen_with_retry_and_quit(
    live_backend: Backend, tmp_path: Path
) -> None:
    config = ConsoleConfig(
        url=live_backend.url, token="hitl_not-a-token", config_path=tmp_path / "none.toml"
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        screen = await until(
            pilot, lambda: isinstance(app.screen, TokenRefusedScreen) and app.screen
        )
        text = str(screen.query_one("#refused-text", Static).render())
        assert live_backend.url in text and "HITL_TOKEN" in text
        await pilot.press("r")  # the same token: refused again, the screen comes back
        await until(pilot, lambda: isinstance(app.screen, TokenRefusedScreen))
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1


async def test_backend_down_at_start_says_so_then_learns_who_we_are(tmp_path: Path) -> None:
    db = tmp_path / "late.db"
    settings, store = open_store(db, must_exist=False)
    _, token = store.add_operator("alice", Role.AGENT)
    store.close()
    port = free_port()
    config = ConsoleConfig(
        url=f"http://127.0.0.1:{port}", token=token, config_path=tmp_path / "none.toml"
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        hint = app.queue_screen.query_one("#queue-empty", Static)
        await until(pilot, lambda: "Cannot reach the backend" in str(hint.render()))
        assert "No open conversations" not in str(hint.render())
        server = LiveServer(Settings(db_path=db, secret="late"), port=port)
        server.start()
        try:
            await until(pilot, lambda: app.me is not None, timeout=15)
            assert app.me is not None and app.me.name == "alice"
            await until(pilot, lambda: "No open conversations" in str(hint.render()))
        finally:
            server.stop()


async def test_alerts_are_a_place_not_a_pile(live_backend: Backend, tmp_path: Path) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.me is not None and app.connection is not None)
        await until(pilot, lambda: app.connection is ConnectionState.LIVE)
        for number in range(3):
            await escalate(live_backend, f"Esme {number}")
        await until(pilot, lambda: len(app.alert_log.items) == 3)
        # No toasts: a count in the header and one line that covers nothing.
        assert not [n for n in app._notifications if n.title == "Escalated"]
        header = app.queue_screen.query_one("#header-alerts", Static)
        assert "3" in str(header.render())
        line = app.queue_screen.query_one(AlertLine)
        assert line.display and "Esme 2" in str(line.render())
        # f9 lists them, newest first; enter opens the conversation... when it names one.
        await pilot.press("f9")
        screen = await until(pilot, lambda: isinstance(app.screen, AlertsScreen) and app.screen)
        listed = screen.query_one(OptionList)
        assert listed.option_count == 3
        assert "Esme 2" in str(listed.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.pause()
        assert not header.display  # seen


async def test_no_alert_line_over_a_dialog_and_none_for_a_trainer(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path, "alice")
    trainer = console_for(live_backend, tmp_path, "tina")
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        screen = await open_chat(app, pilot, chat.id)
        await pilot.press("r")  # the reject dialog is up
        await until(pilot, lambda: isinstance(app.screen, RejectDialog))
        await escalate(live_backend, "Elsewhere Escalated")
        await until(pilot, lambda: len(app.alert_log.items) == 1)
        assert not screen.query_one(AlertLine).display
        assert not [n for n in app._notifications if n.title == "Escalated"]
    async with trainer.run_test(size=SIZE) as pilot:
        await signed_in(trainer, pilot)
        await until(pilot, lambda: trainer.connection is ConnectionState.LIVE)
        await escalate(live_backend, "Nobody For Tina")
        await until(pilot, lambda: trainer.queue.len_of(QueueFilter.ESCALATED) >= 1)
        await pilot.pause()
        assert not trainer.alert_log.items


async def test_an_escalated_row_says_why(live_backend: Backend, tmp_path: Path) -> None:
    app = console_for(live_backend, tmp_path, "sam")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connection is ConnectionState.LIVE)
        chat_id = await escalate(live_backend, "Rowena Reason")
        row = await until(
            pilot,
            lambda: (row := app.queue.get(chat_id)) is not None and row.escalation_reason and row,
        )
        queue_list = app.queue_screen.query_one(QueueList)

        def line_of(name: str) -> str:
            for y in range(queue_list.size.height):
                text = "".join(segment.text for segment in queue_list.render_line(y))
                if name in text:
                    return text
            return ""

        line = await until(pilot, lambda: line_of("Rowena Reason"))
        assert f"⚑ {spoken(row.escalation_reason)}" in line


async def test_an_empty_send_says_there_is_nothing_to_send(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("Where is my order?")
    app = console_for(live_backend, tmp_path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(app, pilot)
        screen = await open_chat(app, pilot, chat.id)
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, TakeoverDialog))
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.held_by_me)
        await pilot.press("enter")  # nothing written yet
        await until(
            pilot, lambda: any("Nothing to send" in str(n.message) for n in app._notifications)
        )
