"""The training-pair export in the console: a file, a worker, progress on a line of its own.

`PairsExportScreen` is the base of `ReplayScreen` (the trainer's screen): `ctrl+o` asks for a
file and writes what `hitl export pairs --out FILE` writes, counting pairs as they go.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from backend_client import BackendError
from console.dialogs.pairs_export import PairsExportDialog
from console.export import export_pairs_to_file
from console.host import host

__all__ = ["PairsExportScreen", "PairsExportStatus"]


class PairsExportStatus(Static):
    """ "Exporting training pairs to FILE… 300 so far", then the outcome; hidden when idle."""

    DEFAULT_CSS = """
    PairsExportStatus { display: none; height: 1; padding: 0 1; color: $accent; }
    PairsExportStatus.-shown { display: block; }
    PairsExportStatus.-failed { color: $error; }
    """


class PairsProgressed(Message):
    """So many pairs are written (or, with `done`, all of them; with `error`, it failed)."""

    def __init__(self, path: Path, count: int, done: bool = False, error: str = "") -> None:
        super().__init__()
        self.path, self.count, self.done, self.error = path, count, done, error


class PairsExportScreen(Screen[None]):
    """A screen with `ctrl+o`: export the training pairs to a file, with progress."""

    exporting_pairs: bool = False

    def action_export_pairs(self) -> None:
        """Ask for a file, then export."""
        if self.exporting_pairs:
            self.notify("An export is already running.", markup=False)
            return

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.exporting_pairs = True
                self._pairs_status(f"Exporting training pairs to {path}… 0 so far")
                self.export_pairs(path)

        self.app.push_screen(PairsExportDialog(), chosen)

    @work(exclusive=True, group="pairs-export", exit_on_error=False)
    async def export_pairs(self, path: Path) -> None:
        """Write the pairs, telling the screen every hundred."""

        def progressed(count: int) -> None:
            self.post_message(PairsProgressed(path, count))

        try:
            count = await export_pairs_to_file(host(self.app).client, path, progressed)
        except (BackendError, OSError) as error:
            self.post_message(PairsProgressed(path, 0, done=True, error=str(error)))
            return
        self.post_message(PairsProgressed(path, count, done=True))

    def on_pairs_progressed(self, message: PairsProgressed) -> None:
        """Count on the status line; at the end, say where the file is."""
        if not message.done:
            self._pairs_status(f"Exporting training pairs to {message.path}… {message.count:,}")
            return
        self.exporting_pairs = False
        if message.error:
            self._pairs_status(f"Export failed: {message.error}", failed=True)
            return
        self._pairs_status(f"Wrote {message.count:,} training pairs to {message.path}")

    def _pairs_status(self, text: str, failed: bool = False) -> None:
        status = self.query_one(PairsExportStatus)
        status.update(Text(text))  # a typed path or an error: never markup
        status.add_class("-shown")
        status.set_class(failed, "-failed")
