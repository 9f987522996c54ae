"""The cursor keys every line-API list in the console shares."""

from __future__ import annotations


class CursorKeys:
    """Up, down, page up/down, first and last for a list with one highlighted row.

    A list provides where the cursor is, how many rows there are, how many
    fit on a page, and how to move; the actions are the same everywhere.
    """

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
