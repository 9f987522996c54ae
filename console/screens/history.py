"""The customer's history: their other conversations, one key (`p`) from the one on screen."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from backend_client import ConversationSummary
from console.render.labels import spoken
from console.render.sanitize import safe_text

__all__ = ["HistoryScreen", "history_line"]


def history_line(summary: ConversationSummary) -> Text:
    """`2026-11-20 09:14  closed  Ann Lee <ann@…> · where is my parcel?` (sanitised)."""
    when = summary.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    who = summary.customer.name + (f" <{summary.customer.email}>" if summary.customer.email else "")
    return Text.assemble(
        (when, "bold"),
        "  ",
        (f"{spoken(summary.status.value):<15}", "italic"),
        safe_text(who, single_line=True, max_length=60),
        " · ",
        safe_text(summary.last_message, single_line=True, max_length=80),
    )


class HistoryScreen(ModalScreen[str | None]):
    """The customer's other conversations, newest first; enter opens one, escape goes back."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen #history { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the conversation", id="history.back"),
    ]

    def __init__(self, customer: str, conversations: list[ConversationSummary]) -> None:
        super().__init__()
        self._customer = customer
        self._conversations = conversations

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = Text.assemble(
                "Earlier conversations of ", safe_text(self._customer, single_line=True)
            )
            yield Static(title, classes="dialog-title")
            if self._conversations:
                yield OptionList(
                    *(Option(history_line(c), id=c.id) for c in self._conversations),
                    id="history",
                )
                yield Static("enter open · esc back", classes="dialog-hint")
            else:
                yield Static("None: this is their first conversation.", id="history-none")
                yield Static("esc back", classes="dialog-hint")

    def on_mount(self) -> None:
        for found in self.query("#history"):
            found.focus()

    @on(OptionList.OptionSelected, "#history")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_back(self) -> None:
        """Back to the conversation."""
        self.dismiss(None)
