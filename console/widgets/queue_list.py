"""A virtual list of the queue, drawn line by line for thousands of rows.

`QueueList` renders rows straight out of a `QueueState` with the Line API
(`render_line`), so only visible rows are ever drawn and nothing is copied
per row. The owner applies events to the state and then calls `changed(ids)`;
the widget repaints once per frame however many ids arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import ClassVar, TypeAlias

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.strip import Strip

from console.host import Clock, utc_now
from console.live.queue_find import Narrowing
from console.live.queue_rows import (
    ID,
    VERSION,
    Row,
    waiting_since,
)
from console.live.queue_state import QueueFilter, QueueState
from console.render.sanitize import safe_text
from console.widgets import queue_list_messages
from console.widgets.queue_painter import (
    COMPONENT_CLASSES,
    QUEUE_LIST_CSS,
    Frame,
    QueuePainter,
    RowStyles,
    bar_shown,
)
from console.widgets.virtual_list import VirtualList

__all__ = ["QueueList"]


class QueueList(VirtualList):
    """The queue as a keyboard-driven list: one line per conversation.

    Customer-written text (name, preview) arrives sanitised in the state's
    rows and is drawn as plain segments, never parsed as markup; operator
    names go through `safe_text`.
    """

    COMPONENT_CLASSES = COMPONENT_CLASSES
    """Parts of a row, styled in CSS with theme variables."""
    DEFAULT_CSS = QUEUE_LIST_CSS

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

    filter: reactive[QueueFilter] = reactive(QueueFilter.ALL, init=False)
    """Which conversations to show (the filter tab the parent selected)."""

    me: reactive[str | None] = reactive(None, init=False)
    """The operator id of the person at the console, for the Mine filter."""

    Highlighted: TypeAlias = queue_list_messages.Highlighted
    Opened: TypeAlias = queue_list_messages.Opened

    def __init__(
        self,
        state: QueueState,
        *,
        clock: Clock = utc_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """A list of `state`'s rows; `clock` gives "now" for waiting times (tests fix it)."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._state = state
        self._narrowing = Narrowing(state)
        self._clock = clock
        self._cursor_id: str | None = None
        self._pending: set[str] = set()
        self._everything_changed = False
        self._flush_scheduled = False
        self._painter = QueuePainter()
        # Which conversation each screen line showed when last drawn: lets a
        # change that moved no row repaint only its own lines.
        self._drawn: dict[int, str] = {}
        self._this_frame: Frame | None = None
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
        return self.cursor

    def show_names(self, names: Mapping[str, str]) -> None:
        """Operator names for the holder column (ids are shown until a name is known)."""
        # Sanitised once here rather than on every draw.
        self._painter.names = {
            operator: safe_text(name, single_line=True).plain for operator, name in names.items()
        }
        self.clear_caches()
        self.changed(None)

    def narrow(self, ids: frozenset[str] | None) -> None:
        """Show only the conversations `ids` (what a find matched); None shows all again."""
        self._narrowing.narrow(ids)
        self._filter_changed()

    def show_sla(self, over: Callable[[Row, float], bool]) -> None:
        """How to tell a row waiting past its promise (its clock is marked `!`, in red)."""
        self._painter.over_sla = over

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

    def clear_caches(self) -> None:
        """Forget drawn rows and styles (the theme, or the operator names, changed)."""
        super().clear_caches()
        self._painter.clear()

    def watch_filter(self) -> None:
        self._filter_changed()

    def watch_me(self) -> None:
        self._filter_changed()

    def _filter_changed(self) -> None:
        if not self.is_mounted:
            return  # on_mount draws whatever filter was set before it
        if self._cursor_id is None or self._index_of(self._cursor_id) is None:
            self.cursor = 0
        self._everything_changed = True
        self._flush()

    # -- keeping view and state in step ------------------------------------

    def total_rows(self) -> int:
        """How many conversations the filter shows."""
        return len(self._narrowing.view(self.filter, self.me))

    def _index_of(self, conversation_id: str) -> int | None:
        return self._narrowing.index_of(conversation_id, self.filter, self.me)

    def _row_at(self, index: int) -> Row | None:
        rows = self._narrowing.view(self.filter, self.me)
        return rows[index] if 0 <= index < len(rows) else None

    def _flush(self) -> None:
        """Apply the pending changes to the view: one repaint for the whole burst."""
        self._flush_scheduled = False
        changed, self._pending = self._pending, set()
        everything, self._everything_changed = self._everything_changed, False

        length = self.total_rows()
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
            if (row[ID] if row else None) != self._drawn.get(y):
                return False
        return True

    def _sync_cursor(self) -> bool:
        """Keep the cursor on its conversation; if that left, on the same index.

        Returns True if the cursor's row index or conversation changed.
        """
        before = (self.cursor, self._cursor_id)
        index = self._index_of(self._cursor_id) if self._cursor_id is not None else None
        if index is None:
            length = self.total_rows()
            index = min(self.cursor, max(length - 1, 0))
            row = self._row_at(index)
            self._cursor_id = row[ID] if row is not None else None
        self.cursor = index
        if self._cursor_id != before[1]:
            self.post_message(self.Highlighted(self, self._cursor_id))
        if (self.cursor, self._cursor_id) != before:
            self.scroll_cursor_into_view()
            return True
        return False

    def go_to_row(self, index: int) -> None:
        """Put the cursor on row `index` (clamped), on the rows as they are now."""
        if self._pending or self._everything_changed:
            self._flush()  # act on the rows as they are now, not a frame ago
        length = self.total_rows()
        if length == 0:
            return
        index = max(0, min(index, length - 1))
        row = self._row_at(index)
        assert row is not None
        old_index = self.cursor
        self.cursor = index
        if row[ID] != self._cursor_id:
            self._cursor_id = row[ID]
            self.post_message(self.Highlighted(self, row[ID]))
        self.refresh_row(old_index)
        self.refresh_row(index)
        self.scroll_cursor_into_view()

    def scroll_cursor_into_view(self) -> int | None:
        """Scroll to the cursor, and draw the page beyond it into the cache after the frame."""
        top = self.scroll_offset.y
        new_top = super().scroll_cursor_into_view()
        if new_top is not None:
            height = self.page_rows()
            self._warm_later(max(0, self.cursor - height) if new_top < top else self.cursor + 1)
        return new_top

    def _warm_later(self, top: int) -> None:
        """Once the next frame is out, draw the window at `top` into the cache: the likely
        next page, drawn in idle time (`render_lines` schedules it; `call_after_refresh`
        can run before the frame, and delay it)."""
        self._warm_top = top

    def _warm(self) -> None:
        top, self._warm_top = self._warm_top, None
        if top is None or not self.is_mounted:
            return
        height = self.scrollable_content_region.height
        top = max(0, min(top, self.total_rows() - height))  # where scrolling there would stop
        frame = self._frame(top)
        for y in range(min(height, len(frame.rows) - top)):
            self._line(frame, y)

    def _tick(self) -> None:
        """Once a second: repaint visible rows whose waiting time is shown."""
        top = self.scroll_offset.y
        for y in range(self.scrollable_content_region.height):
            row = self._row_at(top + y)
            if row is None:
                break
            if waiting_since(row) is not None:
                # Unchanged rows are cache hits, so a full repaint of the
                # window is cheaper than working out which labels changed.
                self.refresh()
                return

    # -- actions -----------------------------------------------------------

    def action_open_conversation(self) -> None:
        """Ask the owner to open the highlighted conversation."""
        if self._pending or self._everything_changed:
            self._flush()
        if self._cursor_id is not None:
            self.post_message(self.Opened(self, self._cursor_id))

    def choose_row(self) -> None:
        """Enter or a double click opens the conversation."""
        self.action_open_conversation()

    def clicked(self, event: events.Click) -> None:
        """A click moves the cursor, a double click opens the row; the bar jumps."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        length = self.total_rows()
        height = self.scrollable_content_region.height
        if bar_shown(length, height) and offset.x == self.scrollable_content_region.width - 1:
            # The position bar: jump to the same fraction of the queue.
            self.go_to_row(round(offset.y / max(1, height - 1) * (length - 1)))
            return
        super().clicked(event)

    # -- drawing -----------------------------------------------------------

    def _row_styles(self, selected: bool) -> RowStyles:
        """The styles of a row's parts, worked out once until the styles change."""
        return self._painter.styles(self, selected)

    def _frame(self, top: int | None = None) -> Frame:
        """What every line of a frame shares (of the window at `top`, if given)."""
        if self._this_frame is not None and top is None:
            return self._this_frame
        region = self.scrollable_content_region
        width, height = region.width, region.height
        if top is None:
            top = self.scroll_offset.y
        rows = self._narrowing.view(self.filter, self.me)
        now = self._clock().timestamp()
        return Frame.of(width, height, top, rows, now, self.has_focus)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the lines in `crop`, working out what they share once, not once a line."""
        self._this_frame = self._frame()
        try:
            return super().render_lines(crop)
        finally:
            self._this_frame = None
            if self._warm_top is not None:
                self.call_later(self._warm)  # after this frame is written

    def render_row(self, index: int, y: int, width: int) -> Strip:
        """Draw one conversation on line `y`, from the cache when nothing changed.

        When the rows overflow, the last column is a position bar (thumb or
        track), part of the cached line so scrolling redraws nothing new.
        """
        frame = self._frame()
        self._drawn[y] = frame.rows[index][ID]
        return self._line(frame, y)

    def render_blank(self, y: int, width: int) -> Strip:
        """Below the last conversation."""
        self._drawn.pop(y, None)
        return Strip.blank(width, self._row_styles(False).base)

    def _line(self, frame: Frame, y: int) -> Strip:
        """Line `y` of `frame`'s window, which has a row there."""
        width = frame.width
        row = frame.rows[frame.top + y]
        thumb = (y in frame.thumb) if frame.bar else None
        selected = row[ID] == self._cursor_id
        # Keyed by the label rather than the raw second: past an hour the
        # label changes once a minute, and so does the cached row.
        since = waiting_since(row)
        waiting = "" if since is None else self._painter.waiting_label(row, frame.now - since)
        focused = selected and frame.focused
        key = (row[ID], row[VERSION], width, selected, focused, thumb, waiting)
        strip = self.strip_cache.get(key)
        if strip is None:
            styles = self._row_styles(selected)
            strip = self._painter.draw(row, width, styles, selected, focused, thumb, waiting)
            self.strip_cache[key] = strip
        return strip
