"""The override log as a virtual list, drawn line by line over any number of pages.

`AuditList` keeps the loaded journal entries as plain tuples the garbage
collector untracks (`console.live.audit_rows`) and renders only the visible
rows with the Line API (`render_line`), each row's `Strip` cached by what its
look depends on; the entry under the cursor is rebuilt when it is shown.
Appending a page changes nothing but the virtual height, so paging costs the
same at the ten-thousandth row as at the first; moving the cursor repaints
two lines.

The first line is a fixed header; rows start on the second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, TypeAlias

from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from backend_client import AuditEntry, Operator
from console.live.audit_rows import SEQ, AuditPages, AuditRow, audit_entry
from console.widgets import audit_list_messages
from console.widgets.audit_painter import HEADINGS, AuditCells, audit_cells, audit_line
from console.widgets.virtual_list import VirtualList

__all__ = ["AuditList"]


class AuditList(VirtualList):
    """The loaded override log, newest first: one line per journal entry.

    Operator names and notes are untrusted: they go through `safe_text` and
    are drawn as plain segments, never parsed as markup.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="audit_list.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="audit_list.cursor_down"),
        Binding("pageup", "cursor_page_up", "Page up", show=False, id="audit_list.page_up"),
        Binding("pagedown", "cursor_page_down", "Page down", show=False, id="audit_list.page_down"),
        Binding(
            "home", "cursor_first", "Newest", show=False, tooltip="The newest entry", id="audit.top"
        ),
        Binding(
            "end",
            "cursor_last",
            "Oldest loaded",
            show=False,
            tooltip="The last loaded entry (loads the next page)",
            id="audit.bottom",
        ),
        Binding(
            "enter",
            "select",
            "Open",
            show=False,
            tooltip="Open the entry's conversation",
            id="audit_list.select",
        ),
    ]

    COMPONENT_CLASSES = {
        "audit-list--header",
        "audit-list--cursor",
        "audit-list--stripe",
        "audit-list--seq",
        "audit-list--note",
    }
    """Parts of the list, styled in CSS with theme variables."""

    DEFAULT_CSS = """
    AuditList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        & > .audit-list--header {
            background: $panel;
            color: $text-accent;
            text-style: bold;
        }
        & > .audit-list--stripe {
            background: $surface-lighten-1 50%;
        }
        & > .audit-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .audit-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .audit-list--seq { color: $text-muted; }
        & > .audit-list--note { color: $text-muted; }
    }
    """

    HEADER_LINES = 1
    SCROLL_IMMEDIATE = True

    me: reactive[Operator | None] = reactive(None, init=False)
    """The person at the console: their own entries say "(you)"."""

    Highlighted: TypeAlias = audit_list_messages.Highlighted
    PageWanted: TypeAlias = audit_list_messages.PageWanted
    Selected: TypeAlias = audit_list_messages.Selected

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty list; the owner `append`s pages."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.pages = AuditPages()
        """The loaded rows; pages far from the cursor are dropped and fetched again."""
        self._wanted: set[int] = set()
        self._seq_width = len("#")
        self._cells_cache: LRUCache[int, AuditCells] = LRUCache(1024)
        self._style_cache: dict[tuple[str, bool, bool, bool], Style] = {}

    # -- what the owner calls --------------------------------------------------

    @property
    def row_count(self) -> int:
        """How many entries are loaded."""
        return len(self.pages)

    def total_rows(self) -> int:
        """How many entries are loaded (the list's rows)."""
        return len(self.pages)

    @property
    def cursor_row(self) -> int:
        """The row the cursor is on."""
        return self.cursor

    @property
    def highlighted(self) -> AuditEntry | None:
        """The entry under the cursor (None: nothing loaded, or its page is on its way)."""
        row = self.pages.row(self.cursor) if len(self.pages) else None
        return None if row is None else audit_entry(row)

    def entry_at(self, index: int) -> AuditEntry:
        """The entry on row `index` (0 is the newest loaded); LookupError if dropped."""
        return audit_entry(self._row(index))

    def cells_at(self, index: int) -> tuple[str, ...]:
        """What row `index` shows, column by column (# when who action reason note), unfitted."""
        return tuple(self._cells(self._row(index)))

    def _row(self, index: int) -> AuditRow:
        row = self.pages.row(index)
        if row is None:
            raise LookupError(f"row {index} is not loaded")
        return row

    def append(self, entries: Iterable[AuditEntry], cursor: str | None = None) -> int:
        """Add a page fetched with `cursor` below the loaded rows (entries already shown are
        skipped). Only the virtual height changes: rows already drawn stay cached.
        Returns how many were added.
        """
        was_empty = not len(self.pages)
        added = self.pages.append(entries, cursor)
        if not added:
            return 0
        width = max(len(str(seq)) for seq in added)
        if width > self._seq_width:
            self._seq_width = width
            self.strip_cache.clear()
        self._resize()
        if was_empty:
            self.cursor = 0
            self.post_message(self.Highlighted(self, self.highlighted, 0, self.row_count))
        return len(added)

    def replace(self, entries: Iterable[AuditEntry]) -> int:
        """Show `entries` instead of the loaded rows, cursor on the first (a new first page).

        One repaint: when the old and new rows both overflow the list, its
        scrollbar stays as it was and the screen is not laid out again.
        Returns how many rows there are now.
        """
        self.pages.clear()
        self._wanted.clear()
        self.cursor = 0
        self.strip_cache.clear()
        self._cells_cache.clear()
        added = self.pages.append(entries, None)
        self._seq_width = max((len(str(seq)) for seq in added), default=len("#"))
        self.scroll_to(y=0, animate=False, immediate=True)
        self._resize()
        self.refresh()
        if added:
            self.post_message(self.Highlighted(self, self.highlighted, 0, self.row_count))
        return len(self.pages)

    def clear(self) -> None:
        """Forget every row (the cursor goes back to the top)."""
        self.pages.clear()
        self._wanted.clear()
        self.cursor = 0
        self._seq_width = len("#")
        self.strip_cache.clear()
        self._cells_cache.clear()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._resize()
        self.refresh()

    def fill(self, number: int, entries: Iterable[AuditEntry]) -> None:
        """Page `number` came back (fetched with the cursor `PageWanted` gave): show it."""
        self._wanted.discard(number)
        rows = self.pages.fill(number, entries)
        self.refresh()
        if self.cursor in rows:
            self.post_message(self.Highlighted(self, self.highlighted, self.cursor, self.row_count))

    def release(self, number: int) -> None:
        """The fetch of page `number` ended without rows: it may be asked for again."""
        self._wanted.discard(number)

    def _want(self, index: int) -> None:
        """Ask the owner for the page of row `index` if it was dropped (once)."""
        missing = self.pages.missing(index)
        if missing is not None and missing[0] not in self._wanted:
            self._wanted.add(missing[0])
            self.post_message(self.PageWanted(self, *missing))

    def move_cursor(self, index: int) -> None:
        """Put the cursor on row `index` (clamped), scrolling it into view."""
        if not len(self.pages):
            return
        index = max(0, min(index, len(self.pages) - 1))
        old = self.cursor
        self.cursor = index
        self.pages.drop_far(index)
        self._want(index)
        # Posted even when the cursor stayed put: end on the last row must still
        # reach the owner, which may have a page to (re)load.
        self.post_message(self.Highlighted(self, self.highlighted, index, self.row_count))
        # Repainted once the message is on its way up, so the owner's reaction
        # (the detail panel) lands in the same frame as the cursor: a repaint
        # now would draw a frame of its own, and Textual draws the next one up
        # to two frame periods (33 ms) later.
        self.call_later(self._show_cursor_move, old, index)

    def go_to_row(self, index: int) -> None:
        """The keys and clicks move the cursor as `move_cursor` does."""
        self.move_cursor(index)

    def choose_row(self) -> None:
        """Enter or a double click chooses the entry."""
        self.action_select()

    def _show_cursor_move(self, old: int, new: int) -> None:
        self.refresh_row(old)
        self.refresh_row(new)
        self.scroll_cursor_into_view()

    # -- lifecycle -----------------------------------------------------------

    def _resize(self) -> None:
        # One line for the header. Width 0: the list never scrolls sideways.
        height = len(self.pages) + 1
        old = self.virtual_size.height
        if old == height:
            return
        size = Size(0, height)
        visible = self.scrollable_content_region.height
        if self.is_mounted and visible and old > visible and height > visible:
            # The scrollbar shows before and after, so nothing else on the screen
            # moves: set the size without the whole-screen layout pass that
            # assigning `virtual_size` asks for, and update the scrollbar directly.
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
        else:
            self.virtual_size = size

    def on_mount(self) -> None:
        """Size the list (the header at least)."""
        self._resize()

    def clear_caches(self) -> None:
        """Forget drawn rows and styles (the theme or CSS changed)."""
        super().clear_caches()
        self._style_cache.clear()

    def watch_me(self) -> None:
        """Rows show "(you)" by the operator's own entries."""
        self._cells_cache.clear()
        self.strip_cache.clear()
        self.refresh()

    # -- actions -----------------------------------------------------------

    def action_select(self) -> None:
        """Tell the owner the entry under the cursor was chosen."""
        entry = self.highlighted
        if entry is not None:
            self.post_message(self.Selected(self, entry))

    # -- drawing -----------------------------------------------------------

    def _style(self, part: str, selected: bool, stripe: bool) -> Style:
        """A part's style on a row, computed once until the styles change.

        `rich_style` walks the widget's ancestors on every call, which is
        most of a row's cost if done per draw.
        """
        key = (part, selected, stripe, selected and self.has_focus)
        style = self._style_cache.get(key)
        if style is None:
            style = self.rich_style
            if part == "header":
                style += self.get_component_rich_style("audit-list--header", partial=True)
            else:
                if stripe:
                    style += self.get_component_rich_style("audit-list--stripe", partial=True)
                if part:
                    style += self.get_component_rich_style(f"audit-list--{part}", partial=True)
                if selected:
                    style += self.get_component_rich_style("audit-list--cursor", partial=True)
            self._style_cache[key] = style
        return style

    def _cells(self, row: AuditRow) -> AuditCells:
        seq = row[SEQ]
        assert isinstance(seq, int)
        cells = self._cells_cache.get(seq)
        if cells is None:
            cells = audit_cells(audit_entry(row), self.me)  # once per row drawn: cached
            self._cells_cache[seq] = cells
        return cells

    def _line(self, cells: AuditCells, width: int, styles: tuple[Style, Style, Style]) -> Strip:
        return audit_line(cells, width, self._seq_width, styles)

    def render_header(self, y: int, width: int) -> Strip:
        """The column headings."""
        key: tuple[object, ...] = ("header", width, self._seq_width)
        strip = self.strip_cache.get(key)
        if strip is None:
            header = self._style("header", False, False)
            strip = self._line(AuditCells(*HEADINGS), width, (header, header, header))
            self.strip_cache[key] = strip
        return strip

    def render_blank(self, y: int, width: int) -> Strip:
        """Below the last loaded entry."""
        return Strip.blank(width, self._style("", False, False))

    def render_row(self, index: int, y: int, width: int) -> Strip:
        """One entry, from the cache when nothing changed."""
        row = self.pages.row(index)
        selected = index == self.cursor
        if row is None:  # dropped: fetched again, shown when it is back
            self._want(index)
            dots = AuditCells("…", "", "", "", "", "")
            return self._line(dots, width, (self._style("", selected, False),) * 3)
        focused = selected and self.has_focus
        stripe = index % 2 == 1
        key = (row[SEQ], width, selected, focused, stripe)
        strip = self.strip_cache.get(key)
        if strip is None:
            styles = (
                self._style("", selected, stripe),
                self._style("seq", selected, stripe),
                self._style("note", selected, stripe),
            )
            strip = self._line(self._cells(row), width, styles)
            self.strip_cache[key] = strip
        return strip
