"""One line-API list for any number of rows: the queue and the override log build on it.

`VirtualList` draws only the visible lines (`render_line`), keeps one
highlighted row (the cursor), moves it with the keys every list shares, and
caches each drawn row's `Strip` by whatever its look depends on. A subclass
says how many rows there are, draws one row, and reacts when the cursor
moves or a row is chosen; it may pin header lines above the rows.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["VirtualList"]


class VirtualList(ScrollView, can_focus=True):
    """A keyboard-driven list of rows drawn line by line, with a cursor.

    Subclasses implement `total_rows`, `render_row` and `go_to_row` (which
    moves `cursor` and tells the owner), and may override `render_header`
    for `HEADER_LINES` fixed lines above the rows, and `choose_row` for
    enter and double clicks.
    """

    HEADER_LINES: ClassVar[int] = 0
    """Lines pinned above the rows (a column header)."""
    SCROLL_IMMEDIATE: ClassVar[bool] = False
    """Scroll in the same frame as the cursor move rather than the next one."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty list (its rows come from the subclass)."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.cursor = 0
        """The row the cursor is on."""
        self.strip_cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        """Drawn rows, keyed by everything their look depends on: unchanged rows cost a hit."""

    # -- what a subclass provides --------------------------------------------

    def total_rows(self) -> int:
        """How many rows there are."""
        raise NotImplementedError

    def render_row(self, index: int, y: int, width: int) -> Strip:
        """Draw row `index` on screen line `y`, exactly `width` cells."""
        raise NotImplementedError

    def go_to_row(self, index: int) -> None:
        """Put the cursor on row `index` (clamped) and tell whoever listens."""
        raise NotImplementedError

    def render_header(self, y: int, width: int) -> Strip:
        """Header line `y` (of `HEADER_LINES`)."""
        return Strip.blank(width, self.rich_style)

    def choose_row(self) -> None:
        """The row under the cursor was chosen (enter or a double click)."""

    def clear_caches(self) -> None:
        """Forget every drawn row (the styles or what rows show changed)."""
        self.strip_cache.clear()

    # -- shared behaviour --------------------------------------------------

    def page_rows(self) -> int:
        """How many rows fit on screen under the header."""
        return self.scrollable_content_region.height - self.HEADER_LINES

    def refresh_row(self, index: int) -> None:
        """Repaint row `index` (if it is on screen)."""
        self.refresh_line(index + self.HEADER_LINES)

    def scroll_cursor_into_view(self) -> int | None:
        """Scroll just enough to show the cursor; returns the new top row, or None if none."""
        rows = self.page_rows()
        if rows <= 0:
            return None
        top = self.scroll_offset.y
        if self.cursor < top:
            new_top = self.cursor
        elif self.cursor >= top + rows:
            new_top = self.cursor - rows + 1
        else:
            return None
        self.scroll_to(y=new_top, animate=False, immediate=self.SCROLL_IMMEDIATE)
        return new_top

    def part_style(self, part: str) -> Style:
        """A component class's style on top of the list's own."""
        return self.get_component_rich_style(part, partial=True)

    def notify_style_update(self) -> None:
        """The theme or CSS changed: cached rows have stale colours."""
        super().notify_style_update()
        self.clear_caches()

    def on_focus(self) -> None:
        """The cursor row looks different with the focus."""
        self.refresh_row(self.cursor)

    def on_blur(self) -> None:
        """The cursor row looks different without the focus."""
        self.refresh_row(self.cursor)

    def on_resize(self) -> None:
        """Keep the cursor in view."""
        self.scroll_cursor_into_view()

    def render_line(self, y: int) -> Strip:
        """Draw screen line `y`: a header line, a row, or blank past the last row."""
        width = self.scrollable_content_region.width
        if y < self.HEADER_LINES:
            return self.render_header(y, width)
        index = self.scroll_offset.y + y - self.HEADER_LINES
        if index >= self.total_rows():
            return self.render_blank(y, width)
        return self.render_row(index, y, width)

    def render_blank(self, y: int, width: int) -> Strip:
        """Screen line `y` below the last row."""
        return Strip.blank(width, self.rich_style)

    def row_at_offset(self, event: events.Click) -> int | None:
        """The row a click landed on (None: outside, the header, or past the last row)."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < self.HEADER_LINES:
            return None
        index = self.scroll_offset.y + offset.y - self.HEADER_LINES
        return index if index < self.total_rows() else None

    def on_click(self, event: events.Click) -> None:
        """A click: see `clicked` (Textual calls every class's `on_click`, so subclasses
        override `clicked` instead)."""
        self.clicked(event)

    def clicked(self, event: events.Click) -> None:
        """A click moves the cursor; a double click chooses the row."""
        index = self.row_at_offset(event)
        if index is None:
            return
        self.go_to_row(index)
        if event.chain >= 2:
            self.choose_row()

    # -- the keys every list shares --------------------------------------------

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.go_to_row(self.cursor - 1)

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.go_to_row(self.cursor + 1)

    def action_cursor_page_up(self) -> None:
        """Move the cursor one screen up."""
        self.go_to_row(self.cursor - max(1, self.page_rows()))

    def action_cursor_page_down(self) -> None:
        """Move the cursor one screen down."""
        self.go_to_row(self.cursor + max(1, self.page_rows()))

    def action_cursor_first(self) -> None:
        """Move the cursor to the first row."""
        self.go_to_row(0)

    def action_cursor_last(self) -> None:
        """Move the cursor to the last row."""
        self.go_to_row(self.total_rows() - 1)
