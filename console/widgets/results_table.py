"""A table of search results that opens the row you click, in one click.

Textual's `DataTable` selects a row only when the click lands on the row the cursor is
already on: the first click on a result just moved the cursor, and opening it took a
second one ("opening a search result took several tries").
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import DataTable

__all__ = ["ResultsTable"]


class ResultsTable(DataTable[Text]):
    """A row-cursor table where a click on a row selects it at once (enter still does)."""

    async def _on_click(self, event: events.Click) -> None:
        before = self.cursor_coordinate
        await super()._on_click(event)
        meta = event.style.meta
        row = meta.get("row")
        if isinstance(row, int) and row >= 0 and self.cursor_coordinate != before:
            # The click moved the cursor (so `DataTable` only highlighted): open it too.
            self.action_select_cursor()
