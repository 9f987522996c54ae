"""What an agent's working day needs from a store, on top of the core `StoreProtocol`."""

from __future__ import annotations

from typing import Protocol

from backend_client import ConversationSummary, Note, SavedReply


class WorkdayStoreProtocol(Protocol):
    """Notes, assignees, saved replies, and a customer's other conversations."""

    def add_note(self, cid: str, author: str, text: str) -> Note:
        """Write an internal note (in the current transaction)."""
        ...

    def notes_of(self, cid: str) -> list[Note]:
        """A conversation's internal notes, oldest first."""
        ...

    def set_assignee(self, cid: str, operator_id: str | None) -> None:
        """Assign the conversation to an operator, or to nobody."""
        ...

    def saved_replies(self) -> list[SavedReply]:
        """The library, by title."""
        ...

    def saved_reply(self, rid: str) -> SavedReply | None:
        """One saved reply."""
        ...

    def put_saved_reply(self, rid: str | None, title: str, text: str, by: str) -> SavedReply:
        """Create (`rid` None) or replace a saved reply."""
        ...

    def delete_saved_reply(self, rid: str) -> bool:
        """Remove a saved reply; False if there was none."""
        ...

    def history_ids(self, cid: str, limit: int) -> list[str]:
        """The customer's other conversations, newest first."""
        ...

    def summary(self, cid: str) -> ConversationSummary:
        """One queue row."""
        ...
