"""An internal note in the transcript: for colleagues, never the customer, and it looks it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from backend_client import Note
from console.render.sanitize import safe_text

__all__ = ["NoteRow", "note_author_line"]


def note_author_line(note: Note, author: str) -> Text:
    """`🔒 internal note · alice · 09:31 — the customer does not see this`."""
    when = note.created_at.astimezone().strftime("%H:%M")
    return Text.assemble(
        (" internal note ", "bold reverse"),
        " ",
        safe_text(author, "bold", single_line=True),
        f"  {when}  · the customer does not see this",
    )


class NoteRow(Static):
    """One internal note among the messages: dashed, tinted, labelled."""

    DEFAULT_CSS = """
    NoteRow {
        padding: 0 1;
        margin: 0 0 1 0;
        border: dashed $warning;
        background: $warning-muted;
    }
    """

    def __init__(self, note: Note, author: str) -> None:
        super().__init__(Text.assemble(note_author_line(note, author), "\n", safe_text(note.text)))
        self.note_id = note.id
        """The id of the note this row shows."""
        self.created_at = note.created_at
