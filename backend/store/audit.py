"""The audit journal: the hash chain, its texts, the override log and what is read from it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from backend_client import (
    Action,
    AuditEntry,
    AuditQuery,
    BotIdentity,
    Page,
)

from ..db_url import is_postgres_url
from ..domain import journal
from ..domain.metrics import DRAFT_ACTIONS, DecisionRow
from .common import Connection, OperatorRecord, _iso, decode_cursor, encode_cursor

_FIRST_SEQ_AT_OR_AFTER = (
    "coalesce((SELECT seq FROM audit WHERE at >= ? ORDER BY at LIMIT 1), 9223372036854775807)"
)
"""The first entry at or after a time, through the `at` index (times grow with `seq`)."""


class AuditRows(Connection):
    """The journal."""

    def append_audit(
        self,
        secret: str,
        *,
        operator: OperatorRecord,
        action: Action,
        reason_code: str | None,
        note: str | None,
        conversation_id: str | None,
        draft_id: str | None,
        bot: BotIdentity | None,
        ai_text: str | None,
        final_text: str | None,
    ) -> AuditEntry:
        """Append one entry to the hash chain (in the current transaction)."""
        self._lock_appends()
        last = self.db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, journal.GENESIS)
        row: dict[str, Any] = {
            "seq": seq,
            "at": self.now(),
            "actor": operator.id,
            "role": operator.role.value,
            "action": action.value,
            "reason_code": reason_code,
            "note": note,
            "conversation_id": conversation_id,
            "draft_id": draft_id,
            "bot_name": bot.name if bot else None,
            "bot_model": bot.model if bot else None,
            "ai_text_hmac": journal.text_hmac(secret, ai_text),
            "final_text_hmac": journal.text_hmac(secret, final_text),
            "prev_hash": prev_hash,
        }
        row["hash"] = journal.entry_hash(row)
        columns = ", ".join(row)
        self.db.execute(
            f"INSERT INTO audit ({columns}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        self.db.execute(
            "INSERT INTO audit_texts (seq, ai_text, final_text) VALUES (?, ?, ?)",
            [seq, ai_text, final_text],
        )
        self.db.execute(
            "INSERT INTO audit_fts (rowid, note, ai_text, final_text) VALUES (?, ?, ?, ?)",
            [seq, note or "", ai_text or "", final_text or ""],
        )
        entry = self._audit_from_row(
            {**row, "ai_text": ai_text, "final_text": final_text, "actor_name": operator.name}
        )
        return entry

    @staticmethod
    def _audit_from_row(r: dict[str, Any]) -> AuditEntry:
        bot = BotIdentity(name=r["bot_name"], model=r["bot_model"]) if r["bot_name"] else None
        return AuditEntry(
            seq=r["seq"],
            at=r["at"],
            actor=r["actor"],
            actor_name=r.get("actor_name"),
            role=r["role"],
            action=r["action"],
            reason_code=r["reason_code"],
            note=r["note"],
            conversation_id=r["conversation_id"],
            draft_id=r["draft_id"],
            bot=bot,
            ai_text=r.get("ai_text"),
            final_text=r.get("final_text"),
            ai_text_hmac=r["ai_text_hmac"],
            final_text_hmac=r["final_text_hmac"],
            prev_hash=r["prev_hash"],
            hash=r["hash"],
        )

    _AUDIT_SQL = (
        "SELECT a.*, t.ai_text, t.final_text, o.name AS actor_name FROM audit a "
        "LEFT JOIN audit_texts t USING (seq) LEFT JOIN operators o ON o.id = a.actor"
    )

    def audit_rows(self) -> Iterator[dict[str, Any]]:
        """Every journal entry with its texts, in `seq` order (for verification and export)."""
        yield from self.db.query(self._AUDIT_SQL + " ORDER BY a.seq")

    def audit_entries_for(self, cid: str) -> list[AuditEntry]:
        """A conversation's journal entries, in order."""
        rows = self.db.query(self._AUDIT_SQL + " WHERE a.conversation_id = ? ORDER BY a.seq", [cid])
        return [self._audit_from_row(r) for r in rows]

    def list_audit(self, query: AuditQuery | None = None, /, **fields: Any) -> Page[AuditEntry]:
        """The journal, newest first, filtered, by keyset pagination on `seq`.

        Entries are appended under the store's lock with the time of writing,
        so `at` grows with `seq`: a time range becomes a `seq` range found
        through the `at` index, and the page is then read backwards along
        `seq` and stops at `limit`. Text search is driven from the FTS index
        in descending rowid order for the same reason.
        """
        query = AuditQuery.of(query, fields)
        actor, action, reason_code, conversation = (
            query.actor,
            query.action,
            query.reason_code,
            query.conversation,
        )
        since, until, q, limit, cursor = (
            query.since,
            query.until,
            query.q,
            query.limit,
            query.cursor,
        )
        where: list[str] = []
        params: list[Any] = []
        if actor is not None:
            # An operator by id or by name; the subquery keeps the (actor, ...) indexes usable.
            where.append("a.actor IN (SELECT id FROM operators WHERE id = ? OR name = ?)")
            params.extend([actor, actor])
        for column, value in (
            ("a.action", action),
            ("a.reason_code", reason_code),
            ("a.conversation_id", conversation),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append(f"a.seq >= {_FIRST_SEQ_AT_OR_AFTER}")
            params.append(_iso(since))
        if until is not None:
            where.append(f"a.seq < {_FIRST_SEQ_AT_OR_AFTER}")
            params.append(_iso(until))
        if cursor is not None:
            where.append("a.seq < ?")
            params.append(int(decode_cursor(cursor, 1)[0]))
        if q:
            sql = (
                "SELECT a.*, t.ai_text, t.final_text, o.name AS actor_name FROM audit_fts f "
                "JOIN audit a ON a.seq = f.rowid LEFT JOIN audit_texts t ON t.seq = a.seq "
                "LEFT JOIN operators o ON o.id = a.actor WHERE "
            )
            if self.dialect == "postgresql":
                # Every word, stemmed: what the FTS5 query below asks, in tsquery.
                sql += "f.doc @@ plainto_tsquery('english', ?)"
                params.insert(0, " ".join(_words(q)))
            else:
                sql += "audit_fts MATCH ?"
                params.insert(0, _fts_query(q))
            if where:
                sql += " AND " + " AND ".join(where).replace("a.seq <", "f.rowid <")
            order = " ORDER BY f.rowid DESC LIMIT ?"
        else:
            sql = self._AUDIT_SQL
            if where:
                sql += " WHERE " + " AND ".join(where)
            order = " ORDER BY a.seq DESC LIMIT ?"
        rows = list(self.db.query(sql + order, [*params, limit + 1]))
        items = [self._audit_from_row(r) for r in rows[:limit]]
        next_cursor = encode_cursor([rows[limit - 1]["seq"]]) if len(rows) > limit else None
        return Page[AuditEntry](items=items, next_cursor=next_cursor)

    def erase_audit_texts(self, cid: str) -> int:
        """Forget the texts of a conversation's journal entries; the chain stays verifiable."""
        with self.transaction():
            seqs = [
                r[0]
                for r in self.db.execute(
                    "SELECT seq FROM audit WHERE conversation_id = ?", [cid]
                ).fetchall()
            ]
            for seq in seqs:
                self.db.execute(
                    "UPDATE audit_texts SET ai_text = NULL, final_text = NULL WHERE seq = ?", [seq]
                )
                # The index keeps its own copy of the texts: drop them, keep the note searchable.
                self.db.execute(
                    "UPDATE audit_fts SET ai_text = '', final_text = '' WHERE rowid = ?", [seq]
                )
        return len(seqs)

    # -- metrics and training data ------------------------------------------------------

    def decision_rows(self) -> Iterator[DecisionRow]:
        """Every human decision on a draft, with the draft's creation time and flags."""
        actions = tuple(a.value for a in DRAFT_ACTIONS)
        rows = self.db.execute(
            "SELECT a.at, a.actor, a.action, a.reason_code, d.created_at, d.flags "
            "FROM audit a JOIN drafts d ON d.id = a.draft_id "
            f"WHERE a.action IN ({', '.join('?' for _ in actions)}) ORDER BY a.seq",
            actions,
        )
        for at, actor, action, reason, created, flags in rows:
            yield DecisionRow(
                at=datetime.fromisoformat(at),
                actor=actor,
                action=Action(action),
                reason_code=reason,
                draft_created_at=datetime.fromisoformat(created),
                flags=tuple(json.loads(flags)),
            )

    def override_entries(
        self, *, since: str | None, reason_code: str | None, after_seq: int, limit: int
    ) -> list[dict[str, Any]]:
        """Journal entries that overrode a draft (edit, reject, regenerate), oldest first."""
        where = [
            "a.action IN ('edit', 'reject', 'regenerate')",
            "a.seq > ?",
            # Erased people and calibration drafts never become training data.
            "NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = a.conversation_id "
            "AND (c.erased_at IS NOT NULL OR c.calibration_id IS NOT NULL))",
        ]
        params: list[Any] = [after_seq]
        if since is not None:
            where.append("a.at >= ?")
            params.append(since)
        if reason_code is not None:
            where.append("a.reason_code = ?")
            params.append(reason_code)
        sql = f"{self._AUDIT_SQL} WHERE {' AND '.join(where)} ORDER BY a.seq LIMIT ?"
        return list(self.db.query(sql, [*params, limit]))


def _fts_query(text: str) -> str:
    """Free text as an FTS5 query: every word must appear (stemmed, so forms of it match)."""
    return " AND ".join(f'"{w}"' for w in _words(text)) or '""'


def _words(text: str) -> list[str]:
    """The words of a search, punctuation dropped (so no query syntax gets through)."""
    return [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]


def read_audit_rows(path: Path | str) -> Iterator[dict[str, Any]]:
    """The journal with its texts, in `seq` order, through a read-only connection of its own.

    For work that takes long (verifying a million entries) on a thread other
    than the backend's loop, which keeps serving meanwhile: WAL lets readers
    and the writer proceed together. `path` may be a PostgreSQL URL: the rows
    then come through a server-side cursor, a batch at a time.
    """
    if is_postgres_url(path):
        yield from _read_pg_audit_rows(str(path))
        return
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        yield from Database(conn).query(AuditRows._AUDIT_SQL + " ORDER BY a.seq")
    finally:
        conn.close()


def _read_pg_audit_rows(url: str) -> Iterator[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with (
        psycopg.connect(url, row_factory=dict_row) as conn,
        conn.transaction(),
        conn.cursor(name="hitl_verify") as cursor,
    ):
        cursor.execute(AuditRows._AUDIT_SQL + " ORDER BY a.seq")
        yield from cursor
