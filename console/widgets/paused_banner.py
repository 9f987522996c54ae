"""A banner every screen shows while AI sending is paused: why, until when, by whom."""

from __future__ import annotations

from textual.widgets import Static

from backend_client import AIState
from console.host import host
from console.render.sanitize import safe_text

__all__ = ["PausedBanner", "paused_line"]


def paused_line(state: AIState, name_of: str | None = None) -> str:
    """The banner's words: PAUSED, the reason, the end, the supervisor."""
    parts = ["AI PAUSED — nothing the AI writes reaches a customer"]
    if state.reason:
        parts.append(f"reason: {state.reason}")
    if state.until is not None:
        parts.append(f"until {state.until:%Y-%m-%d %H:%M} UTC")
    if name_of:
        parts.append(f"by {name_of}")
    return " · ".join(parts)


class PausedBanner(Static):
    """Hidden while the AI runs; one loud line on every screen while it is paused."""

    DEFAULT_CSS = """
    PausedBanner {
        display: none;
        height: auto;
        background: $error;
        color: $text;
        text-style: bold;
        padding: 0 1;
    }
    PausedBanner.-paused { display: block; }
    """

    def on_mount(self) -> None:
        """Show the state the app knows now, and follow every change."""
        app = host(self.app)
        signal = getattr(self.app, "ai_state_signal", None)
        if signal is not None:
            signal.subscribe(self, self.show_state)
        self.show_state(app.ai_state)

    def show_state(self, state: AIState | None) -> None:
        """Show or hide the banner for `state`."""
        paused = state is not None and state.paused
        self.set_class(paused, "-paused")
        if state is not None and paused:
            who = host(self.app).operator_name(state.paused_by) if state.paused_by else None
            # The reason is a supervisor's free text: sanitised, never read as markup.
            self.update(safe_text(paused_line(state, who), single_line=True))
        else:
            self.update("")
