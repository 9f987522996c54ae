"""How fast the console's queue draws, against Textual's DataTable on the same data.

Run: `python benchmarks/bench_queue.py` (10,000 and 100,000 rows, about 4
minutes on two cores) or `python benchmarks/bench_queue.py --quick` (2,000
rows, 50 presses per key, 1.5 s of events: about half a minute).

What it measures. Each widget runs in a process of its own (so one's memory
is not the other's), inside `App.run_test(size=(160, 50))` with a driver that
does what a terminal driver does, short of the terminal: Textual's headless
driver skips encoding frames, so this one says it is not headless and counts
the bytes of every frame instead (the encoding is part of a frame's cost).
A frame is a call of `App._display` that wrote bytes; `post_display_hook`
timestamps it. Both widgets fill the screen and show the same six columns
(status glyph, waiting time, name, flags, holder, preview) of the same
deterministic conversations (mixed statuses, names, previews, waiting times
from seconds to days).

The snapshot reaches both widgets as it reaches the console: in pages, as
`GET /v1/conversations` sends them (longest waiting first; 500 conversations,
then 1,000 a page), one message per page. In-process the pages are the JSON
the API would send, made before the app starts; each is parsed on the app's
loop when it is handed over (the client's `validate_json`, the console's own
work) and posted with one turn of the event loop between pages (an instant
network); on loopback a task pages through the API and posts each page as it
arrives. Either way the next page waits until the first one is drawn, as the
console's worker does.

- QueueList: the real `console.widgets.queue_list.QueueList` over a
  `QueueState`; the bench subclass only notes which row version each line
  drew. Pages go through `begin_reload`/`add_page`/`end_reload`, events
  through `QueueState.apply(event)`, both then `QueueList.changed` (a page
  with `now=True`); after each page it calls `gc.freeze()`, as the app does.
- DataTable: one `add_row(..., key=id)` per conversation (cells are `Text`,
  as untrusted text must be; column widths fixed, so it measures no cell),
  cursor_type "row"; an event validates the summary and `update_cell`s the
  cells that changed, by key. It never moves a row (DataTable cannot insert
  at a position: each page is appended, in queue order within the page),
  so it does less than QueueList, which keeps the order.
- floor (keys only): `FloorList`, a ScrollView with the same cursor keys
  whose lines are 64 strips made once, and no scrollbar. A key's frame there
  costs only what Textual does to put 160×50 cells on screen, so DataTable's
  time over the floor's is the most any Textual widget could beat it by.

Figures:

- first full frame: the app is already up with an empty widget; from
  parsing the first page (500 conversations; on loopback, from the moment
  it was parsed) to the first frame after
  every visible line was drawn with a row. The issue's target (≤ 500 ms at
  100k) is for this.
- whole snapshot in: from the same moment to the first frame after the last
  page was folded in (every conversation is in the list). In-process this
  is the widget's own cost; on loopback it includes the HTTP requests.
- keystroke to frame: a `Key` event sent through the driver, as a terminal's
  input thread does, to the first frame after the cursor moved; 200 presses
  of down and 200 of pagedown, each from an idle app (30 ms apart). The
  presses start at the top, so after the first screenful every down scrolls
  the window by a line, as holding the key does.
- event to frame: 1,000 `conversation.updated` events a second for 3 s; a
  tenth of them change a row on screen (preview text; the row keeps its
  place), the rest hit random rows (two thirds new preview, one third a
  customer who waits again or was answered: QueueList moves those rows). For
  every event on a visible row, from the moment it was due to the first
  frame that drew that row at that version. In-process the producer is a task
  on the app's event loop on an absolute schedule, so a busy loop delays it
  and the delay counts. On loopback the backend runs in its own process on
  127.0.0.1 (seeded with direct SQL inside `store.transaction()`, for speed);
  a producer task there updates conversations through the store, five per
  transaction (`update_conversation` + `publish_conversation`, so each event
  pays the SQLite commit, the hub, SSE and the socket), and the console reads
  `/v1/events` with `AsyncBackendClient.events()` and applies each event as it
  arrives; the latency runs from the event's `at` (stamped by the backend) to
  the frame, on the wall clock both processes share. The loopback run loads
  its snapshot through the API, and runs at the smallest size only.
- RSS: VmRSS once the whole snapshot is in minus VmRSS before the app was
  made (the pages' JSON already built, and held until RSS is read, so they
  are in both), and the peak (VmHWM, reset at the baseline) minus the same
  baseline. The JSON's size is shown on its own line for scale. The
  DataTable target keeps the parsed summaries (it diffs cells against
  them); QueueState keeps slim rows of its own and, as the app does, drops
  each page once it is folded in. The longest garbage-collector pause
  (`gc.callbacks`) while the app ran is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import heapq
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import harness
from frames import CountingDriver
from harness import ROOT, BackendProcess, pct
from pydantic import TypeAdapter
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from backend_client import (
    ConversationStatus,
    ConversationSummary,
    Event,
    EventType,
    Flag,
    Page,
)
from console.idle_gc import IdleCollectingApp
from console.live.feed import FIRST_FRAME_WAIT, FIRST_PAGE, PAGE
from console.live.queue_state import QueueState
from console.render.labels import format_waiting
from console.render.sanitize import sanitize
from console.widgets.cursor import CursorKeys
from console.widgets.queue_list import QueueList

SIZE = (160, 50)
SAMPLES = 200
"""Key presses per key."""
KEY_GAP = 0.03
"""Idle time before each press, so each sample starts from a quiet app."""
RATE = 1_000
"""Events per second."""
EVENT_SECONDS = 3.0
VISIBLE_EVERY = 10
"""Every tenth event changes a row on screen."""
DRAIN = 2.0
"""How long after the last event a visible change may still reach a frame."""
LOAD_BUDGET = 60.0
"""A widget whose first frame takes longer than this is not measured further."""
CHILD_TIMEOUT = 240.0
"""The most one child process may take."""
PER_TRANSACTION = 5

FIRST_NAMES = "Ada Bo Chen Dana Emeka Farah Gus Hana Ivan Jo Kemal Lea Mia Noor Otto Pia".split()
LAST_NAMES = "Nguyen Smith Okafor Garcia Müller Rossi Tanaka Haddad Kowalski Silva Dubois".split()
PHRASES = [
    "Where is my order? It said two days and it has been a week",
    "I was charged twice for the same subscription this month",
    "Can I change the delivery address for order 4471?",
    "The app logs me out every time I open the settings page",
    "I'd like a refund for the damaged headphones, photos attached",
    "Thanks, that fixed it!",
    "Your last answer did not help at all, I want to talk to a person",
    "How do I export my invoices as PDF for my accountant?",
    "The discount code SPRING24 is not accepted at checkout",
    "Please delete my account and all data you hold about me",
]
STATUSES = [
    (ConversationStatus.BOT, 40),
    (ConversationStatus.AWAITING_REVIEW, 25),
    (ConversationStatus.ESCALATED, 15),
    (ConversationStatus.HUMAN, 20),
]
FLAGS = list(Flag)
COLUMNS = [("", 2), ("Waiting", 6), ("Name", 20), ("Flags", 16), ("Holder", 12)]
"""DataTable columns and widths, as QueueList lays them out; the preview takes the rest."""
GLYPHS = {
    ConversationStatus.BOT: ("·", "dim"),
    ConversationStatus.AWAITING_REVIEW: ("●", "yellow"),
    ConversationStatus.ESCALATED: ("▲", "bold red"),
    ConversationStatus.HUMAN: ("◆", "cyan"),
    ConversationStatus.CLOSED: ("✓", "green"),
}


# -- the data ----------------------------------------------------------------------


def build_summaries(
    rows: int, epoch: float, holders: list[str] | None = None
) -> list[ConversationSummary]:
    """`rows` open conversations, the same for the same arguments, parsed as the wire would."""
    return [ConversationSummary.model_validate(data) for data in summary_data(rows, epoch, holders)]


def summary_data(
    rows: int, epoch: float, holders: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The wire data of `build_summaries`, one conversation at a time.

    Conversations someone waits on wait from seconds to days; a lower index
    has waited longer, so the longest waiting are the first indices.
    """
    rng = random.Random(rows)
    holders = holders or ["op_alice", "op_bob", "op_carol", "op_dan", "op_eve"]
    now = datetime.fromtimestamp(epoch, UTC)
    step = min(2.0, 3 * 86_400 / max(rows, 1))
    statuses, weights = zip(*STATUSES, strict=True)
    for index in range(rows):
        status = rng.choices(statuses, weights)[0]
        waits = status is not ConversationStatus.BOT and rng.random() < 0.85
        waiting = now - timedelta(seconds=(rows - index) * step + 5) if waits else None
        created = now - timedelta(seconds=(rows - index) * step + 60 + rng.random() * 600)
        flags = (
            rng.sample(FLAGS, rng.randint(0, 2))
            if status is ConversationStatus.AWAITING_REVIEW
            else []
        )
        data = {
            "id": f"c{index:07d}",
            "status": status.value,
            "version": 1 + rng.randint(0, 6),
            "holder": rng.choice(holders) if status is ConversationStatus.HUMAN else None,
            "customer": {
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "email": f"customer{index}@example.com",
            },
            "waiting_since": waiting.isoformat() if waiting else None,
            "created_at": created.isoformat(),
            "updated_at": (created + timedelta(seconds=30)).isoformat(),
            "last_message": f"{rng.choice(PHRASES)} (#{index})",
            "flags": [flag.value for flag in flags],
        }
        yield data


WIRE_PAGE = TypeAdapter(Page[ConversationSummary])
"""How the client parses a page of `GET /v1/conversations` (`AsyncBackendClient._parse`)."""


def wire_pages(rows: int, epoch: float) -> list[bytes]:
    """The snapshot as `GET /v1/conversations` sends it: JSON pages in the server's order.

    500 conversations, then 1,000 a page, as the console asks for them.
    """
    data = list(summary_data(rows, epoch))
    data.sort(
        key=lambda d: (
            d["waiting_since"] is None,
            datetime.fromisoformat(d["waiting_since"] or d["created_at"]),
            datetime.fromisoformat(d["created_at"]),
            d["id"],
        )
    )
    cuts = [0, *range(FIRST_PAGE, len(data), PAGE), len(data)]
    return [
        json.dumps({"items": data[start:end], "next_cursor": None}).encode()
        for start, end in itertools.pairwise(cuts)
    ]


def top_ids(summaries: Iterable[ConversationSummary], count: int) -> list[str]:
    """The `count` longest waiting conversations: the top of the queue."""
    waiting = [s for s in summaries if s.waiting_since is not None]
    waiting.sort(key=lambda s: (s.waiting_since, s.updated_at, s.id))
    return [s.id for s in waiting[:count]]


def plan_updates(
    ids: list[str], top: list[str], count: int, seed: int = 1
) -> list[tuple[str, str]]:
    """`count` (conversation id, kind) updates: every tenth on screen, the rest anywhere.

    Kinds: `preview` (a new last message, the row keeps its place), `waits`
    (the customer writes again: waiting from now) and `answered` (nobody waits).
    """
    rng = random.Random(seed)
    on_screen = set(top)
    # The rest leave the top alone, so the rows on screen stay on screen.
    elsewhere = [cid for cid in ids if cid not in on_screen]
    plan = []
    for number in range(count):
        if number % VISIBLE_EVERY == 0:
            plan.append((top[(number // VISIBLE_EVERY) % len(top)], "preview"))
        else:
            kind = rng.choice(("preview", "preview", "waits", "answered"))
            plan.append((rng.choice(elsewhere), kind))
    return plan


def producer_plan(
    rows: int, epoch: float, shown: int, count: int
) -> tuple[list[tuple[str, str]], dict[str, ConversationSummary]]:
    """The in-process producer's `plan_updates`, and the summaries it starts from.

    Made again from the seed rather than kept from the snapshot: the console
    keeps only its own slim rows, and anything the bench held on to (even one
    summary's id string) would keep the snapshot's memory resident and count
    it against the widget. One conversation at a time, so it costs no memory.
    """
    ids: list[str] = []
    waiting: list[tuple[datetime, datetime, str]] = []
    for data in summary_data(rows, epoch):
        ids.append(data["id"])
        if data["waiting_since"] is not None:
            since = datetime.fromisoformat(data["waiting_since"])
            waiting.append((since, datetime.fromisoformat(data["updated_at"]), data["id"]))
    top = [cid for *_, cid in heapq.nsmallest(shown, waiting)]  # as `top_ids` orders them
    plan = plan_updates(ids, top, count)
    wanted = {cid for cid, _ in plan}
    source = {
        data["id"]: ConversationSummary.model_validate(data)
        for data in summary_data(rows, epoch)
        if data["id"] in wanted
    }
    return plan, source


def updated(summary: ConversationSummary, kind: str, number: int) -> ConversationSummary:
    """`summary` after an update of `kind` (the in-process producer's version of the store)."""
    now = datetime.now(UTC)
    change: dict[str, Any] = {
        "version": summary.version + 1,
        "updated_at": now,
        "last_message": f"{PHRASES[number % len(PHRASES)]} (update {number})",
    }
    if kind == "waits":
        change["waiting_since"] = now
    elif kind == "answered":
        change["waiting_since"] = None
    return summary.model_copy(update=change)


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount, _unit = line.split()
            values[name] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS (Linux), so a peak is the widget's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# -- the two widgets under test ------------------------------------------------------


@dataclass
class Pending:
    """A change to a visible row, waiting for a frame that draws it."""

    conversation_id: str
    version: int
    since: float
    """time.time() when it was due (in-process) or stamped by the backend (loopback)."""


class Target:
    """What the bench needs from a widget: load, cursor, apply an event, what was drawn."""

    kind: ClassVar[str]

    def __init__(self) -> None:
        self.drawn: dict[str, int] = {}
        """The version each conversation last had when a line drew it."""
        self.lines_drawn: set[int] = set()
        """Screen lines drawn with a row since the last load."""

    def widget(self) -> Widget:
        """The widget to mount."""
        raise NotImplementedError

    def add_page(self, summaries: list[ConversationSummary], *, last: bool) -> None:
        """Hand the widget one page of the snapshot (the first starts it afresh)."""
        raise NotImplementedError

    def visible_lines(self) -> int:
        """How many lines of rows the widget shows."""
        raise NotImplementedError

    def cursor(self) -> int:
        """The cursor's row."""
        raise NotImplementedError

    def length(self) -> int:
        """How many rows it holds."""
        raise NotImplementedError

    def home(self) -> None:
        """Cursor and scroll back to the first row."""
        raise NotImplementedError

    def apply(self, event: Event) -> tuple[str, int] | None:
        """Apply one event; (id, version) if it changed a row on screen."""
        raise NotImplementedError

    def fully_drawn(self) -> bool:
        """True once every visible line was drawn with a row."""
        return len(self.lines_drawn) >= self.visible_lines()


class RecordingQueueList(QueueList):
    """The real QueueList; it only notes which row version each line drew."""

    def __init__(self, state: QueueState, target: Target) -> None:
        super().__init__(state)
        self.target = target

    def render_line(self, y: int) -> Strip:
        """QueueList's own line, plus a note of what it showed."""
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        if index < self.state.len_of():
            row = self.state.row_at(index)
            self.target.drawn[row.id] = row.version
            self.target.lines_drawn.add(y)
        return strip


class QueueListTarget(Target):
    """QueueList over a QueueState, fed as the console feeds it."""

    kind = "queuelist"

    def __init__(self) -> None:
        super().__init__()
        self.state = QueueState()
        self.list = RecordingQueueList(self.state, self)

    def widget(self) -> Widget:
        return self.list

    def add_page(self, summaries: list[ConversationSummary], *, last: bool) -> None:
        # As HitlApp.load_snapshot and on_queue_page_loaded do.
        if not self.state.reloading:
            self.lines_drawn.clear()
            self.state.begin_reload()
        changed = self.state.add_page(summaries)
        if last:
            changed |= self.state.end_reload()
        gc.freeze()
        self.list.changed(changed, now=True)

    def visible_lines(self) -> int:
        return min(self.list.scrollable_content_region.height, len(self.state))

    def cursor(self) -> int:
        return self.list.cursor_index

    def length(self) -> int:
        return len(self.state)

    def home(self) -> None:
        self.list.action_cursor_first()

    def apply(self, event: Event) -> tuple[str, int] | None:
        changed = self.state.apply(event)
        if not changed:
            return None
        self.list.changed(changed)
        cid = event.conversation_id
        assert cid is not None
        index = self.state.index_of(cid)
        top = self.list.scroll_offset.y
        if index is None or not top <= index < top + self.list.scrollable_content_region.height:
            return None
        summary = self.state.get(cid)
        assert summary is not None
        return cid, summary.version


def _cells(summary: ConversationSummary, now: datetime) -> list[Text]:
    """One DataTable row: the same columns QueueList draws, as `Text` (never markup)."""
    glyph, style = GLYPHS[summary.status]
    waiting = (
        format_waiting((now - summary.waiting_since).total_seconds())
        if summary.waiting_since is not None
        else ""
    )
    return [
        Text(glyph, style=style),
        Text(waiting, style="bold", justify="right"),
        Text(sanitize(summary.customer.name), style="bold"),
        Text(" ".join(str(flag) for flag in summary.flags), style="yellow"),
        Text(sanitize(summary.holder or "")),
        Text(sanitize(summary.last_message.replace("\n", " ")), style="dim"),
    ]


class RecordingDataTable(DataTable[Text]):
    """Textual's DataTable; it only notes which row version each line drew."""

    def __init__(self, target: DataTableTarget) -> None:
        super().__init__(cursor_type="row")
        self.target = target

    def render_line(self, y: int) -> Strip:
        """DataTable's own line, plus a note of what it showed."""
        strip = super().render_line(y)
        header = self.header_height if self.show_header else 0
        index = self.scroll_offset.y + y - header
        if y >= header and index < self.row_count:
            row_key = self.coordinate_to_cell_key(Coordinate(index, 0)).row_key
            assert row_key.value is not None
            self.target.drawn[row_key.value] = self.target.versions[row_key.value]
            self.target.lines_drawn.add(y)
        return strip


class DataTableTarget(Target):
    """DataTable with one keyed row per conversation, updated cell by cell."""

    kind = "datatable"

    def __init__(self) -> None:
        super().__init__()
        self.summaries: dict[str, ConversationSummary] = {}
        self.versions: dict[str, int] = {}
        self.table = RecordingDataTable(self)
        self.columns: list[Any] = []

    def widget(self) -> Widget:
        return self.table

    def add_page(self, summaries: list[ConversationSummary], *, last: bool) -> None:
        table = self.table
        if not self.columns:
            self.lines_drawn.clear()
            preview = SIZE[0] - sum(width + 2 for _, width in COLUMNS) - 4
            for label, width in [*COLUMNS, ("Preview", preview)]:
                self.columns.append(table.add_column(label, width=width, key=label or "status"))
        now = datetime.now(UTC)
        ordered = sorted(
            summaries,
            key=lambda s: (
                s.waiting_since is None,
                s.waiting_since.timestamp() if s.waiting_since else 0.0,
                s.updated_at.timestamp(),
                s.id,
            ),
        )
        for summary in ordered:
            self.summaries[summary.id] = summary
            self.versions[summary.id] = summary.version
            table.add_row(*_cells(summary, now), key=summary.id)

    def visible_lines(self) -> int:
        header = self.table.header_height if self.table.show_header else 0
        return min(self.table.size.height - header, self.table.row_count)

    def cursor(self) -> int:
        return self.table.cursor_row

    def length(self) -> int:
        return self.table.row_count

    def home(self) -> None:
        self.table.move_cursor(row=0)

    def apply(self, event: Event) -> tuple[str, int] | None:
        if event.type is not EventType.CONVERSATION_UPDATED:
            return None
        summary = ConversationSummary.model_validate(event.data)
        held = self.summaries.get(summary.id)
        if held is None or summary.version <= held.version:
            return None
        now = datetime.now(UTC)
        before, after = _cells(held, now), _cells(summary, now)
        self.summaries[summary.id] = summary
        self.versions[summary.id] = summary.version
        for column, old, new in zip(self.columns, before, after, strict=True):
            if old != new:
                self.table.update_cell(summary.id, column, new)
        index = self.table.get_row_index(summary.id)
        top = self.table.scroll_offset.y
        if not top <= index < top + self.visible_lines():
            return None
        return summary.id, summary.version


class FloorList(CursorKeys, ScrollView, can_focus=True):
    """The least a line-API list can do in Textual: precomputed lines, no scrollbar.

    Every line is one of 64 strips made once (the cursor's row another), so
    a frame costs only what Textual itself does to put 160×50 cells on the
    screen. No widget's key→frame can be faster; DataTable's time over this
    is the most any widget could beat it by.
    """

    DEFAULT_CSS = "FloorList { scrollbar-size-vertical: 0; overflow-x: hidden; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", show=False),
        Binding("pagedown", "cursor_page_down", show=False),
    ]

    def __init__(self, target: FloorTarget) -> None:
        super().__init__()
        self.target = target
        self.cursor = 0
        width = SIZE[0]
        self.lines = [
            Strip(
                [Segment(f"{n:>8} " + PHRASES[n % len(PHRASES)].ljust(width)[: width - 9])], width
            )
            for n in range(64)
        ]
        self.cursor_line = Strip([Segment(self.lines[0].text, Style(reverse=True))], width)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        if index < self.target.rows:
            self.target.lines_drawn.add(y)
        return self.cursor_line if index == self.cursor else self.lines[index % 64]

    def _cursor_row(self) -> int:
        return self.cursor

    def _row_count(self) -> int:
        return self.target.rows

    def _page_rows(self) -> int:
        return self.scrollable_content_region.height

    def _go_to_row(self, index: int) -> None:
        old, self.cursor = self.cursor, max(0, min(index, self.target.rows - 1))
        self.refresh_line(old)
        self.refresh_line(self.cursor)
        height = self.scrollable_content_region.height
        if self.cursor >= self.scroll_offset.y + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        elif self.cursor < self.scroll_offset.y:
            self.scroll_to(y=self.cursor, animate=False)


class FloorTarget(Target):
    """`FloorList`: measured for keys only, as the bound on any widget's ratio."""

    kind = "floor"

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self.list = FloorList(self)

    def widget(self) -> Widget:
        return self.list

    def add_page(self, summaries: list[ConversationSummary], *, last: bool) -> None:
        self.rows += len(summaries)
        self.list.virtual_size = Size(SIZE[0], self.rows)
        self.list.refresh()

    def visible_lines(self) -> int:
        return min(self.list.scrollable_content_region.height, self.rows)

    def cursor(self) -> int:
        return self.list.cursor

    def length(self) -> int:
        return self.rows

    def home(self) -> None:
        self.list.action_cursor_first()

    def apply(self, event: Event) -> tuple[str, int] | None:
        return None


TARGETS: dict[str, Callable[[], Target]] = {
    "queuelist": QueueListTarget,
    "datatable": DataTableTarget,
    "floor": FloorTarget,
}


# -- the app and its frames ------------------------------------------------------------


@dataclass
class FrameWaiter:
    """Resolves with a frame's time once `ready()` holds after a frame."""

    ready: Callable[[], bool]
    future: asyncio.Future[float]


class PageArrived(Message):
    """One page of the snapshot, handed to the app as the console's worker hands it."""

    def __init__(
        self, items: list[ConversationSummary], last: bool, drawn: asyncio.Event | None = None
    ) -> None:
        super().__init__()
        self.items = items
        self.last = last
        self.drawn = drawn


class BenchApp(IdleCollectingApp[None]):
    """One widget filling a 160×50 screen; timestamps every frame it writes.

    It collects garbage between frames as the console does (`IdleCollectingApp`),
    whichever widget it holds.
    """

    CSS = "Screen { layout: vertical; } DataTable, QueueList { height: 1fr; }"

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.frames = 0
        self.last_frame = 0.0
        self._written = 0
        self._waiters: list[FrameWaiter] = []
        self.pending: list[Pending] = []
        self.event_latencies: list[float] = []
        self.snapshot_in = False
        """True once the last page of the snapshot was handed to the widget."""

    def _build_driver(
        self, headless: bool, inline: bool, mouse: bool, size: tuple[int, int] | None
    ) -> Driver:
        driver = self._driver = CountingDriver(self, debug=False, mouse=mouse, size=size)
        return driver

    def compose(self) -> ComposeResult:
        """The widget under test, alone."""
        yield self.target.widget()

    def on_mount(self) -> None:
        """Keys go to the widget."""
        self.target.widget().focus()

    def on_page_arrived(self, message: PageArrived) -> None:
        """Hand the page to the widget (the app's `on_queue_page_loaded`)."""
        self.target.add_page(message.items, last=message.last)
        self.snapshot_in = message.last
        if message.drawn is not None:
            self.call_after_refresh(message.drawn.set)

    def post_display_hook(self) -> None:
        """After each `_display`: if it wrote a frame, stamp it and settle what it showed."""
        super().post_display_hook()
        driver = self._driver
        assert isinstance(driver, CountingDriver)
        if driver.written == self._written:
            return
        self._written = driver.written
        now = time.perf_counter()
        self.frames += 1
        self.last_frame = now
        if self._waiters:
            still = []
            for waiter in self._waiters:
                if waiter.ready():
                    if not waiter.future.done():
                        waiter.future.set_result(now)
                else:
                    still.append(waiter)
            self._waiters = still
        if self.pending:
            wall = time.time()
            drawn = self.target.drawn
            keep = []
            for change in self.pending:
                if drawn.get(change.conversation_id, -1) >= change.version:
                    self.event_latencies.append(wall - change.since)
                else:
                    keep.append(change)
            self.pending = keep

    def frame_when(self, ready: Callable[[], bool]) -> asyncio.Future[float]:
        """A future for the perf_counter time of the first frame after which `ready()` holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append(FrameWaiter(ready, future))
        return future

    def apply_event(self, event: Event, since: float) -> None:
        """Apply an event; a change on screen waits for the frame that draws it."""
        shown = self.target.apply(event)
        if shown is not None:
            self.pending.append(Pending(shown[0], shown[1], since))


# -- one run, in a child process ------------------------------------------------------------


@dataclass
class Result:
    """What one child measured (times in ms, memory in MB)."""

    widget: str
    rows: int
    mode: str
    first_frame: float | None = None
    """From the first page handed over to the first frame with every visible line drawn."""
    snapshot_in: float | None = None
    """From the first page handed over to the first frame after the last page was folded in."""
    rss_first: float | None = None
    """RSS once the whole snapshot is in."""
    rss_data: float | None = None
    """Of `rss_first`, what the conversations alone took before any widget saw them."""
    gc_longest: float = 0.0
    """The longest garbage-collector pause while the app ran (ms)."""
    rss_peak: float | None = None
    down: list[float] = field(default_factory=list)
    pagedown: list[float] = field(default_factory=list)
    event: list[float] = field(default_factory=list)
    events_sent: int = 0
    events_visible: int = 0
    events_not_drawn: int = 0
    frames: int = 0
    note: str = ""


class GcPauses:
    """A `gc.callbacks` hook that keeps the longest collection (seconds)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """Called by the collector at the start and the end of each collection."""
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self._started)


async def presses(app: BenchApp, key: str, step: int) -> list[float]:
    """SAMPLES presses of `key` (moving the cursor `step` rows); ms from each to its frame.

    Before a press that would hit the end, the cursor goes back to the top
    (not timed), so every sample moves the cursor.
    """
    target = app.target
    samples = []
    for _ in range(SAMPLES):
        if target.cursor() + step >= target.length():
            target.home()
            await asyncio.sleep(0.2)
        samples.append(await press(app, key) * 1000)
    return samples


async def press(app: BenchApp, key: str) -> float:
    """Send `key` from an idle app; seconds until the first frame after the cursor moved."""
    await asyncio.sleep(KEY_GAP)
    target = app.target
    before = target.cursor()
    frame = app.frame_when(lambda: target.cursor() != before)
    driver = app._driver
    assert driver is not None
    start = time.perf_counter()
    driver.send_message(events.Key(key, None))
    return (await asyncio.wait_for(frame, 10)) - start


async def drive_events(
    app: BenchApp, plan: list[tuple[str, str]], source: dict[str, ConversationSummary]
) -> None:
    """The in-process producer: the planned updates at RATE per second, on a fixed schedule.

    `source` holds each planned conversation as the snapshot had it.
    """
    current: dict[str, ConversationSummary] = {}
    prepared: list[Event] = []
    for number, (cid, kind) in enumerate(plan):
        held = current.get(cid) or source[cid]
        new = updated(held, kind, number)
        current[cid] = new
        prepared.append(
            Event(
                id=number + 1,
                type=EventType.CONVERSATION_UPDATED,
                at=datetime.now(UTC),
                conversation_id=cid,
                data=new.model_dump(mode="json"),
            )
        )
    start = time.time()
    for number, event in enumerate(prepared):
        due = start + number / RATE
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        app.apply_event(event, due)


async def post_pages(app: BenchApp, pages: list[bytes]) -> None:
    """Post the snapshot as the console's worker would, were the network instant.

    Each page is parsed from its JSON on the app's loop, as the client does
    with a response body, and handed over. The worker awaits each page from
    the network, so the app gets to draw between pages; here the loop gets
    one turn between them, the least a network read gives it.
    """
    for number, body in enumerate(pages):
        items = WIRE_PAGE.validate_json(body).items
        # As the console's worker: the next page waits until the first is drawn.
        drawn = asyncio.Event() if number == 0 else None
        app.post_message(PageArrived(items, last=number == len(pages) - 1, drawn=drawn))
        del items
        await asyncio.sleep(0)
        if drawn is not None:
            await asyncio.wait_for(drawn.wait(), FIRST_FRAME_WAIT)


async def fetch_pages(app: BenchApp, server: Server, started: asyncio.Future[float]) -> None:
    """Page through `GET /v1/conversations` and post each page as it comes (the worker).

    `started` gets the time the first page was handed over.
    """
    async with server.client() as client:
        cursor, limit = None, FIRST_PAGE
        while True:
            page = await client.list_conversations(limit=limit, cursor=cursor)
            if not started.done():
                started.set_result(time.perf_counter())
            drawn = asyncio.Event() if cursor is None else None
            app.post_message(PageArrived(page.items, last=page.next_cursor is None, drawn=drawn))
            if page.next_cursor is None:
                return
            if drawn is not None:
                await asyncio.wait_for(drawn.wait(), FIRST_FRAME_WAIT)
            cursor, limit = page.next_cursor, PAGE


async def run_one(kind: str, rows: int, epoch: float, loopback: bool, result: Result) -> None:
    """Everything measured for one widget at one size."""
    server: Server | None = None
    pages: list[bytes] = []
    if loopback:
        server = await Server.start(rows, epoch)
    else:
        # The JSON the API would send, built before the baseline and kept
        # until RSS is read: what the bench holds is not the widget's.
        pages = wire_pages(rows, epoch)
        result.rss_data = sum(len(page) for page in pages) / 2**20
        gc.collect()
        reset_peak_rss()
    baseline, _ = rss_mb()
    target = TARGETS[kind]()
    gc.callbacks.append(pauses := GcPauses())
    app = BenchApp(target)
    try:
        async with app.run_test(size=SIZE):
            await asyncio.sleep(0.2)
            first = app.frame_when(target.fully_drawn)
            whole = app.frame_when(lambda: app.snapshot_in)
            if server is None:
                # From the first page's JSON: parsing it is the console's work.
                start = time.perf_counter()
                fetching = asyncio.create_task(post_pages(app, pages))
            else:
                started: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                fetching = asyncio.create_task(fetch_pages(app, server, started))
                # From the first page handed over, as in-process.
                start = await asyncio.wait_for(started, LOAD_BUDGET)
            try:
                when = await asyncio.wait_for(first, LOAD_BUDGET)
                result.first_frame = (when - start) * 1000
                when = await asyncio.wait_for(whole, LOAD_BUDGET)
                result.snapshot_in = (when - start) * 1000
            except TimeoutError:
                result.note = f"not measurable (snapshot not in within {LOAD_BUDGET:.0f} s)"
                return
            await fetching
            rss, _ = rss_mb()
            result.rss_first = rss - baseline
            pages.clear()

            if not loopback:
                result.down = await presses(app, "down", 1)
                result.pagedown = await presses(app, "pagedown", target.visible_lines())
            target.home()
            await asyncio.sleep(0.3)
            if kind == "floor":
                return  # keys only: it has no rows to update

            count = int(RATE * EVENT_SECONDS)
            if server is None:
                plan, source = producer_plan(rows, epoch, target.visible_lines(), count)
                await asyncio.sleep(0.3)
                await drive_events(app, plan, source)
            else:
                await server.stream(app, count)
            result.events_sent = count
            deadline = time.monotonic() + DRAIN
            while app.pending and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            result.event = [latency * 1000 for latency in app.event_latencies]
            result.events_visible = len(app.event_latencies) + len(app.pending)
            result.events_not_drawn = len(app.pending)
            result.frames = app.frames
    finally:
        gc.callbacks.remove(pauses)
        result.gc_longest = pauses.longest * 1000
        if server is not None:
            server.stop()
        _, peak = rss_mb()
        result.rss_peak = peak - baseline


# -- the loopback backend ----------------------------------------------------------------


class Server:
    """The real backend in a subprocess on 127.0.0.1, seeded with `rows` conversations."""

    def __init__(self, process: BackendProcess, url: str, token: str) -> None:
        self.process = process
        self.url = url
        self.token = token

    @classmethod
    async def start(cls, rows: int, epoch: float) -> Server:
        """Start and seed it; returns once it accepts connections."""
        db = Path(tempfile.mkdtemp(prefix="bench-queue-")) / "bench.db"
        args = ["--serve", "--rows", str(rows), "--epoch", str(epoch), "--db", str(db)]
        process = await asyncio.to_thread(BackendProcess.start, __file__, args, 120)
        return cls(process, process.url, process.ready)

    def client(self) -> Any:
        """An operator client for this backend."""
        from backend_client import AsyncBackendClient

        return AsyncBackendClient(self.url, self.token)

    async def stream(self, app: BenchApp, count: int) -> None:
        """Follow `/v1/events` into the app while the backend produces `count` updates."""
        import httpx

        received = asyncio.Event()
        live = asyncio.Event()

        async def follow() -> None:
            async with self.client() as client:
                seen = 0
                stream = client.events(on_state=lambda state: live.set())
                async for event in stream:
                    if event.type is EventType.CONVERSATION_UPDATED:
                        app.apply_event(event, event.at.timestamp())
                        seen += 1
                        if seen == count:
                            received.set()
                            return

        task = asyncio.create_task(follow())
        await asyncio.wait_for(live.wait(), 10)
        await asyncio.sleep(0.2)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers) as http:
            response = await http.post("/bench/run", params={"total": count})
            response.raise_for_status()
        try:
            await asyncio.wait_for(received.wait(), count / RATE + 20)
        finally:
            task.cancel()

    def stop(self) -> None:
        """Stop the backend."""
        self.process.stop()


def serve(rows: int, epoch: float, port: int, db: Path) -> None:
    """The backend process: seed, then serve, with a route that starts the producer."""
    from backend.settings import Settings

    harness.serve(Settings(db_path=db, secret="bench"), port, partial(_seed, rows, epoch))


def _seed(rows: int, epoch: float, app: Any) -> str:
    """Seed the backend's store with `rows` conversations; add the producer's route."""
    from backend_client import Role

    store = app.state.store
    _, token = store.add_operator("bench", Role.ADMIN)
    holders = [store.add_operator(f"agent{n}", Role.AGENT)[0].id for n in range(5)]
    summaries = build_summaries(rows, epoch, holders)
    # Direct SQL for the setup: 100k conversations through the API would take
    # minutes and measure nothing this benchmark is about.
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO conversations (id, status, version, holder, customer_name, "
            "customer_email, customer_token_hash, waiting_since, created_at, updated_at, "
            "last_message) VALUES (?, ?, ?, ?, ?, ?, 'x', ?, ?, ?, ?)",
            [
                (
                    s.id,
                    s.status.value,
                    s.version,
                    s.holder,
                    s.customer.name,
                    s.customer.email,
                    _iso(s.waiting_since),
                    _iso(s.created_at),
                    _iso(s.updated_at),
                    s.last_message,
                )
                for s in summaries
            ],
        )
    ids = [s.id for s in summaries]
    visible = top_ids(summaries, SIZE[1])

    async def produce(total: int) -> None:
        plan = plan_updates(ids, visible, total)
        start = time.monotonic()
        for tick, first in enumerate(range(0, total, PER_TRANSACTION)):
            delay = start + tick * PER_TRANSACTION / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            with store.transaction():
                for number in range(first, min(first + PER_TRANSACTION, total)):
                    cid, kind = plan[number]
                    fields: dict[str, Any] = {
                        "last_message": f"{PHRASES[number % len(PHRASES)]} (update {number})"
                    }
                    if kind == "waits":
                        fields["waiting_since"] = store.now()
                    elif kind == "answered":
                        fields["waiting_since"] = None
                    store.update_conversation(cid, **fields)
                    store.publish_conversation(cid)

    @app.post("/bench/run")
    async def run(total: int) -> dict[str, str]:
        app.state.producer = asyncio.create_task(produce(total))
        return {"ok": "started"}

    return str(token)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


# -- the parent: run every child, print the table ------------------------------------------


def child(kind: str, rows: int, epoch: float, loopback: bool) -> Result:
    """Run one measurement in a fresh process; its Result, or a note why there is none."""
    cmd = [sys.executable, __file__, "--one", kind, "--rows", str(rows), "--epoch", str(epoch)]
    cmd += ["--samples", str(SAMPLES), "--seconds", str(EVENT_SECONDS)]
    if loopback:
        cmd.append("--loopback")
    mode = "loopback" if loopback else "in-process"
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT, cwd=ROOT, check=False
        )
    except subprocess.TimeoutExpired:
        return Result(kind, rows, mode, note=f"not measurable (> {CHILD_TIMEOUT:.0f} s)")
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return Result(**json.loads(line.removeprefix("RESULT ")))
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return Result(kind, rows, mode, note="failed: " + " | ".join(tail))


@dataclass
class Metric:
    """One line of the table."""

    name: str
    get: Callable[[Result], float | None]
    target: float | None
    unit: str
    compare: bool = True
    """False for context lines: no ratio, no 10× check."""


def metrics(rows: int, largest: int) -> list[Metric]:
    """The table's lines; absolute targets that the issue sets at 100k apply to the largest run."""
    at_top = rows == largest
    return [
        Metric("first full frame", lambda r: r.first_frame, 500 if at_top else None, "ms"),
        Metric("whole snapshot in", lambda r: r.snapshot_in, None, "ms"),
        Metric("down p50", lambda r: pct(r.down, 50), None, "ms"),
        Metric("down p95", lambda r: pct(r.down, 95), 20, "ms"),
        Metric("page-down p50", lambda r: pct(r.pagedown, 50), None, "ms"),
        Metric("page-down p95", lambda r: pct(r.pagedown, 95), 50, "ms"),
        Metric("event→frame p50", lambda r: pct(r.event, 50), None, "ms"),
        Metric("event→frame p99", lambda r: pct(r.event, 99), 50, "ms"),
        Metric("RSS above baseline", lambda r: r.rss_first, 150 if at_top else None, "MB"),
        Metric("  (the snapshot's JSON)", lambda r: r.rss_data, None, "MB", compare=False),
        Metric("peak RSS above baseline", lambda r: r.rss_peak, None, "MB"),
        Metric("longest GC pause", lambda r: r.gc_longest, None, "ms", compare=False),
    ]


def table(ql: Result, dt: Result, largest: int) -> list[str]:
    """The lines of one size's table."""
    head = f"{'metric':<26}{'QueueList':>12}{'DataTable':>12}{'ratio':>9}{'target':>10}  met?  10×?"
    lines = [head, "-" * len(head)]
    for metric in metrics(ql.rows, largest):
        q, d = metric.get(ql), metric.get(dt)
        ratio = d / q if q and d is not None and metric.compare else None
        target = f"≤{metric.target:g} {metric.unit}" if metric.target is not None else ""
        met = "" if metric.target is None or q is None else ("yes" if q <= metric.target else "NO")
        if not metric.compare:
            tenfold = ""
        elif d is None or ratio is None:
            tenfold = "n/a"
        else:
            tenfold = "yes" if ratio >= 10 else "no"
        lines.append(
            f"{metric.name:<26}{_cell(q)}{_cell(d)}"
            f"{(f'{ratio:.1f}×' if ratio is not None else '—'):>9}{target:>10}  {met:<4}  {tenfold}"
        )
    for result in (ql, dt):
        lines.append(_footnote(result))
    return lines


def _cell(value: float | None) -> str:
    return f"{value:>12.1f}" if value is not None else f"{'—':>12}"


def _footnote(result: Result) -> str:
    if result.note:
        return f"  {result.widget}: {result.note}"
    return (
        f"  {result.widget}: {result.events_visible} of {result.events_sent} events changed a "
        f"visible row, {result.events_not_drawn} of those never drawn; {result.frames} frames"
    )


def floor_lines(floor: Result, dt: Result) -> list[str]:
    """Textual's own cost of a key's frame, and so the best ratio any widget could reach."""
    if floor.note:
        return [f"  floor: {floor.note}"]
    lines = ["Textual's floor (FloorList: precomputed lines, no scrollbar), same keys, same start:"]
    for name, samples, theirs in (
        ("down", floor.down, dt.down),
        ("page-down", floor.pagedown, dt.pagedown),
    ):
        cells = []
        for q in (50, 95):
            mine, other = pct(samples, q), pct(theirs, q)
            if mine is None:
                continue
            best = f", DataTable / floor {other / mine:.1f}×" if other else ""
            cells.append(f"p{q} {mine:.1f} ms{best}")
        lines.append(f"  {name:<10} " + " · ".join(cells))
    return lines


def loopback_lines(ql: Result, dt: Result) -> list[str]:
    """The loopback section."""
    lines = []
    for name, get in (("first full frame", "first_frame"), ("whole snapshot in", "snapshot_in")):
        a, b = getattr(ql, get), getattr(dt, get)
        ratio = f"{b / a:.1f}×" if a and b is not None else "—"
        lines.append(f"{name:<26}{_cell(a)}{_cell(b)}{ratio:>9}")
    for name, q in (("p50", 50), ("p99", 99)):
        a, b = pct(ql.event, q), pct(dt.event, q)
        ratio = f"{b / a:.1f}×" if a and b is not None else "—"
        lines.append(f"{'event→frame ' + name:<26}{_cell(a)}{_cell(b)}{ratio:>9}")
    lines += [_footnote(ql), _footnote(dt)]
    return lines


def main(sizes: list[int], loopback_rows: int | None) -> None:
    """Every child, then the figures."""
    epoch = time.time()
    largest = max(sizes)
    print(
        f"Queue at {SIZE[0]}×{SIZE[1]}, {RATE:,} events/s for {EVENT_SECONDS:g} s, "
        f"{SAMPLES} presses per key; each widget in its own process "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start)."
    )
    print("Ratio = DataTable / QueueList (higher is better for QueueList).")
    started = time.monotonic()
    for rows in sizes:
        ql = child("queuelist", rows, epoch, loopback=False)
        dt = child("datatable", rows, epoch, loopback=False)
        floor = child("floor", rows, epoch, loopback=False)
        print(f"\n{rows:,} conversations, events in-process")
        print("\n".join(table(ql, dt, largest)))
        print("\n".join(floor_lines(floor, dt)))
    if loopback_rows:
        ql = child("queuelist", loopback_rows, epoch, loopback=True)
        dt = child("datatable", loopback_rows, epoch, loopback=True)
        print(
            f"\n{loopback_rows:,} conversations, events from the backend on loopback "
            "(its own process; snapshot through the API)"
        )
        print("\n".join(loopback_lines(ql, dt)))
    print(f"\n(total {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--quick", action="store_true", help="2,000 rows only (about 30 s)")
    parser.add_argument("--no-loopback", action="store_true", help="skip the loopback run")
    parser.add_argument("--one", choices=sorted(TARGETS), help=argparse.SUPPRESS)
    parser.add_argument("--loopback", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--epoch", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--samples", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [2_000] if args.quick else [int(size) for size in args.rows.split(",")]
    if args.quick:
        SAMPLES, EVENT_SECONDS = 50, 1.5
    SAMPLES = args.samples or SAMPLES
    EVENT_SECONDS = args.seconds or EVENT_SECONDS
    if args.serve:
        serve(sizes[0], args.epoch, args.port, Path(args.db))
    elif args.one:
        mode = "loopback" if args.loopback else "in-process"
        outcome = Result(args.one, sizes[0], mode)
        asyncio.run(run_one(args.one, sizes[0], args.epoch, args.loopback, outcome))
        print("RESULT " + json.dumps(outcome.__dict__), flush=True)
    else:
        main(sizes, None if args.no_loopback else min(sizes))
