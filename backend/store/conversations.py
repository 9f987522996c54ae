"""Conversations: the queue, one conversation, its summary and detail."""

from __future__ import annotations

import json
import secrets
from typing import Any

from backend_client import (
    ConversationDetail,
    ConversationStatus,
    ConversationSummary,
    Customer,
    Page,
    QueueQuery,
)

from .common import decode_cursor, encode_cursor, hash_token, new_id
from .drafts import DraftRows
from .messages import MessageRows
from .queue_find import find_condition


class ConversationRows(MessageRows, DraftRows):
    """Conversations."""

    def create_conversation(self, customer: Customer, customer_token: str) -> str:
        """Insert a new conversation (in the current transaction); returns its id."""
        cid = new_id("c")
        now = self.now()
        self.db.execute(
            "INSERT INTO conversations (id, status, customer_name, customer_email, "
            "customer_language, customer_token_hash, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cid,
                ConversationStatus.BOT.value,
                customer.name,
                customer.email,
                customer.language,
                hash_token(customer_token),
                now,
                now,
            ],
        )
        return cid

    def conversation_row(self, cid: str) -> dict[str, Any] | None:
        """A conversation's raw row."""
        rows = list(self.db.query("SELECT * FROM conversations WHERE id = ?", [cid]))
        return rows[0] if rows else None

    def customer_token_matches(self, cid: str, token: str) -> bool:
        """Whether `token` is the customer token of conversation `cid`."""
        row = self.db.execute(
            "SELECT customer_token_hash FROM conversations WHERE id = ?", [cid]
        ).fetchone()
        return row is not None and secrets.compare_digest(row[0], hash_token(token))

    def update_conversation(self, cid: str, **fields: Any) -> None:
        """Change fields of a conversation (no version bump: see `touch_conversation`)."""
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [v.value if hasattr(v, "value") else v for v in fields.values()]
        self.db.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", [*values, cid])

    def touch_conversation(self, cid: str, *, created: bool = False) -> ConversationSummary:
        """Bump the version once for this transaction's changes; returns the new summary."""
        self.db.execute(
            "UPDATE conversations SET version = version + ?, updated_at = ? WHERE id = ?",
            [0 if created else 1, self.now(), cid],
        )
        return self.summary(cid)

    _SUMMARY_SQL = """
        SELECT c.*, d.id AS draft_id, d.flags AS draft_flags,
            EXISTS (SELECT 1 FROM draft_jobs j WHERE j.conversation_id = c.id
                    AND j.state IN ('queued', 'running')) AS drafting
        FROM conversations c
        LEFT JOIN drafts d ON d.conversation_id = c.id AND d.status = 'pending'
    """

    def _summary_from_row(self, row: dict[str, Any]) -> ConversationSummary:
        return ConversationSummary(
            id=row["id"],
            status=row["status"],
            version=row["version"],
            priority=row["priority"],
            holder=row["holder"],
            customer=Customer(
                name=row["customer_name"],
                email=row["customer_email"],
                language=row["customer_language"],
            ),
            escalation_reason=row["escalation_reason"],
            waiting_since=row["waiting_since"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            last_message=row["last_message"],
            flags=json.loads(row["draft_flags"]) if row["draft_flags"] else [],
            draft_id=row["draft_id"],
            drafting=bool(row["drafting"]),
            escalation_detail=row["escalation_detail"] if row["escalation_reason"] else None,
            assignee=row["assignee"],
        )

    def summary(self, cid: str) -> ConversationSummary:
        """One queue row."""
        rows = list(self.db.query(self._SUMMARY_SQL + " WHERE c.id = ?", [cid]))
        return self._summary_from_row(rows[0])

    def detail(self, cid: str) -> ConversationDetail | None:
        """A conversation with its transcript and pending draft."""
        rows = list(self.db.query(self._SUMMARY_SQL + " WHERE c.id = ?", [cid]))
        if not rows:
            return None
        summary = self._summary_from_row(rows[0])
        draft = self.pending_draft(cid)
        return ConversationDetail(
            **summary.model_dump(),
            messages=self.messages(cid),
            draft=draft,
            disclosure_version=rows[0]["disclosure_version"],
        )

    def list_conversations(
        self, query: QueueQuery | None = None, /, **fields: Any
    ) -> Page[ConversationSummary]:
        """The queue, longest waiting first, by keyset pagination (`query` or its fields).

        `q` matches the id or the customer's name or email; `flag` any draft's
        flag; `reason_code` any override's reason (for finding replays).
        """
        query = QueueQuery.of(query, fields)
        status, holder, q, limit, cursor = (
            query.status,
            query.holder,
            query.q,
            query.limit,
            query.cursor,
        )
        flag = query.flag.value if query.flag else None
        reason_code = query.reason_code.value if query.reason_code else None
        where: list[str] = []
        params: list[Any] = []
        if q:
            where.append(
                "(c.id = ? OR lower(c.customer_name) LIKE lower(?) "
                "OR lower(c.customer_email) LIKE lower(?))"
            )
            params.extend([q, f"%{q}%", f"%{q}%"])
        if flag:
            where.append(
                # Flags are a JSON list of plain words: a quoted match is exact.
                "EXISTS (SELECT 1 FROM drafts f WHERE f.conversation_id = c.id AND f.flags LIKE ?)"
            )
            params.append(f'%"{flag}"%')
        if query.find:
            condition, find_params = find_condition(query.find)
            where.append(condition)
            params.extend(find_params)
        if reason_code:
            where.append(
                "EXISTS (SELECT 1 FROM audit r WHERE r.conversation_id = c.id "
                "AND r.reason_code = ?)"
            )
            params.append(reason_code)
        if status is None and query.include_closed:
            pass
        elif status is None:
            where.append("c.status != 'closed'")
        else:
            where.append("c.status = ?")
            params.append(status.value)
        if holder is not None:
            where.append("c.holder = ?")
            params.append(holder)
        key = "(c.waiting_since IS NULL), COALESCE(c.waiting_since, ''), c.created_at, c.id"
        if cursor is not None:
            # The first value is `IS NULL`'s: 0/1 in SQLite, a boolean in PostgreSQL.
            where.append(f"({key}) > ((? = 1), ?, ?, ?)")
            params.extend(decode_cursor(cursor, 4))
        sql = f"{self._SUMMARY_SQL} WHERE {' AND '.join(where) or '1 = 1'} ORDER BY {key} LIMIT ?"
        rows = list(self.db.query(sql, [*params, limit + 1]))
        items = [self._summary_from_row(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(
                [
                    int(last["waiting_since"] is None),
                    last["waiting_since"] or "",
                    last["created_at"],
                    last["id"],
                ]
            )
        return Page[ConversationSummary](items=items, next_cursor=next_cursor)

    # -- messages -----------------------------------------------------------------

    def queue_counts(self) -> dict[str, int]:
        """Open conversations per status."""
        rows = self.db.execute(
            "SELECT status, count(*) FROM conversations WHERE status != 'closed' GROUP BY status"
        )
        return {status: count for status, count in rows}
