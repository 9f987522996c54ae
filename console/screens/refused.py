"""The backend refused our token: a whole screen that says what to check, with retry and quit.

A refused token is not a quiet queue: nothing else can work until it is
fixed, so the screen takes the place of everything and quitting from it
exits with status 1.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from console.render.sanitize import safe_text
from console.widgets.fit_footer import FitFooter

__all__ = ["TokenRefusedScreen"]

QUIT_STATUS = 1
"""The exit status after quitting from this screen (scripts see the failure)."""


class TokenRefusedScreen(Screen[bool]):
    """Says the token was refused by `url`, why, and what to check; r retries, q quits."""

    HELP_TITLE = "Not signed in"
    """What `?` calls this screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry", tooltip="Try the same token again", id="refused.retry"),
        Binding(
            "q,escape", "quit_refused", "Quit", tooltip="Quit (exit status 1)", id="refused.quit"
        ),
    ]

    DEFAULT_CSS = """
    TokenRefusedScreen {
        align: center middle;
        & > Vertical {
            width: 76;
            max-width: 100%;
            height: auto;
            border: heavy $error;
            padding: 1 2;
        }
        & #refused-title { color: $error; text-style: bold; }
    }
    """

    def __init__(self, url: str, reason: str) -> None:
        """`reason`: the server's words (untrusted: shown as plain text)."""
        super().__init__()
        self._url = url
        self._reason = reason

    def compose(self) -> ComposeResult:
        """What happened, what to check, the keys."""
        with Vertical():
            yield Static("Not signed in: the backend refused the token", id="refused-title")
            yield Static(
                Text.assemble(
                    f"\n{self._url} answered: ",
                    safe_text(self._reason, single_line=True, max_length=200),
                    "\n\nCheck the token the console was given: --token, the HITL_TOKEN "
                    "environment variable, or `token` in the config file. An admin creates "
                    "one with: hitl operator add NAME --role agent\n\n"
                    "r retries · q quits",
                ),
                id="refused-text",
            )
        yield FitFooter()

    def action_retry(self) -> None:
        """Close this screen and try again."""
        self.dismiss(True)

    def action_quit_refused(self) -> None:
        """Leave with a failing exit status."""
        self.app.exit(return_code=QUIT_STATUS)
