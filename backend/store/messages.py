"""Delivered messages: what customers see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend_client import (
    Author,
    Message,
)

from .common import PREVIEW_LENGTH, Connection, new_id


def _message(r: dict[str, Any]) -> Message:
    """A message row with its machine-readable marking (AI Act art. 50)."""
    return Message(
        id=r["id"],
        conversation_id=r["conversation_id"],
        author=r["author"],
        text=r["text"],
        created_at=r["created_at"],
        operator=r["operator"],
        draft_id=r["draft_id"],
        ai_generated=r["author"] == Author.AI.value,
        edited_by_person=bool(r["edited_by_person"]),
        reviewed_by=r["reviewed_by"],
        correction_of=r["correction_of"],
        correction_reason=r["correction_reason"],
    )


class MessageRows(Connection):
    """Messages."""

    def add_message(
        self,
        cid: str,
        author: Author,
        text: str,
        *,
        operator: str | None = None,
        draft_id: str | None = None,
        edited_by_person: bool = False,
        correction_of: str | None = None,
        correction_reason: str | None = None,
    ) -> Message:
        """Deliver a message (in the current transaction).

        Its marking follows from who wrote it: `reviewed_by` is the operator
        who let it out (None for AI text nobody looked at).
        """
        mid = new_id("m")
        now = self.now()
        self.db.execute(
            "INSERT INTO messages (id, conversation_id, author, text, created_at, operator, "
            "draft_id, edited_by_person, reviewed_by, correction_of, correction_reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                mid,
                cid,
                author.value,
                text,
                now,
                operator,
                draft_id,
                int(edited_by_person),
                operator,
                correction_of,
                correction_reason,
            ],
        )
        # The queue shows the latest message without reading the messages table.
        self.db.execute(
            "UPDATE conversations SET last_message = ? WHERE id = ?", [text[:PREVIEW_LENGTH], cid]
        )
        return _message(
            {
                "id": mid,
                "conversation_id": cid,
                "author": author.value,
                "text": text,
                "created_at": datetime.fromisoformat(now),
                "operator": operator,
                "draft_id": draft_id,
                "edited_by_person": edited_by_person,
                "reviewed_by": operator,
                "correction_of": correction_of,
                "correction_reason": correction_reason,
            }
        )

    def messages(self, cid: str, after: str | None = None) -> list[Message]:
        """A conversation's delivered messages in order, optionally after message `after`."""
        sql = "SELECT * FROM messages WHERE conversation_id = ?"
        params: list[Any] = [cid]
        if after is not None:
            sql += " AND seq > COALESCE((SELECT seq FROM messages WHERE id = ?), 0)"
            params.append(after)
        rows = self.db.query(sql + " ORDER BY seq", params)
        return [_message(r) for r in rows]

    def message(self, cid: str, mid: str) -> Message | None:
        """One delivered message of conversation `cid`."""
        rows = list(
            self.db.query("SELECT * FROM messages WHERE id = ? AND conversation_id = ?", [mid, cid])
        )
        return _message(rows[0]) if rows else None

    def message_exists(self, cid: str, mid: str) -> bool:
        """Whether message `mid` belongs to conversation `cid`."""
        row = self.db.execute(
            "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?", [mid, cid]
        ).fetchone()
        return row is not None

    def last_customer_message_id(self, cid: str) -> str | None:
        """The id of the customer's latest message."""
        row = self.db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND author = 'customer' "
            "ORDER BY seq DESC LIMIT 1",
            [cid],
        ).fetchone()
        return row[0] if row else None

    def reply_after(self, cid: str, at: str) -> str | None:
        """The first text a person let out after `at`: a human message or an approved AI one."""
        row = self.db.execute(
            "SELECT text FROM messages WHERE conversation_id = ? AND created_at >= ? "
            "AND (author = 'human' OR (author = 'ai' AND operator IS NOT NULL)) "
            "ORDER BY seq LIMIT 1",
            [cid, at],
        ).fetchone()
        return row[0] if row else None
