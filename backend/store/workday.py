"""Rows of an agent's working day: internal notes, assignment, saved replies, the history."""

from __future__ import annotations

from typing import Any

from backend_client import Note, SavedReply

from .common import Connection, new_id


class WorkdayRows(Connection):
    """Notes, assignees, the saved replies' library, and a customer's other conversations."""

    # -- notes ---------------------------------------------------------------------------

    def add_note(self, cid: str, author: str, text: str) -> Note:
        """Write an internal note (in the current transaction)."""
        now = self.now()
        note = Note(id=new_id("n"), conversation_id=cid, author=author, text=text, created_at=now)
        self.db.execute(
            "INSERT INTO notes (id, conversation_id, author, text, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [note.id, cid, author, text, now],
        )
        return note

    def notes_of(self, cid: str) -> list[Note]:
        """A conversation's internal notes, oldest first."""
        rows = self.db.execute(
            "SELECT id, conversation_id, author, text, created_at FROM notes "
            "WHERE conversation_id = ? ORDER BY seq",
            [cid],
        ).fetchall()
        return [
            Note(id=r[0], conversation_id=r[1], author=r[2], text=r[3], created_at=r[4])
            for r in rows
        ]

    # -- assignment ----------------------------------------------------------------------

    def set_assignee(self, cid: str, operator_id: str | None) -> None:
        """Assign the conversation to an operator, or to nobody (no version bump)."""
        self.db.execute("UPDATE conversations SET assignee = ? WHERE id = ?", [operator_id, cid])

    # -- saved replies -------------------------------------------------------------------

    def saved_replies(self) -> list[SavedReply]:
        """The library, by title."""
        rows = self.db.execute(
            "SELECT id, title, text, updated_at, updated_by FROM saved_replies "
            "ORDER BY lower(title), id"
        ).fetchall()
        return [_reply(r) for r in rows]

    def saved_reply(self, rid: str) -> SavedReply | None:
        """One saved reply."""
        row = self.db.execute(
            "SELECT id, title, text, updated_at, updated_by FROM saved_replies WHERE id = ?",
            [rid],
        ).fetchone()
        return _reply(row) if row else None

    def put_saved_reply(self, rid: str | None, title: str, text: str, by: str) -> SavedReply:
        """Create (`rid` None) or replace a saved reply; returns it."""
        now = self.now()
        if rid is None:
            rid = new_id("sr")
            self.db.execute(
                "INSERT INTO saved_replies (id, title, text, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?)",
                [rid, title, text, now, by],
            )
        else:
            self.db.execute(
                "UPDATE saved_replies SET title = ?, text = ?, updated_at = ?, updated_by = ? "
                "WHERE id = ?",
                [title, text, now, by, rid],
            )
        reply = self.saved_reply(rid)
        assert reply is not None
        return reply

    def delete_saved_reply(self, rid: str) -> bool:
        """Remove a saved reply; False if there was none."""
        cursor = self.db.execute("DELETE FROM saved_replies WHERE id = ?", [rid])
        return bool(cursor.rowcount)

    # -- the customer's history ----------------------------------------------------------

    def history_ids(self, cid: str, limit: int) -> list[str]:
        """The customer's other conversations, newest first: same email (any case), or, with
        no email, the same name."""
        row = self.db.execute(
            "SELECT customer_name, customer_email FROM conversations WHERE id = ?", [cid]
        ).fetchone()
        if row is None:
            return []
        name, email = row
        where, param = (
            ("lower(customer_email) = lower(?)", email)
            if email
            else ("customer_email IS NULL AND customer_name = ?", name)
        )
        rows = self.db.execute(
            f"SELECT id FROM conversations WHERE {where} AND id != ? AND erased_at IS NULL "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            [param, cid, limit],
        ).fetchall()
        return [r[0] for r in rows]


def _reply(row: Any) -> SavedReply:
    return SavedReply(id=row[0], title=row[1], text=row[2], updated_at=row[3], updated_by=row[4])
