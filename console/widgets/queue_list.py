"""A virtual list of the queue, drawn line by line for thousands of rows.

`QueueList` renders rows straight out of a `QueueState` with the Line API
(`render_line`), so only visible rows are ever drawn and nothing is copied
per row. The owner applies events to the state and then calls `changed(ids)`;
the widget repaints once per frame however many ids arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from backend_client import ConversationStatus, Flag
from console.live.queue_state import QueueFilter, QueueRow, QueueState
from console.render.sanitize import safe_text
from console.widgets.cursor import CursorKeys

__all__ = ["STATUS_GLYPHS", "QueueList", "format_waiting"]

STATUS_GLYPHS: dict[ConversationStatus, str] = {
    ConversationStatus.BOT: "·",
    ConversationStatus.AWAITING_REVIEW: "●",
    ConversationStatus.ESCALATED: "▲",
    ConversationStatus.HUMAN: "◆",
    ConversationStatus.CLOSED: "✓",
}
"""The one glyph per status, wherever the console shows a conversation's status."""

_GLYPHS: dict[ConversationStatus, tuple[str, str]] = {
    status: (glyph, f"queue-list--{status.value.replace('_', '-')}")
    for status, glyph in STATUS_GLYPHS.items()
}

_FLAG_TAGS: dict[Flag, str] = {
    Flag.REFUND: "refund",
    Flag.PII: "pii",
    Flag.LEGAL: "legal",
    Flag.LOW_CONFIDENCE: "lowconf",
    Flag.PROMPT_INJECTION: "inject",
}

# Column widths in cells; the preview takes whatever is left.
_GLYPH_WIDTH = 2
_WAITING_WIDTH = 6
_NAME_WIDTH = 20
_FLAGS_WIDTH = 16
_HOLDER_WIDTH = 12
_GAP = 1
_FIXED_WIDTH = _GLYPH_WIDTH + _WAITING_WIDTH + _NAME_WIDTH + _FLAGS_WIDTH + _HOLDER_WIDTH + 4 * _GAP


def format_waiting(seconds: float | None) -> str:
    """A short waiting time: `12s`, `4m05s`, `1h02m`, `3d04h`; empty when nobody waits."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` cut to `width` cells with "…", padded with spaces to exactly `width`."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    padding = " " * (width - length)
    return padding + text if right else text + padding


class _RowStyles(NamedTuple):
    """The style of each part of a row (the base combined with the part's own)."""

    base: Style
    glyphs: dict[ConversationStatus, Style]
    waiting: Style
    name: Style
    flags: Style
    holder: Style
    preview: Style
    bar: Style
    thumb: Style


class _Frame(NamedTuple):
    """What every line of one frame shares, worked out once per frame."""

    width: int
    top: int
    rows: Sequence[QueueRow]
    bar: bool
    """Whether the last column is the position bar."""
    thumb: range
    """The screen lines of the bar's thumb."""
    now: float
    focused: bool


class QueueList(CursorKeys, ScrollView, can_focus=True):
    """The queue as a keyboard-driven list: one line per conversation.

    Customer-written text (name, preview) arrives sanitised in the state's
    rows and is drawn as plain segments, never parsed as markup; operator
    names go through `safe_text`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="queue_list.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="queue_list.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="queue_list.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False, id="queue_list.page_down"),
        Binding("home", "cursor_first", "First", show=False, id="queue_list.first"),
        Binding("end", "cursor_last", "Last", show=False, id="queue_list.last"),
        Binding(
            "enter",
            "open_conversation",
            "Open",
            tooltip="Open the highlighted conversation",
            id="queue_list.open",
        ),
    ]

    COMPONENT_CLASSES = {
        "queue-list--cursor",
        "queue-list--bot",
        "queue-list--awaiting-review",
        "queue-list--escalated",
        "queue-list--human",
        "queue-list--closed",
        "queue-list--waiting",
        "queue-list--name",
        "queue-list--flags",
        "queue-list--holder",
        "queue-list--preview",
        "queue-list--bar",
        "queue-list--bar-thumb",
    }
    """Parts of a row, styled in CSS with theme variables."""

    DEFAULT_CSS = """
    QueueList {
        background: $surface;
        color: $foreground;
        /* No Textual scrollbar: it re-renders on every scroll (~3 ms at 50
           lines, 40% of a frame), so the list draws its own position bar;
           the wheel still scrolls (`allow_vertical_scroll`). */
        overflow: hidden hidden;
        & > .queue-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .queue-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .queue-list--bot { color: $text-muted; }
        & > .queue-list--awaiting-review { color: $warning; }
        & > .queue-list--escalated { color: $error; text-style: bold; }
        & > .queue-list--human { color: $accent; }
        & > .queue-list--closed { color: $success; }
        & > .queue-list--waiting { text-style: bold; }
        & > .queue-list--name { text-style: bold; }
        & > .queue-list--flags { color: $warning; }
        & > .queue-list--holder { color: $text-accent; }
        & > .queue-list--preview { color: $text-muted; }
        & > .queue-list--bar { color: $scrollbar-background; }
        & > .queue-list--bar-thumb { color: $scrollbar; }
    }
    """

    filter: reactive[QueueFilter] = reactive(QueueFilter.ALL, init=False)
    """Which conversations to show (the filter tab the parent selected)."""

    me: reactive[str | None] = reactive(None, init=False)
    """The operator id of the person at the console, for the Mine filter."""

    class Highlighted(Message):
        """The cursor moved to another conversation (None: the list is empty)."""

        def __init__(self, queue_list: QueueList, conversation_id: str | None) -> None:
            super().__init__()
            self.queue_list = queue_list
            self.conversation_id = conversation_id

        @property
        def control(self) -> QueueList:
            """The list the cursor moved in."""
            return self.queue_list

    class Opened(Message):
        """The operator asked to open a conversation (enter or double click)."""

        def __init__(self, queue_list: QueueList, conversation_id: str) -> None:
            super().__init__()
            self.queue_list = queue_list
            self.conversation_id = conversation_id

        @property
        def control(self) -> QueueList:
            """The list the conversation was opened from."""
            return self.queue_list

    def __init__(
        self,
        state: QueueState,
        *,
        clock: Callable[[], datetime] = _utc_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """A list of `state`'s rows; `clock` gives "now" for waiting times (tests fix it)."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._state = state
        self._clock = clock
        self._cursor_index = 0
        self._cursor_id: str | None = None
        self._pending: set[str] = set()
        self._everything_changed = False
        self._flush_scheduled = False
        # Keyed by everything a row's look depends on, so an event or a tick
        # only re-renders the rows it touched.
        self._strip_cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        # The same rows without their first two columns (glyph, waiting time).
        self._body_cache: LRUCache[tuple[object, ...], list[Segment]] = LRUCache(1024)
        self._style_cache: dict[tuple[bool, bool], _RowStyles] = {}
        # Which conversation each screen line showed when last drawn: lets a
        # change that moved no row repaint only its own lines.
        self._drawn: dict[int, str] = {}
        self._names: Mapping[str, str] = {}
        self._this_frame: _Frame | None = None
        self._warm_top: int | None = None

    # -- what the owner calls --------------------------------------------------

    @property
    def state(self) -> QueueState:
        """The queue this list draws."""
        return self._state

    @property
    def highlighted_id(self) -> str | None:
        """The conversation under the cursor."""
        return self._cursor_id

    @property
    def cursor_index(self) -> int:
        """The row the cursor is on."""
        return self._cursor_index

    def show_names(self, names: Mapping[str, str]) -> None:
        """Operator names for the holder column (ids are shown until a name is known)."""
        # Sanitised once here rather than on every draw.
        self._names = {
            operator: safe_text(name, single_line=True).plain for operator, name in names.items()
        }
        self._clear_caches()
        self.changed(None)

    def changed(self, ids: Iterable[str] | None = None, *, now: bool = False) -> None:
        """Tell the list these conversations changed in the state (None: all of it).

        Cheap to call for every event: the repaint happens once, after the
        next screen refresh. `now` (for a batch, such as a snapshot's page)
        works out the repaint at once, so the next frame draws it.
        """
        if ids is None:
            self._everything_changed = True
        else:
            self._pending.update(ids)
        if now and self.is_mounted:
            self._flush()
            return
        if not self._flush_scheduled and self.is_mounted:
            self._flush_scheduled = True
            self.call_after_refresh(self._flush)

    # -- lifecycle -----------------------------------------------------------

    @property
    def allow_vertical_scroll(self) -> bool:
        """The wheel scrolls whenever the rows overflow (there is no scrollbar to say so)."""
        return not self._check_disabled() and self.virtual_size.height > self.size.height

    def on_mount(self) -> None:
        """Size the list, place the cursor and start the clock for waiting times."""
        for selected in (False, True):
            self._row_styles(selected)  # now, rather than in the first page's frame
        self._everything_changed = True
        self._flush()
        self.set_interval(1.0, self._tick)

    def notify_style_update(self) -> None:
        """The theme or CSS changed: cached rows have stale colours."""
        super().notify_style_update()
        self._clear_caches()

    def _clear_caches(self) -> None:
        self._style_cache.clear()
        self._strip_cache.clear()
        self._body_cache.clear()

    def on_focus(self) -> None:
        self._refresh_cursor_line()

    def on_blur(self) -> None:
        self._refresh_cursor_line()

    def on_resize(self) -> None:
        self._scroll_cursor_into_view()

    def watch_filter(self) -> None:
        self._filter_changed()

    def watch_me(self) -> None:
        self._filter_changed()

    def _filter_changed(self) -> None:
        if not self.is_mounted:
            return  # on_mount draws whatever filter was set before it
        if self._cursor_id is None or self._index_of(self._cursor_id) is None:
            self._cursor_index = 0
        self._everything_changed = True
        self._flush()

    # -- keeping view and state in step ------------------------------------

    def _length(self) -> int:
        return self._state.len_of(self.filter, self.me)

    def _index_of(self, conversation_id: str) -> int | None:
        return self._state.index_of(conversation_id, self.filter, self.me)

    def _row_at(self, index: int) -> QueueRow | None:
        try:
            return self._state.row_at(index, self.filter, self.me)
        except IndexError:
            return None

    def _flush(self) -> None:
        """Apply the pending changes to the view: one repaint for the whole burst."""
        self._flush_scheduled = False
        changed, self._pending = self._pending, set()
        everything, self._everything_changed = self._everything_changed, False

        length = self._length()
        resized = length != self.virtual_size.height
        if resized:
            self.virtual_size = Size(0, length)
        cursor_moved = self._sync_cursor()

        if everything or resized or cursor_moved or not self._window_unchanged():
            self._drawn.clear()
            self.refresh()
            return
        for y, conversation_id in self._drawn.items():
            if conversation_id in changed:
                self.refresh_line(self.scroll_offset.y + y)

    def _window_unchanged(self) -> bool:
        """True if every visible line would still show the same conversation."""
        top = self.scroll_offset.y
        for y in range(self.scrollable_content_region.height):
            row = self._row_at(top + y)
            if (row.id if row else None) != self._drawn.get(y):
                return False
        return True

    def _sync_cursor(self) -> bool:
        """Keep the cursor on its conversation; if that left, on the same index.

        Returns True if the cursor's row index or conversation changed.
        """
        before = (self._cursor_index, self._cursor_id)
        index = self._index_of(self._cursor_id) if self._cursor_id is not None else None
        if index is None:
            length = self._length()
            index = min(self._cursor_index, max(length - 1, 0))
            row = self._row_at(index)
            self._cursor_id = row.id if row is not None else None
        self._cursor_index = index
        if self._cursor_id != before[1]:
            self.post_message(self.Highlighted(self, self._cursor_id))
        if (self._cursor_index, self._cursor_id) != before:
            self._scroll_cursor_into_view()
            return True
        return False

    def _move_cursor(self, index: int) -> None:
        if self._pending or self._everything_changed:
            self._flush()  # act on the rows as they are now, not a frame ago
        length = self._length()
        if length == 0:
            return
        index = max(0, min(index, length - 1))
        row = self._row_at(index)
        assert row is not None
        old_index = self._cursor_index
        self._cursor_index = index
        if row.id != self._cursor_id:
            self._cursor_id = row.id
            self.post_message(self.Highlighted(self, row.id))
        self.refresh_line(old_index)
        self.refresh_line(index)
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = self.scroll_offset.y
        if self._cursor_index < top:
            self.scroll_to(y=self._cursor_index, animate=False)
            self._warm_later(max(0, self._cursor_index - height))
        elif self._cursor_index >= top + height:
            self.scroll_to(y=self._cursor_index - height + 1, animate=False)
            self._warm_later(self._cursor_index + 1)

    def _warm_later(self, top: int) -> None:
        """Once the next frame is out, draw the window at `top` into the cache.

        The list just scrolled that way, so the next page is the likely
        next frame: drawn in idle time, paging there costs cache hits, not
        50 rows drawn while the person waits. (`render_lines` schedules it:
        `call_after_refresh` can run before the frame, and delay it.)
        """
        self._warm_top = top

    def _warm(self) -> None:
        top, self._warm_top = self._warm_top, None
        if top is None or not self.is_mounted:
            return
        height = self.scrollable_content_region.height
        top = max(0, min(top, self._length() - height))  # where scrolling there would stop
        frame = self._frame(top)
        for y in range(min(height, len(frame.rows) - top)):
            self._line(frame, y)

    def _refresh_cursor_line(self) -> None:
        self.refresh_line(self._cursor_index)

    def _tick(self) -> None:
        """Once a second: repaint visible rows whose waiting time is shown."""
        top = self.scroll_offset.y
        for y in range(self.scrollable_content_region.height):
            row = self._row_at(top + y)
            if row is None:
                break
            if row.waiting_since is not None:
                # Unchanged rows are cache hits, so a full repaint of the
                # window is cheaper than working out which labels changed.
                self.refresh()
                return

    # -- actions -----------------------------------------------------------

    def _cursor_row(self) -> int:
        return self._cursor_index

    def _row_count(self) -> int:
        return self._length()

    def _page_rows(self) -> int:
        return self.scrollable_content_region.height

    def _go_to_row(self, index: int) -> None:
        self._move_cursor(index)

    def action_open_conversation(self) -> None:
        """Ask the owner to open the highlighted conversation."""
        if self._pending or self._everything_changed:
            self._flush()
        if self._cursor_id is not None:
            self.post_message(self.Opened(self, self._cursor_id))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a double click opens the row."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        length = self._length()
        height = self.scrollable_content_region.height
        if self._bar_shown(length, height) and offset.x == self.scrollable_content_region.width - 1:
            # The position bar: jump to the same fraction of the queue.
            self._move_cursor(round(offset.y / max(1, height - 1) * (length - 1)))
            return
        index = self.scroll_offset.y + offset.y
        if index >= length:
            return
        self._move_cursor(index)
        if event.chain >= 2:
            self.action_open_conversation()

    # -- drawing -----------------------------------------------------------

    def _row_styles(self, selected: bool) -> _RowStyles:
        """The styles of a row's parts, computed once until the styles change.

        `rich_style` walks the widget's ancestors on every call; at 50 rows
        a frame that was a fifth of the cost of drawing them.
        """
        key = (selected, selected and self.has_focus)
        styles = self._style_cache.get(key)
        if styles is None:
            base = self.rich_style
            if selected:
                base += self.get_component_rich_style("queue-list--cursor", partial=True)

            def part(name: str) -> Style:
                return base + self.get_component_rich_style(name, partial=True)

            styles = _RowStyles(
                base=base,
                glyphs={status: part(name) for status, (_, name) in _GLYPHS.items()},
                waiting=part("queue-list--waiting"),
                name=part("queue-list--name"),
                flags=part("queue-list--flags"),
                holder=part("queue-list--holder"),
                preview=part("queue-list--preview"),
                # The position bar is not part of the row: no cursor colours.
                bar=self.rich_style
                + self.get_component_rich_style("queue-list--bar", partial=True),
                thumb=self.rich_style
                + self.get_component_rich_style("queue-list--bar-thumb", partial=True),
            )
            self._style_cache[key] = styles
        return styles

    @staticmethod
    def _bar_shown(length: int, height: int) -> bool:
        """Whether the rows overflow the window, so the position bar is drawn."""
        return 0 < height < length

    def _frame(self, top: int | None = None) -> _Frame:
        """What every line of a frame shares (of the window at `top`, if given)."""
        if self._this_frame is not None and top is None:
            return self._this_frame
        region = self.scrollable_content_region
        width, height = region.width, region.height
        if top is None:
            top = self.scroll_offset.y
        rows = self._state.view(self.filter, self.me)
        length = len(rows)
        thumb = range(0)
        bar = self._bar_shown(length, height) and width > 1
        if bar:
            size = max(1, round(height * height / length))
            start = round(top / max(1, length - height) * (height - size))
            thumb = range(start, start + size)
        return _Frame(width, top, rows, bar, thumb, self._clock().timestamp(), self.has_focus)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the lines in `crop`, working out what they share once, not once a line."""
        self._this_frame = self._frame()
        try:
            return super().render_lines(crop)
        finally:
            self._this_frame = None
            if self._warm_top is not None:
                self.call_later(self._warm)  # after this frame is written

    def render_line(self, y: int) -> Strip:
        """Draw screen line `y`: one conversation, from the cache when nothing changed.

        When the rows overflow, the last column is a position bar (thumb or
        track), part of the cached line so scrolling redraws nothing new.
        """
        frame = self._frame()
        index = frame.top + y
        if index >= len(frame.rows):
            self._drawn.pop(y, None)
            return Strip.blank(frame.width, self._row_styles(False).base)
        self._drawn[y] = frame.rows[index].id
        return self._line(frame, y)

    def _line(self, frame: _Frame, y: int) -> Strip:
        """Line `y` of `frame`'s window, which has a row there."""
        width = frame.width
        row = frame.rows[frame.top + y]
        thumb = (y in frame.thumb) if frame.bar else None
        selected = row.id == self._cursor_id
        # Keyed by the label rather than the raw second: past an hour the
        # label changes once a minute, and so does the cached row.
        since = row.waiting_since
        waiting = "" if since is None else format_waiting(frame.now - since)
        focused = selected and frame.focused
        key = (row.id, row.version, width, selected, focused, thumb, waiting)
        strip = self._strip_cache.get(key)
        if strip is None:
            strip = self._render_row(row, width, selected, focused, thumb, waiting)
            self._strip_cache[key] = strip
        return strip

    def _render_row(
        self,
        row: QueueRow,
        width: int,
        selected: bool,
        focused: bool,
        thumb: bool | None,
        waiting: str,
    ) -> Strip:
        if thumb is not None:
            width -= 1
        # The waiting label changes every second; the rest of the row
        # only with the row, so a tick re-draws one segment, not the row.
        styles = self._row_styles(selected)
        body_key = (row.id, row.version, width, selected, focused)
        body = self._body_cache.get(body_key)
        if body is None:
            body = self._render_body(row, width, styles)
            self._body_cache[body_key] = body
        segments = [
            Segment(_fit(_GLYPHS[row.status][0], _GLYPH_WIDTH), styles.glyphs[row.status]),
            Segment(_fit(waiting, _WAITING_WIDTH, right=True), styles.waiting),
            *body,
        ]
        if width < _FIXED_WIDTH:
            segments = list(Strip(segments).crop(0, width))
        if thumb is not None:
            segments.append(self._bar_segment(thumb))
            width += 1
        return Strip(segments, width)

    def _bar_segment(self, thumb: bool) -> Segment:
        styles = self._row_styles(False)
        return Segment("┃", styles.thumb) if thumb else Segment("│", styles.bar)

    def _render_body(self, row: QueueRow, width: int, styles: _RowStyles) -> list[Segment]:
        """Every column after the waiting time, exactly `width - 8` cells."""
        gap = Segment(" " * _GAP, styles.base)
        tags = " ".join(_FLAG_TAGS.get(flag, str(flag)) for flag in row.flags)
        holder = ""
        if row.holder is not None:
            holder = self._names.get(row.holder) or safe_text(row.holder, single_line=True).plain
        preview_width = max(0, width - _FIXED_WIDTH)
        # The name and the preview were sanitised when the row was built;
        # the holder's name comes from the operator directory.
        segments = [
            gap,
            Segment(_fit(row.name, _NAME_WIDTH), styles.name),
            gap,
            Segment(_fit(tags, _FLAGS_WIDTH), styles.flags),
            gap,
            Segment(_fit(holder, _HOLDER_WIDTH), styles.holder),
            gap,
            Segment(_fit(row.preview, preview_width), styles.preview),
        ]
        return segments
