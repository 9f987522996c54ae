"""Where to write the training pairs: one file field, enter exports."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from console.export import default_pairs_path

__all__ = ["PairsExportDialog"]


class PairsExportDialog(ModalScreen[Path | None]):
    """Ask for the file; enter exports, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Do not export", id="pairs.cancel"),
    ]
    AUTO_FOCUS = "#pairs-path"
    DEFAULT_CSS = """
    PairsExportDialog { align: center middle; }
    PairsExportDialog > Vertical {
        width: 76; max-width: 95%; height: auto;
        border: round $accent; background: $surface; padding: 0 1;
    }
    PairsExportDialog .pairs-hint { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        """Title, what goes in the file, the path, hint."""
        with Vertical():
            yield Static("Export training pairs (JSON lines)", classes="dialog-title")
            yield Static(
                "Every edited, rejected or regenerated draft: the conversation so far, the AI's "
                "draft, the person's text; masked as your role sees it (as `hitl export pairs`).",
                classes="pairs-hint",
            )
            yield Input(str(default_pairs_path()), placeholder="File to write", id="pairs-path")
            yield Static("enter exports · esc cancels", classes="pairs-hint")

    @on(Input.Submitted, "#pairs-path")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if value:
            self.dismiss(Path(value).expanduser())

    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)
