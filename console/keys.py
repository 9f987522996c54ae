"""Key tables: the app's own keys (on every screen) and the override log's."""

from __future__ import annotations

from textual.binding import Binding, BindingType

__all__ = ["APP_BINDINGS", "AUDIT_LOG_BINDINGS"]

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", tooltip="Quit the console", id="app.quit"),
    Binding("question_mark", "help", "Help", tooltip="Every key of this screen", id="app.help"),
    Binding(
        "n",
        "next_draft",
        "Next draft",
        tooltip="Open the conversation whose draft has waited longest",
        id="app.next_draft",
    ),
    Binding(
        "f6",
        "open_audit_log",
        "Override log",
        tooltip="Supervisor: every human decision, the chain's state, export",
        id="app.audit_log",
    ),
    Binding(
        "f7",
        "open_replay",
        "Replay",
        tooltip="Step through a past conversation and its decisions",
        id="app.replay",
    ),
    Binding(
        "f8",
        "open_metrics",
        "Metrics",
        tooltip="Supervisor: override rates, review times, fast approvals",
        id="app.metrics",
    ),
    Binding(
        "f9",
        "open_alerts",
        "Alerts",
        tooltip="What the console warned about (escalations, drafts waiting)",
        id="app.alerts",
    ),
    Binding(
        "f2",
        "saved_replies",
        "Saved reply",
        show=False,
        priority=True,  # dialogs (the draft editor) see only the app's priority keys
        tooltip="Insert a saved reply where you write (the reply box, the draft editor)",
        id="app.saved_replies",
    ),
]
"""Help, next draft, and the supervision screens."""

AUDIT_LOG_BINDINGS: list[BindingType] = [
    Binding("slash", "focus_search", "Search", tooltip="Search notes and texts", id="audit.search"),
    Binding("f", "next_filter", "Filters", tooltip="Move through the filters", id="audit.filter"),
    Binding(
        "x",
        "export",
        "Export",
        tooltip="Write the filtered log to CSV or JSONL",
        id="audit.export",
    ),
    Binding(
        "ctrl+r",
        "refresh",
        "Refresh",
        tooltip="Verify the chain again and reload the first page",
        id="audit.refresh",
    ),
    Binding("escape", "back", "Back", tooltip="Leave the filters, or the screen", id="audit.back"),
]
"""Search, filters, export, refresh, back."""
