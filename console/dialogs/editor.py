"""The draft editor: change the AI's reply before it is sent (the diff and reason come next)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from console.dialogs.base import say

__all__ = ["DraftEditor"]


class DraftEditor(ModalScreen[str | None]):
    """Edit the AI's draft; ctrl+s continues with the text, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, because the TextArea would otherwise take the keys.
        Binding(
            "ctrl+s",
            "continue",
            "Continue",
            tooltip="Review the changes and pick a reason",
            id="editor.continue",
            priority=True,
        ),
        Binding("escape", "cancel", "Cancel", tooltip="Discard the edit", id="editor.cancel"),
    ]

    def __init__(self, ai_text: str, text: str | None = None) -> None:
        """`ai_text` is the draft; `text` a previous edit to continue from."""
        super().__init__()
        self.ai_text = ai_text
        self._start = ai_text if text is None else text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog--editor"):
            yield Static("Edit the AI's reply", classes="dialog-title")
            # The draft is untrusted, but a TextArea shows text literally:
            # nothing in it is read as markup.
            yield TextArea(self._start, id="editor", soft_wrap=True)
            yield Static(id="dialog-error", classes="dialog-error").set_styles("display: none;")
            yield Static("ctrl+s continue · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        editor = self.query_one("#editor", TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)

    def action_continue(self) -> None:
        """Go on to the diff and reason, unless there is nothing to send."""
        text = self.query_one("#editor", TextArea).text
        if not text.strip():
            say(self, "The reply is empty: write something, or reject the draft instead.")
        elif text.strip() == self.ai_text.strip():
            say(self, "Nothing changed: approve the draft (a) instead of editing it.")
        else:
            self.dismiss(text)

    def action_cancel(self) -> None:
        """Leave without sending anything."""
        self.dismiss(None)
