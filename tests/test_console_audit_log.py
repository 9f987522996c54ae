"""The override log end to end: real decisions on the loopback backend, the screen driven by keys.

Decisions are made through the API as alice (an agent) would make them from
her console; the supervisor's console then reads the journal they produced.
"""

from __future__ import annotations

import csv
import gc
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Static

from backend.store import Store
from backend_client import (
    Action,
    AuditEntry,
    BotIdentity,
    ConnectionLostError,
    ConnectionState,
    ReasonCode,
    Role,
)
from console import export_view
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs import ExportDialog
from console.live.audit_rows import audit_entry, audit_row
from console.screens.audit_log import AuditLogScreen
from console.widgets.audit_list import AuditList
from console.widgets.choice import Choice
from tests.helpers import Backend, LiveServer, until

SIZE = (160, 45)
QUESTION = "How long does shipping take?"
EDITED = "Shipping takes three to five working days, tracked."


def config_for(backend: Backend, who: str, tmp_path: Path) -> ConsoleConfig:
    """A console config for one of the seeded operators."""
    return ConsoleConfig(
        url=backend.url, token=backend.tokens[who], config_path=tmp_path / "absent.toml"
    )


async def decide(
    backend: Backend,
    how: Action,
    *,
    name: str = "Jo Customer",
    reason: ReasonCode | None = None,
    note: str | None = None,
) -> str:
    """Start a chat and have alice decide the bot's draft; returns the conversation id."""
    chat = await backend.chat(QUESTION, name=name)
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
        assert draft is not None
        if how is Action.APPROVE:
            await alice.approve(draft.id, draft.version)
        elif how is Action.EDIT:
            assert reason is not None
            await alice.edit(draft.id, draft.version, EDITED, reason, note)
        else:
            assert reason is not None
            await alice.reject(draft.id, draft.version, reason, note)
    return chat.id


async def three_decisions(backend: Backend) -> None:
    """An approval, then an edit (tone, noted), then a rejection (policy, noted).

    The journal then holds four entries: the first chat also journaled the
    disclosure version it showed (a system entry, seq 1)."""
    await decide(backend, Action.APPROVE, name="Ann Approve")
    await decide(
        backend, Action.EDIT, name="Ed Edit", reason=ReasonCode.TONE, note="warmer wording please"
    )
    await decide(
        backend,
        Action.REJECT,
        name="Rae Reject",
        reason=ReasonCode.POLICY,
        note="promised a refund we do not give",
    )


async def opened(pilot: Pilot[None]) -> AuditLogScreen:
    """The app signed in, with the override log opened by its key (f6)."""
    app = pilot.app
    assert isinstance(app, HitlApp)
    await until(pilot, lambda: app.me is not None and app.connection is ConnectionState.LIVE)
    await pilot.press("f6")
    await until(pilot, lambda: isinstance(app.screen, AuditLogScreen))
    assert isinstance(app.screen, AuditLogScreen)
    return app.screen


def table(screen: AuditLogScreen) -> AuditList:
    """The log's list of entries."""
    return screen.query_one("#audit-table", AuditList)


COLUMNS = ("seq", "at", "actor", "action", "reason", "note")


def column(screen: AuditLogScreen, key: str) -> list[str]:
    """One column of the loaded rows, top to bottom, as plain text."""
    widget = table(screen)
    at = COLUMNS.index(key)
    return [widget.cells_at(row)[at] for row in range(widget.row_count)]


def focused(screen: AuditLogScreen) -> Widget | None:
    """The focused widget now (a checked `screen.focused` stays narrowed for mypy across
    the key presses that move the focus)."""
    return screen.focused


def static_text(screen: AuditLogScreen, selector: str) -> str:
    """What a Static shows, as plain text."""
    return str(screen.query_one(selector, Static).visual)


async def test_supervisor_sees_newest_first_with_chain_and_diff(
    live_backend: Backend, tmp_path: Path
) -> None:
    await three_decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: table(screen).row_count == 4)
        assert column(screen, "action") == ["reject", "edit", "approve", "disclosure"]
        assert column(screen, "reason") == ["policy", "tone", "", ""]
        await until(
            pilot, lambda: "Chain verified: 4 entries, head" in static_text(screen, "#audit-chain")
        )
        assert screen.query_one("#audit-chain").has_class("-ok")

        # The cursor starts on the newest entry; one down is the edit.
        await pilot.press("down")
        detail = static_text(screen, "#audit-detail-text")
        assert "edit" in detail and "tone" in detail and "warmer wording please" in detail
        # The word diff carries the AI's words and the edited ones.
        assert "Deliveries" in detail and "tracked." in detail
        diff = screen.query_one("#audit-detail-text", Static).visual
        styles = {str(span.style) for span in getattr(diff, "spans", [])}
        assert any("strike" in style for style in styles)
        assert any("underline" in style for style in styles)
        assert "(agent)" in detail

        # A decision made elsewhere reaches the screen as an event; the chain is verified
        # again once the burst is over (a short burst window: the test need not wait 2 s).
        screen.verify_debounce = 0.05
        await decide(live_backend, Action.APPROVE, name="Late Comer")
        await until(
            pilot, lambda: "Chain verified: 5 entries" in static_text(screen, "#audit-chain")
        )


async def test_filters_narrow_and_free_text_finds_a_note(
    live_backend: Backend, tmp_path: Path
) -> None:
    await three_decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: table(screen).row_count == 4)
        action = screen.query_one("#filter-action", Choice)
        reason = screen.query_one("#filter-reason", Choice)

        # f goes to the filters (the operator first), tab to the next. The choice shows its keys.
        await pilot.press("f", "tab")
        assert focused(screen) is action
        assert "any action" in str(action.render())
        footer_keys = {binding.action for _, binding, *_ in screen.active_bindings.values()}
        assert {"step(1)", "step(-1)"} <= footer_keys

        # → steps to each action and the log follows at once: approve, then edit.
        await pilot.press("right")
        await until(pilot, lambda: column(screen, "action") == ["approve"])
        await pilot.press("right")
        await until(pilot, lambda: column(screen, "action") == ["edit"])
        assert "matching entries" in static_text(screen, "#audit-status")
        # A letter jumps to the next option starting with it; ← steps back.
        await pilot.press("r")
        await until(pilot, lambda: column(screen, "action") == ["reject"])
        await pilot.press("left", "left")
        await until(pilot, lambda: column(screen, "action") == ["approve"])
        # Back to "any action" with a letter (approve → assign → any action), then a click.
        await pilot.press("a", "a")
        await until(pilot, lambda: table(screen).row_count == 4)
        assert action.value is None
        await pilot.click("#filter-action", offset=(12, 1))
        await until(pilot, lambda: column(screen, "action") == ["approve"])
        await pilot.click("#filter-action", offset=(1, 1))
        await until(pilot, lambda: table(screen).row_count == 4)

        # The reason: tab to it, jump to policy by its letter.
        await pilot.press("tab")
        assert focused(screen) is reason
        await pilot.press("p")
        await until(pilot, lambda: column(screen, "action") == ["reject"])
        assert reason.value == "policy"
        await pilot.press("space")  # privacy: no entry has it
        await until(pilot, lambda: table(screen).row_count == 0)
        assert "No matching entries." in static_text(screen, "#audit-status")
        await pilot.press("left", "left")  # policy, tone
        await until(pilot, lambda: column(screen, "action") == ["edit"])
        reason.choose(None)
        await until(pilot, lambda: table(screen).row_count == 4)

        # Keyboard: / focuses the search, enter applies it, escape goes back to the table.
        await pilot.press("slash")
        assert focused(screen) is screen.query_one("#filter-q", Input)
        await pilot.press(*"refund", "enter")
        await until(pilot, lambda: column(screen, "action") == ["reject"])
        assert "matching entries" in static_text(screen, "#audit-status")
        await pilot.press("escape")
        assert focused(screen) is table(screen)


async def test_leaving_and_opening_again_keeps_the_filters_and_shows_what_is_new(
    live_backend: Backend, tmp_path: Path
) -> None:
    await three_decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: table(screen).row_count == 4)
        await until(pilot, lambda: "4 entries" in static_text(screen, "#audit-chain"))
        await pilot.press("f", "tab", "right", "right")  # action: edit
        await until(pilot, lambda: column(screen, "action") == ["edit"])
        await pilot.press("escape", "escape")  # to the table, then out
        await until(pilot, lambda: not isinstance(app.screen, AuditLogScreen))

        # Decided while the log was not shown: no event reached it.
        await decide(live_backend, Action.EDIT, name="Second Edit", reason=ReasonCode.INCORRECT)
        await pilot.press("f6")
        await until(pilot, lambda: app.screen is screen)
        # The same filter, now with the new edit on top; the chain verified again.
        assert screen.query_one("#filter-action", Choice).value == "edit"
        await until(pilot, lambda: column(screen, "action") == ["edit", "edit"])
        assert column(screen, "reason") == ["incorrect", "tone"]
        await until(pilot, lambda: "5 entries" in static_text(screen, "#audit-chain"))


async def test_operator_and_time_range_filters(live_backend: Backend, tmp_path: Path) -> None:
    await three_decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: table(screen).row_count == 4)

        # The operator by name: enter applies it.
        await pilot.press("f")
        assert focused(screen) is screen.query_one("#filter-actor", Input)
        await pilot.press(*"bob", "enter")
        await until(pilot, lambda: table(screen).row_count == 0)
        await pilot.press("ctrl+u", *"alice", "enter")
        await until(pilot, lambda: table(screen).row_count == 3)  # not the system's entry
        await pilot.press("ctrl+u", "enter", "escape")

        # A time range that ends before the first decision matches nothing; one after it, all.
        await pilot.press("f", "tab", "tab", "tab")
        assert focused(screen) is screen.query_one("#filter-since", Input)
        await pilot.press(*"2000-01-01", "tab", *"2000-01-02")
        await pilot.press("enter")
        await until(pilot, lambda: table(screen).row_count == 0)
        await pilot.press("ctrl+u", "enter")
        await until(pilot, lambda: table(screen).row_count == 4)


async def test_tampering_shows_the_chain_broken(live_backend: Backend, tmp_path: Path) -> None:
    await three_decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: "Chain verified: 4" in static_text(screen, "#audit-chain"))

        db_path = live_backend.app.state.settings.db_path
        with sqlite3.connect(db_path) as db:
            db.execute("UPDATE audit SET note = 'nothing to see' WHERE seq = 1")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "Chain BROKEN at entry 1" in static_text(screen, "#audit-chain"))
        assert screen.query_one("#audit-chain").has_class("-broken")


async def test_export_writes_every_filtered_entry_once(
    live_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await three_decisions(live_backend)
    for index in range(4):
        await decide(live_backend, Action.APPROVE, name=f"Extra {index}")
    # Pages of two, so the export has to follow the cursor across pages.
    monkeypatch.setattr(export_view, "EXPORT_PAGE_SIZE", 2)
    out = tmp_path / "log.csv"
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: table(screen).row_count == 8)
        await pilot.press("f", "tab", "right")  # the action filter: approve
        await until(pilot, lambda: table(screen).row_count == 5)

        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog))
        path_input = app.screen.query_one("#export-path", Input)
        assert path_input.value.endswith(".csv") and "hitl-audit-" in path_input.value
        path_input.value = str(out)
        await pilot.press("enter")
        await until(pilot, out.exists)

    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(export_view.EXPORT_FIELDS)
    seqs = [int(row["seq"]) for row in rows]
    assert len(seqs) == len(set(seqs)) == 5
    assert seqs == sorted(seqs, reverse=True)
    assert {row["action"] for row in rows} == {"approve"}
    assert all(row["ai_text"] == row["final_text"] and row["hash"] for row in rows)
    assert not (tmp_path / "log.csv.part").exists()


def seed_entries(backend: Backend, count: int) -> None:
    """Journal entries in bulk through the store (real decisions would take minutes)."""
    store: Store = backend.store
    secret = backend.app.state.hitl.secret
    sam = next(op for op in store.list_operators() if op.name == "sam")
    with store.transaction():
        for index in range(count):
            store.append_audit(
                secret,
                operator=sam,
                action=Action.PAUSE if index % 2 else Action.RESUME,
                reason_code=None,
                note=f"bulk {index}",
                conversation_id=None,
                draft_id=None,
                bot=None,
                ai_text=None,
                final_text=None,
            )


async def test_moving_to_the_end_loads_the_next_page(live_backend: Backend, tmp_path: Path) -> None:
    seed_entries(live_backend, 250)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        # A screenful first, then pages of 100.
        await until(pilot, lambda: table(screen).row_count == 50)
        assert column(screen, "seq")[0] == "250"
        await pilot.press("end")
        await until(pilot, lambda: table(screen).row_count == 150)
        await pilot.press("end")
        await until(pilot, lambda: table(screen).row_count == 250)
        seqs = [int(seq) for seq in column(screen, "seq")]
        assert seqs == list(range(250, 0, -1))
        assert "end of the log" in static_text(screen, "#audit-status")
        # The collector, held while each page was on its way, runs again once it is drawn.
        await until(pilot, gc.isenabled)


async def test_pages_far_from_the_cursor_are_dropped_and_fetched_again(
    live_backend: Backend, tmp_path: Path
) -> None:
    seed_entries(live_backend, 250)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        audit_list = table(screen)
        audit_list.pages.keep = 60  # rows kept on either side of the cursor
        await until(pilot, lambda: audit_list.row_count == 50)
        await pilot.press("end")
        await until(pilot, lambda: audit_list.row_count == 150)
        await pilot.press("end")
        await until(pilot, lambda: audit_list.row_count == 250)
        # The first page is far above the cursor: dropped, though the list keeps its length.
        assert audit_list.pages.row(0) is None
        await pilot.press("home")
        # Back at the top, it is fetched again with its own cursor and shown; the bottom goes.
        await until(pilot, lambda: audit_list.pages.row(0) is not None)
        assert audit_list.cells_at(0)[0] == "250"
        await until(pilot, lambda: screen.selected is not None and screen.selected.seq == 250)
        assert audit_list.pages.row(249) is None
        assert audit_list.row_count == 250
        await pilot.press("end")
        await until(pilot, lambda: audit_list.pages.row(249) is not None)
        assert audit_list.cells_at(249)[0] == "1"


async def test_an_agent_sees_the_refusal(live_backend: Backend, tmp_path: Path) -> None:
    app = make_app(config_for(live_backend, "alice", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        # Issue 15: f6 is not offered to an agent (footer, ?, palette) and does nothing...
        await until(pilot, lambda: app.me is not None and app.connection is ConnectionState.LIVE)
        await pilot.press("f6")
        await pilot.pause()
        assert not isinstance(app.screen, AuditLogScreen)
        # ...and should the screen open anyway, the backend's refusal is shown.
        screen = AuditLogScreen()
        await app.push_screen(screen)
        await until(pilot, lambda: screen.has_class("-refused"))
        refusal = static_text(screen, "#audit-refusal")
        assert refusal.startswith("The override log is for supervisors: the agent role may not")
        assert "override log" in refusal
        assert not screen.query_one("#audit-body").display or not table(screen).row_count


def notices(app: HitlApp) -> list[str]:
    """What the app has told the person so far, as "title: message"."""
    return [f"{notice.title}: {notice.message}" for notice in app._notifications]


async def test_an_unreachable_backend_says_so_instead_of_verifying_forever(
    live_server: LiveServer, live_backend: Backend, tmp_path: Path
) -> None:
    await three_decisions(live_backend)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: "Chain verified: 4" in static_text(screen, "#audit-chain"))

        live_server.stop()
        await pilot.press("ctrl+r")
        await until(
            pilot,
            lambda: any(
                notice.startswith("Chain not verified: Could not reach the backend")
                for notice in notices(app)
            ),
        )
        header = static_text(screen, "#audit-chain")
        assert header.startswith("Chain not verified: Could not reach the backend")
        assert screen.query_one("#audit-chain").has_class("-unverified")
        assert not screen.query_one("#audit-chain").has_class("-ok")
        # The reload failed too; the rows already shown stay, and the status says so.
        await until(pilot, lambda: "loading failed" in static_text(screen, "#audit-status"))
        assert table(screen).row_count == 4


async def test_a_failed_next_page_is_fetched_again_from_the_end(
    live_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_entries(live_backend, 250)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot)
        await until(pilot, lambda: table(screen).row_count == 50)

        client = app.client
        list_audit = client.list_audit
        failures = [ConnectionLostError("cannot reach the backend: connection refused")]

        async def flaky(*args: Any, **kwargs: Any) -> Any:
            if failures:
                raise failures.pop()
            return await list_audit(*args, **kwargs)

        monkeypatch.setattr(client, "list_audit", flaky)
        await pilot.press("end")
        await until(pilot, lambda: "the next page failed" in static_text(screen, "#audit-status"))
        assert table(screen).row_count == 50
        assert any(
            notice.startswith("Override log not loaded: Could not reach the backend")
            for notice in notices(app)
        )

        # Already on the last row: end again asks for the same page, and gets it.
        await pilot.press("end")
        await until(pilot, lambda: table(screen).row_count == 150)
        seqs = [int(seq) for seq in column(screen, "seq")]
        assert seqs == list(range(250, 100, -1))


def test_a_loaded_entry_costs_the_collector_nothing_and_comes_back_whole() -> None:
    """The override log keeps each loaded entry as an untracked tuple, and rebuilds it exactly."""
    entry = AuditEntry(
        seq=7,
        at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        actor="op_1",
        actor_name="alice",
        role=Role.AGENT,
        action=Action.EDIT,
        reason_code=ReasonCode.TONE,
        note="friendlier please",
        conversation_id="c_1",
        draft_id="d_1",
        bot=BotIdentity(name="builtin-faq", model="bm25-v1"),
        ai_text="Deliveries take 2–4 days.",
        final_text="Shipping takes three to five working days.",
        ai_text_hmac="a" * 64,
        final_text_hmac="b" * 64,
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    row = audit_row(entry)
    gc.collect()
    assert not gc.is_tracked(row)
    assert audit_entry(row) == entry
    assert audit_entry(audit_row(entry.model_copy(update={"bot": None}))).bot is None
