"""The alert line: the newest alert for a few seconds, in its own row, covering nothing.

Toasts float over whatever is below them (the draft, a dialog's buttons);
this line takes a row of the layout while it shows, so nothing is hidden,
and a newer alert replaces the older one: never more than one at a time.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from console.host import host
from console.render.sanitize import safe_text

__all__ = ["AlertLine"]

SHOWN_SECONDS = 8.0
"""How long an alert stays on the line."""


class AlertLine(Static):
    """One line above the footer: `⚑ title — text · f9 alerts`, hidden when idle."""

    DEFAULT_CSS = """
    AlertLine {
        height: 1;
        background: $warning-muted;
        color: $text;
        display: none;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._timer: Timer | None = None
        self.conversation_id: str | None = None
        """The conversation of the alert shown (a click opens it)."""

    def show(self, title: str, text: str, unseen: int, conversation_id: str | None = None) -> None:
        """Show one alert (replacing any shown) and hide it after a while."""
        self.conversation_id = conversation_id
        more = f" · {unseen} unseen · f9 lists them" if unseen > 1 else " · f9 lists alerts"
        self.update(
            Text.assemble(
                ("⚑ ", "bold"),
                (title, "bold"),
                " — ",
                safe_text(text, single_line=True, max_length=120),
                more,
            )
        )
        self.display = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SHOWN_SECONDS, self.hide)

    def on_click(self) -> None:
        """A click on the line opens the alert's conversation."""
        if self.conversation_id is not None:
            self.hide()
            host(self.app).open_conversation(self.conversation_id)

    def hide(self) -> None:
        """Nothing to show."""
        self.display = False
