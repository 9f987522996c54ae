"""The console's header: queue counts, the AI's state and the live connection."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from backend_client import AIState, ConnectionState, ConversationStatus, Operator
from console.render.sanitize import sanitize

__all__ = ["ConsoleHeader"]

_COUNTED: tuple[tuple[ConversationStatus, str], ...] = (
    (ConversationStatus.AWAITING_REVIEW, "review"),
    (ConversationStatus.ESCALATED, "escalated"),
    (ConversationStatus.HUMAN, "human"),
    (ConversationStatus.BOT, "bot"),
)

_SHORT = {"escalated": "esc", "human": "held"}
"""The counts' words below `NARROW_BELOW` columns."""
NARROW_BELOW = 120

_CONNECTION_LABELS: dict[ConnectionState | None, str] = {
    None: "connecting…",
    ConnectionState.LIVE: "● live",
    ConnectionState.RECONNECTING: "◌ reconnecting…",
    ConnectionState.OFFLINE: "○ offline",
}


class ConsoleHeader(Horizontal):
    """One line: who is signed in, counts per status, AI running or PAUSED, connection."""

    DEFAULT_CSS = """
    ConsoleHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        & > Static { width: auto; padding: 0 1; }
        & > #header-title { text-style: bold; color: $text-accent; }
        & > #header-counts { width: 1fr; }
        & > #header-loading { color: $text-warning; }
        & > #header-alerts { background: $warning-muted; text-style: bold; }
        & > #header-ai.-paused { background: $error; color: $text; text-style: bold; }
        & > #header-ai.-running { color: $text-success; }
        & > #header-connection.-live { color: $text-success; }
        & > #header-connection.-reconnecting { color: $text-warning; }
        & > #header-connection.-offline { background: $error; color: $text; }
    }
    """

    counts: reactive[dict[ConversationStatus, int]] = reactive(dict, init=False)
    """How many open conversations are in each status."""

    ai_state: reactive[AIState | None] = reactive(None, init=False)
    """Whether the AI may send (None: not known yet)."""

    connection: reactive[ConnectionState | None] = reactive(None, init=False)
    """The live stream's state (None: not connected yet)."""

    operator: reactive[Operator | None] = reactive(None, init=False)
    """Who is signed in (None: not known yet)."""

    alerts: reactive[int] = reactive(0, init=False)
    """Alerts not looked at yet (f9 lists them)."""

    snapshot_progress: reactive[int | None] = reactive(None, init=False)
    """Conversations of a snapshot received so far (None: no snapshot on its way)."""

    def compose(self) -> ComposeResult:
        """Title, counts, snapshot progress, AI state, connection, left to right."""
        yield Static("hitl", id="header-title")
        yield Static(id="header-counts")
        yield Static(id="header-loading")
        yield Static(id="header-alerts")
        yield Static("AI …", id="header-ai")
        yield Static(_CONNECTION_LABELS[None], id="header-connection")

    def on_mount(self) -> None:
        """Draw whatever was set before the header was mounted."""
        self.watch_counts()
        self.watch_ai_state()
        self.watch_connection()
        self.watch_operator()
        self.watch_snapshot_progress()
        self.watch_alerts()

    def watch_alerts(self) -> None:
        """Count the unseen alerts; nothing when there are none."""
        label = self.query_one("#header-alerts", Static)
        label.display = self.alerts > 0
        label.update(f"⚑ {self.alerts} f9")

    def on_resize(self) -> None:
        """Below 120 columns the counts and the AI's state take their short words."""
        narrow = self.app.size.width < NARROW_BELOW
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self.watch_counts()
            self.watch_ai_state()

    def watch_counts(self) -> None:
        """Redraw the counts (short words on a narrow screen, where the long ones were cut)."""
        narrow = self.has_class("-narrow")
        parts = [
            f"{self.counts.get(status, 0)} {_SHORT.get(label, label) if narrow else label}"
            for status, label in _COUNTED
            if not (narrow and status is ConversationStatus.BOT)  # the All tab counts them
        ]
        joiner = " · " if narrow else "  ·  "
        self.query_one("#header-counts", Static).update(Content(joiner.join(parts)))

    def watch_snapshot_progress(self) -> None:
        """Say that the counts are still growing, and how far the snapshot is."""
        label = self.query_one("#header-loading", Static)
        received = self.snapshot_progress
        label.display = received is not None
        if received is None:
            label.update("")
        else:
            label.update(f"loading {received:,}…" if received else "loading…")

    def watch_ai_state(self) -> None:
        """Show AI running, or PAUSED loud enough to notice."""
        label = self.query_one("#header-ai", Static)
        state = self.ai_state
        if state is None:
            label.update("AI …")
        else:
            running = "AI" if self.has_class("-narrow") else "AI running"
            label.update("AI PAUSED" if state.paused else f"{running} · review {state.review_mode}")
        label.set_class(state is not None and state.paused, "-paused")
        label.set_class(state is not None and not state.paused, "-running")

    def watch_connection(self) -> None:
        """Show whether events are flowing."""
        label = self.query_one("#header-connection", Static)
        label.update(_CONNECTION_LABELS[self.connection])
        for state in ConnectionState:
            label.set_class(self.connection is state, f"-{state}")

    def watch_operator(self) -> None:
        """Show who is signed in, next to the title."""
        operator = self.operator
        title = "hitl" if operator is None else f"hitl · {operator.name} ({operator.role})"
        # Content(...) never parses markup: names come from the backend.
        self.query_one("#header-title", Static).update(Content(sanitize(title)))
