"""Where and how to export the override log: a format and a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Select, Static

from console.export_view import ExportFormat, default_export_path

__all__ = ["ExportChoice", "ExportDialog"]


@dataclass(frozen=True)
class ExportChoice:
    """Where and how to write the export."""

    fmt: ExportFormat
    path: Path


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Ask for the format and the file; enter exports, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Do not export", id="export.cancel"),
    ]
    # Not the first focusable widget (the format list): typing a path there
    # picked formats by their first letter instead of writing the path.
    AUTO_FOCUS = "#export-path"

    def __init__(self, filtered: bool) -> None:
        """`filtered`: whether the view has filters (said in the title)."""
        super().__init__()
        self._filtered = filtered
        self._default = str(default_export_path("csv"))

    def compose(self) -> ComposeResult:
        """Title, format, path, hint."""
        with Vertical(id="export-dialog"):
            what = "the filtered override log" if self._filtered else "the whole override log"
            yield Static(f"Export {what}", id="export-title")
            yield Select(
                [("CSV", "csv"), ("JSON lines", "jsonl")],
                value="csv",
                allow_blank=False,
                id="export-format",
            )
            yield Input(self._default, placeholder="File to write", id="export-path")
            yield Static("enter exports · esc cancels", id="export-hint")

    def on_mount(self) -> None:
        """Start in the path, ready to confirm."""
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """Keep the default file name's extension in step with the format."""
        path_input = self.query_one("#export-path", Input)
        if path_input.value == self._default:
            self._default = str(Path(self._default).with_suffix(f".{event.value}"))
            path_input.value = self._default

    @on(Input.Submitted, "#export-path")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            return
        fmt = cast(ExportFormat, self.query_one("#export-format", Select).value)
        self.dismiss(ExportChoice(fmt=fmt, path=Path(value).expanduser()))

    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)
