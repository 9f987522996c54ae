"""The app's own keys, available on every screen."""

from __future__ import annotations

from textual.binding import Binding, BindingType

__all__ = ["APP_BINDINGS"]

APP_BINDINGS: list[BindingType] = [
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
]
"""Help, next draft, and the supervision screens."""
