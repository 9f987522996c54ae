"""The transcript of a conversation: who said what, and when.

Every message is one `MessageRow`, styled by its author, so an operator can
tell at a glance what the customer wrote, what the AI wrote (always marked
"AI"), what a person wrote and what the system said. Message text is
untrusted and only ever rendered through `safe_text`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from backend_client import Author, Message, Note
from console.render.sanitize import safe_text
from console.widgets.note_row import NoteRow

__all__ = ["MessageRow", "Transcript"]

NameOf = Callable[[str | None], str]
"""Turns an operator id into something to show (a name, or what is known)."""


def _when(message: Message) -> str:
    return message.created_at.astimezone().strftime("%H:%M")


class MessageRow(Static):
    """One delivered message: an author line and the text."""

    DEFAULT_CSS = """
    MessageRow {
        padding: 0 1;
        margin: 0 0 1 0;
        border-left: thick $panel;
    }
    MessageRow.-customer { border-left: thick $primary; }
    MessageRow.-ai { border-left: thick $accent; }
    MessageRow.-human { border-left: thick $success; }
    MessageRow.-system { border-left: thick $panel; color: $text-muted; }
    """

    def __init__(self, message: Message, author_line: Text) -> None:
        body = Text.assemble(author_line, "\n", safe_text(message.text))
        super().__init__(body, classes=f"-{message.author.value}")
        self.message_id = message.id
        """The id of the message this row shows."""
        self.created_at = message.created_at


class Transcript(VerticalScroll, can_focus=True):
    """A scrolling list of a conversation's messages, newest at the bottom."""

    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._shown: list[str] = []
        self._notes: list[tuple[Note, str]] = []

    def author_line(self, message: Message, name_of: NameOf, customer: str) -> Text:
        """The header of a message row: who wrote it (AI always marked), and when."""
        when = _when(message)
        match message.author:
            case Author.CUSTOMER:
                return Text.assemble(safe_text(customer, "bold", single_line=True), f"  {when}")
            case Author.AI if message.edited_by_person:
                # A person's words, started from an AI draft: theirs, with where they came from.
                return Text.assemble(
                    safe_text(name_of(message.operator), "bold", single_line=True),
                    " (human) · edited from an ",
                    Text(" AI draft ", style="bold reverse"),
                    f"  {when}",
                )
            case Author.AI:
                by = (
                    Text.assemble("reviewed by ", safe_text(name_of(message.operator)))
                    if message.operator
                    else Text("sent automatically")
                )
                return Text.assemble(Text(" AI ", style="bold reverse"), " ", by, f"  {when}")
            case Author.HUMAN:
                return Text.assemble(
                    safe_text(name_of(message.operator), "bold", single_line=True),
                    " (human)",
                    f"  {when}",
                )
            case _:
                return Text(f"system  {when}", style="italic")

    def show_messages(self, messages: Sequence[Message], name_of: NameOf, customer: str) -> None:
        """Show `messages`, mounting only the new ones when the old ones are unchanged.

        Delivered messages never change, so a reload usually only adds rows at
        the end; anything else (e.g. a message erased on request) rebuilds.
        """
        ids = [message.id for message in messages]
        if ids == self._shown:
            return
        at_end = self.is_vertical_scroll_end or not self._shown
        if ids[: len(self._shown)] == self._shown:
            new = messages[len(self._shown) :]
        else:
            self.remove_children()
            new = messages
        self._shown = ids
        self.mount_all(
            MessageRow(message, self.author_line(message, name_of, customer)) for message in new
        )
        self._place_notes()
        if at_end:
            # Only follow the conversation when the reader was already at the
            # end; someone scrolled back to read history keeps their place.
            self.call_after_refresh(self.scroll_end, animate=False)

    def show_notes(self, notes: Sequence[tuple[Note, str]]) -> None:
        """Show internal notes (each with its author's name) among the messages, by time."""
        at_end = self.is_vertical_scroll_end
        self._notes = list(notes)
        self._place_notes()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _place_notes(self) -> None:
        for row in self.query(NoteRow):
            row.remove()
        messages = list(self.query(MessageRow))
        for note, author in self._notes:
            later = next((m for m in messages if m.created_at > note.created_at), None)
            row = NoteRow(note, author)
            if later is None:
                self.mount(row)
            else:
                self.mount(row, before=later)
