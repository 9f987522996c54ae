"""The demo's line under the queue's header: where to chat as a customer, in the app itself.

Before, the chat page's address was printed on stderr before the console started (hidden
by it at once) and in `?`; a new user of `hitl demo` now sees it where they look.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["DemoLine"]


class DemoLine(Static):
    """`Demo · chat as a customer at URL · ? more`; not shown outside the demo."""

    DEFAULT_CSS = """
    DemoLine { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    """

    def __init__(self, chat_url: str | None) -> None:
        text = Text.assemble(
            ("Demo", "bold"), " · chat as a customer in a browser: ", (chat_url or "", "underline")
        )
        super().__init__(text, id="demo-line")
        self.display = chat_url is not None
