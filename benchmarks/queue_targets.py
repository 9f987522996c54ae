"""The widgets bench_queue measures, each behind one `Target` interface.

QueueList is the console's own (`console.widgets.queue_list`); DataTable is
Textual's; FloorList is the least a line-API list can do in Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from queue_data import COLUMNS, GLYPHS, PHRASES, SIZE
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from backend_client import ConversationSummary, Event, EventType
from console.live.queue_rows import ID, VERSION
from console.live.queue_state import QueueState
from console.render.labels import format_waiting
from console.render.sanitize import sanitize
from console.widgets.cursor import CursorKeys
from console.widgets.queue_list import QueueList


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
        rows = self.state.view()
        if index < len(rows):
            # The plain tuple, not `row_at`'s named view: the note costs the frame nothing.
            row = rows[index]
            self.target.drawn[row[ID]] = row[VERSION]
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
