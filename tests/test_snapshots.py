"""What the console looks like, screen by screen, against SVG snapshots (pytest-textual-snapshot).

Each test seeds a real backend on loopback, runs the real app and compares a
screenshot with the one in `tests/__snapshots__/`. Everything on screen is
fixed: the backend's clock and the console's (`T0`, `NOW`), the ids (the
backend's random source counts instead), the time zone, no blinking cursor, no
toasts. After a deliberate change of the look: `pytest tests/test_snapshots.py
--snapshot-update`, then look at the new SVGs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from backend_client import ConnectionState, ReasonCode
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs.workday import NoteDialog
from console.screens.conversation import ConversationScreen
from console.screens.history import HistoryScreen
from console.screens.saved_replies import SavedReplyFinder
from tests.console_helpers import underline_in_place
from tests.helpers import Backend, LiveServer, seed_operators, until

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
"""The backend's time, for everything it records."""
NOW = T0 + timedelta(minutes=4, seconds=5)
"""The console's time: every draft has waited 4m05s."""
SIZE = (130, 36)

SnapCompare = Callable[..., bool]


def count_ids_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the ids the backend draws count up from 1."""
    counter = itertools.count(1)

    def counting_hex(nbytes: int | None = None) -> str:
        return f"{next(counter):0{2 * (nbytes or 32)}x}"

    monkeypatch.setattr(secrets, "token_hex", counting_hex)


@pytest.fixture
def fixed_world(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ids the backend draws count up from 1; the console shows times in UTC."""
    count_ids_from_one(monkeypatch)
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old_tz is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


@pytest.fixture
def fixed_backend(
    fixed_world: None, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> Backend:
    """The loopback backend with the standard operators, its clock stopped at `T0`."""
    assert live_server.app is not None
    # Again from 1 once the schema is migrated (its savepoints draw ids too), so that a new
    # migration does not shift every id the snapshots show.
    count_ids_from_one(monkeypatch)
    backend = seed_operators(Backend(app=live_server.app, url=live_server.url, transport=None))
    backend.store.clock = lambda: T0
    return backend


def console(backend: Backend, who: str, tmp_path: Path) -> HitlApp:
    """The real console as `who`, its clock at `NOW`, no SLA warnings to pop up."""
    config = ConsoleConfig(
        url=backend.url,
        token=backend.tokens[who],
        sla_seconds=86_400,
        config_path=tmp_path / "absent.toml",
    )
    return make_app(config, clock=lambda: NOW)


def seed(backend: Backend) -> dict[str, str]:
    """A queue with one of each: a draft to review, an escalation, a held chat; decisions."""

    async def run() -> dict[str, str]:
        review = await backend.chat("Where is my order? It was due on Friday.", name="Ann Review")
        await backend.chat("I want to talk to a real person", name="Eve Escalated")
        held = await backend.chat("How long does shipping take?", name="Hal Held")
        approved = await backend.chat("Do you ship to Norway?", name="Nora North")
        edited = await backend.chat("How long does shipping take?", name="Ed Edited")
        async with backend.client("alice") as alice:
            detail = await alice.get_conversation(held.id)
            await alice.takeover(detail.id, detail.version, ReasonCode.CUSTOMER_REQUEST, None)
            draft = (await alice.get_conversation(approved.id)).draft
            assert draft is not None
            await alice.approve(draft.id, draft.version)
            draft = (await alice.get_conversation(edited.id)).draft
            assert draft is not None
            await alice.edit(
                draft.id,
                draft.version,
                "Shipping takes three to five working days, tracked all the way.",
                ReasonCode.TONE,
                "friendlier please",
            )
        return {"review": review.id, "held": held.id, "edited": edited.id}

    ids = asyncio.run(run())
    # After the chats, so the ids the other screens show stay as they were.
    sam = backend.operator_ids["sam"]
    for title, text in (
        ("Parcel on its way", "Hi {customer.first_name}, your parcel is on its way; {agent.name}"),
        ("Refund started", "Hi {customer.first_name}, your refund is started: 3 working days."),
    ):
        backend.store.put_saved_reply(None, title, text, sam)
    return ids


def settled(then: Callable[[HitlApp, Pilot[Any]], Awaitable[None]] | None = None) -> Any:
    """A `run_before`: wait until the queue is live and loaded, do `then`, drop toasts."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, HitlApp)
        await until(
            pilot,
            lambda: (
                app.connection is ConnectionState.LIVE
                and app.me is not None
                and not app.loading
                and len(app.queue) > 0
            ),
        )
        if then is not None:
            await then(app, pilot)
        await pilot.pause()
        # The tabs' underline slides under the active tab, and again when a count widens
        # its label: a picture taken under load could catch it on the way.
        await until(pilot, lambda: underline_in_place(app))
        for field in app.screen.query(Input):
            field.cursor_blink = False
        for area in app.screen.query(TextArea):
            area.cursor_blink = False
        app.clear_notifications()
        await pilot.pause()

    return run_before


async def open_conversation(app: HitlApp, pilot: Pilot[Any], conversation_id: str) -> Any:
    """Open a conversation and wait for it to be shown."""
    app.open_conversation(conversation_id)
    screen = await until(
        pilot, lambda: app.screen if isinstance(app.screen, ConversationScreen) else None
    )
    await until(pilot, lambda: screen.detail is not None)
    return screen


def test_queue(fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare) -> None:
    """The queue: waiting times, status glyphs, flags, holder, counts in the header and tabs."""
    seed(fixed_backend)
    app = console(fixed_backend, "alice", tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=settled())


def test_conversation_with_draft(
    fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare
) -> None:
    """A conversation with the AI's pending draft: confidence, rationale, sources, keys."""
    ids = seed(fixed_backend)
    app = console(fixed_backend, "alice", tmp_path)

    async def show(app: HitlApp, pilot: Pilot[Any]) -> None:
        await open_conversation(app, pilot, ids["review"])

    assert snap_compare(app, terminal_size=SIZE, run_before=settled(show))


def test_edit_diff(fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare) -> None:
    """Confirming an edit: the word diff of the AI's draft against the edited text."""
    ids = seed(fixed_backend)
    app = console(fixed_backend, "alice", tmp_path)

    async def edit(app: HitlApp, pilot: Pilot[Any]) -> None:
        await open_conversation(app, pilot, ids["review"])
        await pilot.press("e")
        area: TextArea = await until(pilot, lambda: app.screen.query_one_optional(TextArea))
        area.text = "Your order left our warehouse on Friday; the tracking link is in your email."
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen.query_one_optional("#diff"))

    assert snap_compare(app, terminal_size=SIZE, run_before=settled(edit))


def test_takeover(fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare) -> None:
    """A conversation this operator holds: the banner, the composer, the AI silent."""
    ids = seed(fixed_backend)
    app = console(fixed_backend, "alice", tmp_path)

    async def held(app: HitlApp, pilot: Pilot[Any]) -> None:
        screen = await open_conversation(app, pilot, ids["held"])
        await until(pilot, lambda: screen.held_by_me)

    assert snap_compare(app, terminal_size=SIZE, run_before=settled(held))


def test_override_log(fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare) -> None:
    """The override log as a supervisor sees it: entries, the chain verified, the diff."""
    seed(fixed_backend)
    app = console(fixed_backend, "sam", tmp_path)

    async def log(app: HitlApp, pilot: Pilot[Any]) -> None:
        await pilot.press("f6")

        def shows(selector: str, words: str) -> bool:
            return words in str(app.screen.query_one(selector, Static).visual)

        await until(pilot, lambda: shows("#audit-chain", "Chain verified"))
        # The newest entry, the edit, is selected: its detail shows the note and the diff.
        await until(pilot, lambda: shows("#audit-detail-text", "friendlier"))

    assert snap_compare(app, terminal_size=SIZE, run_before=settled(log))


def test_replay(fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare) -> None:
    """Replay as a trainer: the edited draft's step, masked, with the diff of what went out."""
    edited = seed(fixed_backend)["edited"]
    app = console(fixed_backend, "tina", tmp_path)

    async def replay(app: HitlApp, pilot: Pilot[Any]) -> None:
        await pilot.press("f7")
        # By id: a trainer's search matches only what a trainer sees, and names are masked.
        await pilot.press(*edited, "enter")
        await until(
            pilot, lambda: app.screen.query_one("#replay-results", DataTable).row_count == 1
        )
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "timeline", None) is not None)
        await pilot.press("end")

    assert snap_compare(app, terminal_size=SIZE, run_before=settled(replay))


def test_metrics(fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare) -> None:
    """Metrics for a supervisor: the override rate, reasons, operators, queue sizes."""
    seed(fixed_backend)
    app = console(fixed_backend, "sam", tmp_path)

    async def metrics(app: HitlApp, pilot: Pilot[Any]) -> None:
        await pilot.press("f8")
        await until(pilot, lambda: getattr(app.screen, "metrics", None) is not None)

    assert snap_compare(app, terminal_size=SIZE, run_before=settled(metrics))


# -- every screen at 80×24 (designed for first) and at 160×50 (issue 15) ------------------

SIZES = {"80x24": (80, 24), "160x50": (160, 50)}
"""The smallest terminal the console is designed for, and a roomy one."""


async def _show_review(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await open_conversation(app, pilot, ids["review"])


async def _show_held(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    screen = await open_conversation(app, pilot, ids["held"])
    await until(pilot, lambda: screen.held_by_me)


async def _show_log(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await pilot.press("f6")
    await until(
        pilot, lambda: "Chain verified" in str(app.screen.query_one("#audit-chain", Static).visual)
    )


async def _show_replay(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await pilot.press("f7")
    # By id: a trainer's search matches only what a trainer sees, and names are masked.
    await pilot.press(*ids["edited"], "enter")
    await until(pilot, lambda: app.screen.query_one("#replay-results", DataTable).row_count == 1)
    await pilot.press("enter")
    await until(pilot, lambda: getattr(app.screen, "timeline", None) is not None)
    await pilot.press("end")


async def _show_metrics(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await pilot.press("f8")
    await until(pilot, lambda: getattr(app.screen, "metrics", None) is not None)


async def _show_help(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    # The loopback port changes every run: the words stay, the port is fixed.
    about = app.about().replace(app.config.url, "http://127.0.0.1:8765")
    app.about = lambda: about  # type: ignore[method-assign]
    await pilot.press("question_mark")
    await until(pilot, lambda: app.screen.query_one_optional("#help-keys"))


async def _show_alerts(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await pilot.press("f9")
    await until(pilot, lambda: app.screen.query_one_optional("#alerts-list"))


async def _show_note(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await open_conversation(app, pilot, ids["review"])
    await pilot.press("i")
    await until(pilot, lambda: isinstance(app.screen, NoteDialog))
    await pilot.press(*"Customer called twice")


async def _show_assign(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await open_conversation(app, pilot, ids["review"])
    await pilot.press("m")
    await until(pilot, lambda: app.screen.query_one_optional("#assignees"))


async def _show_history(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    await open_conversation(app, pilot, ids["review"])
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, HistoryScreen))


async def _show_saved_replies(app: HitlApp, pilot: Pilot[Any], ids: dict[str, str]) -> None:
    screen = await open_conversation(app, pilot, ids["held"])
    await until(pilot, lambda: screen.held_by_me)
    screen.query_one(TextArea).focus()  # saved replies go where the person writes
    await pilot.press("f2")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, SavedReplyFinder)
            and "Loading" not in str(app.screen.query_one("#replies-state", Static).visual)
        ),
    )


SCREENS: dict[str, tuple[str, Any]] = {
    "queue": ("alice", None),
    "conversation": ("alice", _show_review),
    "takeover": ("alice", _show_held),
    "override_log": ("sam", _show_log),
    "replay": ("tina", _show_replay),
    "metrics": ("sam", _show_metrics),
    "help": ("sam", _show_help),
    "alerts": ("sam", _show_alerts),
    "note": ("alice", _show_note),
    "assign": ("alice", _show_assign),
    "history": ("alice", _show_history),
    "saved_replies": ("alice", _show_saved_replies),
}
"""Each screen: who looks at it, and how to get there from the queue."""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen_at_size(
    screen: str, size: str, fixed_backend: Backend, tmp_path: Path, snap_compare: SnapCompare
) -> None:
    """Every screen at 80×24 and 160×50."""
    ids = seed(fixed_backend)
    who, show = SCREENS[screen]
    app = console(fixed_backend, who, tmp_path)

    async def then(app: HitlApp, pilot: Pilot[Any]) -> None:
        if show is not None:
            await show(app, pilot, ids)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=settled(then))
