"""Dialogs of an agent's working day: write an internal note, pick whom to assign."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from backend_client import Operator
from console.dialogs.base import say
from console.render.sanitize import safe_text

__all__ = ["AssignDialog", "NOBODY", "NoteDialog"]

NOBODY = ""
"""What `AssignDialog` answers for "assigned to nobody"."""

_DIALOG_CSS = """
NoteDialog, AssignDialog { align: center middle; }
NoteDialog #note-text { height: 8; }
AssignDialog #assignees { height: auto; max-height: 12; }
"""


class NoteDialog(ModalScreen[str | None]):
    """Write an internal note; ctrl+s keeps it, escape cancels."""

    DEFAULT_CSS = _DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "keep",
            "Keep note",
            tooltip="Keep the note for colleagues",
            id="note.keep",
            priority=True,
        ),
        Binding("escape", "cancel", "Cancel", tooltip="Write no note", id="note.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                "Internal note — colleagues see it, the customer never does", classes="dialog-title"
            )
            yield TextArea(id="note-text", soft_wrap=True)
            yield Static(id="dialog-error", classes="dialog-error").set_styles("display: none;")
            yield Static("ctrl+s keep · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#note-text", TextArea).focus()

    def action_keep(self) -> None:
        """Keep the note, unless it is empty."""
        text = self.query_one("#note-text", TextArea).text
        if not text.strip():
            say(self, "The note is empty: write something, or press escape.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Leave without a note."""
        self.dismiss(None)


class AssignDialog(ModalScreen[str | None]):
    """Pick whom the conversation is assigned to: me, a colleague, or nobody.

    Answers the operator's id, `NOBODY`, or None (cancelled).
    """

    DEFAULT_CSS = _DIALOG_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Leave the assignment", id="assign.cancel"),
    ]

    def __init__(self, me: Operator | None, operators: list[Operator], current: str | None) -> None:
        super().__init__()
        self._me = me
        self._operators = operators
        self._current = current

    def compose(self) -> ComposeResult:
        options: list[Option] = []
        if self._me is not None:
            options.append(Option(f"Me ({self._me.name})", id=self._me.id))
        for operator in self._operators:
            if self._me is None or operator.id != self._me.id:
                label = safe_text(f"{operator.name} ({operator.role.value})", single_line=True)
                options.append(Option(label, id=operator.id))
        options.append(Option("Nobody (unassign)", id="-nobody"))
        with Vertical(classes="dialog dialog--confirm"):
            yield Static("Assign this conversation to…", classes="dialog-title")
            yield OptionList(*options, id="assignees")
            yield Static("enter assign · esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        assignees = self.query_one("#assignees", OptionList)
        assignees.focus()
        if self._current:
            try:
                assignees.highlighted = assignees.get_option_index(self._current)
            except LookupError:  # assigned to someone no longer listed
                pass

    @on(OptionList.OptionSelected, "#assignees")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        self.dismiss(NOBODY if choice == "-nobody" else choice)

    def action_cancel(self) -> None:
        """Leave the assignment as it is."""
        self.dismiss(None)
