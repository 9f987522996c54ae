"""The override log's status line: how much is loaded, or how far an export is."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

__all__ = ["AuditStatusRow"]


class AuditStatusRow(Horizontal):
    """One line: what is loaded, or an export's progress with its bar.

    While an export runs, it has the line: what is loaded is said again when it ends.
    """

    def __init__(self, *, id: str | None = None) -> None:
        """A line saying it is loading."""
        super().__init__(id=id)
        self.exporting = False
        """True while an export writes its file."""

    def compose(self) -> ComposeResult:
        """The words, and the export's bar (hidden until an export starts)."""
        yield Static("Loading…", id="audit-status")
        yield ProgressBar(show_eta=False, show_percentage=False, id="audit-export-bar")

    def on_mount(self) -> None:
        """No export yet: no bar."""
        self.query_one(ProgressBar).display = False

    def say(self, status: str) -> None:
        """Show `status` (layout=False: the line has a fixed size in CSS)."""
        self.query_one("#audit-status", Static).update(status, layout=False)

    def show_loaded(self, count: int, more: bool, *, filtered: bool, failed: bool) -> None:
        """How many entries are loaded, whether more are below, whether the last load failed."""
        if self.exporting:
            return
        tail = " · more below" if more else " · end of the log"
        if failed:
            tail = " · loading failed (ctrl+r reloads)"
            if more:
                tail = " · the next page failed to load (end tries again)"
        what = "matching entries" if filtered else "entries"
        self.say(f"{count} {what} loaded{tail}" if count else f"No {what}.")

    def export_started(self, path: Path) -> None:
        """An export to `path` began: the bar shows it working."""
        self.exporting = True
        bar = self.query_one(ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.say(f"Exporting to {path}…")

    def export_progressed(self, entries: int, pages: int) -> None:
        """Another page was written."""
        self.query_one(ProgressBar).advance(1)
        self.say(f"Exporting… {entries} entries written ({pages} pages)")

    def export_ended(self) -> None:
        """The export is over (done or failed): hide the bar."""
        self.exporting = False
        self.query_one(ProgressBar).display = False
