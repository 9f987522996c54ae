"""Old home of the shared cursor keys, kept only until benchmarks/bench_queue.py moves.

The keys now live in `console.widgets.virtual_list.VirtualList`. Nothing in the
console imports this; delete it when the benchmarks build on `VirtualList`.
"""

from __future__ import annotations


class CursorKeys:
    """Up, down, page up/down, first and last for a list with one highlighted row."""

    def _cursor_row(self) -> int:
        raise NotImplementedError

    def _row_count(self) -> int:
        raise NotImplementedError

    def _page_rows(self) -> int:
        raise NotImplementedError

    def _go_to_row(self, index: int) -> None:
        raise NotImplementedError

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self._go_to_row(self._cursor_row() - 1)

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self._go_to_row(self._cursor_row() + 1)

    def action_cursor_page_up(self) -> None:
        """Move the cursor one screen up."""
        self._go_to_row(self._cursor_row() - max(1, self._page_rows()))

    def action_cursor_page_down(self) -> None:
        """Move the cursor one screen down."""
        self._go_to_row(self._cursor_row() + max(1, self._page_rows()))

    def action_cursor_first(self) -> None:
        """Move the cursor to the first row."""
        self._go_to_row(0)

    def action_cursor_last(self) -> None:
        """Move the cursor to the last row."""
        self._go_to_row(self._row_count() - 1)
