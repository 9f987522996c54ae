"""The override log's export: a dialog, a worker paging into a file, progress on the status row.

`AuditExportScreen` is the base of `AuditLogScreen`: it owns the filters the
export follows and everything about the export itself, so the log's screen
keeps to paging, the chain and the selection.
"""

from __future__ import annotations

from textual import work
from textual.reactive import var
from textual.screen import Screen

from console.dialogs.export import ExportChoice, ExportDialog
from console.export_view import AuditFilters, export_audit_view
from console.host import ConsoleHost, host
from console.screens.audit_messages import ExportFinished, ExportProgressed
from console.widgets.audit_status import AuditStatusRow

__all__ = ["AuditExportScreen"]


class AuditExportScreen(Screen[None]):
    """A screen whose filtered view can be exported to a file (CSV or JSON lines)."""

    # `var`, not `reactive`: a reactive on a Screen repaints the whole screen
    # on every change (~40 ms at 160x50); the watchers update what they must.
    filters: var[AuditFilters] = var(AuditFilters, init=False)
    """What the table shows; changing it reloads from the first page."""

    @property
    def hitl(self) -> ConsoleHost:
        """The app, typed."""
        return host(self.app)

    def _show_status(self, failed: bool = False) -> None:
        """Show how much is loaded (the log's screen says how)."""
        raise NotImplementedError

    @work(exclusive=True, group="audit-export", exit_on_error=False)
    async def export(self, choice: ExportChoice) -> None:
        """Page through the filtered log into a file, reporting each page."""

        def progressed(entries: int, pages: int) -> None:
            self.post_message(ExportProgressed(entries, pages))

        count = await export_audit_view(
            self.hitl.client, self.filters, choice.path, choice.fmt, on_page=progressed
        )
        self.post_message(ExportFinished(choice.path, count))

    def on_export_progressed(self, message: ExportProgressed) -> None:
        """Count what has been written so far."""
        self.query_one(AuditStatusRow).export_progressed(message.entries, message.pages)

    def on_export_finished(self, message: ExportFinished) -> None:
        """Say where the file is."""
        self._export_ended()
        self.notify(
            f"Wrote {message.entries} entries to {message.path}",
            title="Export done",
            markup=False,
            timeout=10,
        )

    def _export_ended(self) -> None:
        self.query_one(AuditStatusRow).export_ended()
        self._show_status()

    def action_export(self) -> None:
        """Ask for a format and a file, then export the filtered log."""
        status = self.query_one(AuditStatusRow)
        if status.exporting:
            self.notify("An export is already running.", markup=False)
            return

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                status.export_started(choice.path)
                self.export(choice)

        self.app.push_screen(ExportDialog(self.filters.active), chosen)
