"""All SQL lives here: the schema, its migrations, and every read and write.

One `Store` wraps one SQLite connection (WAL, synchronous=FULL, foreign
keys). Writes happen inside `transaction()`; events appended during it are
handed to the listeners only after the transaction commits, so a stream
never shows a change that was rolled back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from backend_client import (
    Action,
    AuditEntry,
    Author,
    BotIdentity,
    ConversationDetail,
    ConversationStatus,
    ConversationSummary,
    Customer,
    Draft,
    DraftStatus,
    Event,
    EventType,
    Message,
    Operator,
    Page,
    Role,
    Source,
)

from . import journal
from .metrics import DRAFT_ACTIONS, DecisionRow

migrations = Migrations("hitl")

PREVIEW_LENGTH = 120
ERASED = "[erased]"
"""What stands where erased personal data was."""


@migrations()
def m001_initial(db: Database) -> None:
    """The first schema."""
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE operators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            priority INTEGER NOT NULL DEFAULT 0,
            holder TEXT REFERENCES operators(id),
            customer_name TEXT NOT NULL,
            customer_email TEXT,
            customer_token_hash TEXT NOT NULL,
            escalation_reason TEXT,
            waiting_since TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_message TEXT NOT NULL DEFAULT '',
            low_confidence_streak INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX conversations_queue ON conversations (
            status, (waiting_since IS NULL), waiting_since, created_at, id);
        CREATE INDEX conversations_holder ON conversations (holder);
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            operator TEXT,
            draft_id TEXT
        );
        CREATE INDEX messages_conversation ON messages (conversation_id, seq);
        CREATE TABLE drafts (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            text TEXT NOT NULL,
            confidence REAL NOT NULL,
            rationale TEXT NOT NULL,
            sources TEXT NOT NULL,
            flags TEXT NOT NULL,
            status TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            send_at TEXT,
            bot_name TEXT,
            bot_model TEXT,
            instruction TEXT,
            decided_by TEXT,
            decided_at TEXT,
            final_text TEXT
        );
        CREATE INDEX drafts_conversation ON drafts (conversation_id, seq);
        CREATE INDEX drafts_pending ON drafts (status, send_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL,
            at TEXT NOT NULL,
            conversation_id TEXT,
            data TEXT NOT NULL
        );
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            reason_code TEXT,
            note TEXT,
            conversation_id TEXT,
            draft_id TEXT,
            bot_name TEXT,
            bot_model TEXT,
            ai_text_hmac TEXT,
            final_text_hmac TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX audit_actor ON audit (actor, seq);
        CREATE INDEX audit_action ON audit (action, seq);
        CREATE INDEX audit_reason ON audit (reason_code, seq);
        CREATE INDEX audit_conversation ON audit (conversation_id, seq);
        CREATE INDEX audit_at ON audit (at);
        CREATE TABLE audit_texts (
            seq INTEGER PRIMARY KEY REFERENCES audit(seq),
            ai_text TEXT,
            final_text TEXT
        );
        CREATE VIRTUAL TABLE audit_fts USING fts5(note, ai_text, final_text);
        CREATE TABLE idempotency (
            operator_id TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            response TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (operator_id, key)
        );
        """
    )


@migrations()
def m002_audit_actor_action(db: Database) -> None:
    """The override log's most common pair of filters: one operator's edits, rejections, ..."""
    db.execute("CREATE INDEX audit_actor_action ON audit (actor, action, seq)")


@migrations()
def m003_audit_fts_stemmed(db: Database) -> None:
    """Rebuild the journal's full-text index with Porter stemming.

    'refund' then finds 'refunds' and 'refunded' with exact terms, instead of
    prefix queries, whose doclists FTS5 materialises whole (slow at a million
    entries).
    """
    db.executescript(
        """
        DROP TABLE audit_fts;
        CREATE VIRTUAL TABLE audit_fts USING fts5(
            note, ai_text, final_text, tokenize='porter unicode61');
        INSERT INTO audit_fts (rowid, note, ai_text, final_text)
            SELECT a.seq, coalesce(a.note, ''), coalesce(t.ai_text, ''),
                   coalesce(t.final_text, '')
            FROM audit a LEFT JOIN audit_texts t ON t.seq = a.seq;
        """
    )


_FIRST_SEQ_AT_OR_AFTER = (
    "coalesce((SELECT seq FROM audit WHERE at >= ? ORDER BY at LIMIT 1), 9223372036854775807)"
)
"""The first entry at or after a time, through the `at` index (times grow with `seq`)."""


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A short random id with a readable prefix (`c_`, `m_`, `d_`, `op_`)."""
    return f"{prefix}_{secrets.token_hex(6)}"


def hash_token(token: str) -> str:
    """Bearer tokens are stored as SHA-256: they are long and random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor holding keyset values."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_cursor(cursor: str, size: int | None = None) -> list[Any]:
    """The keyset values inside a cursor; ValueError when it is not one of ours.

    A cursor comes back from the client, so a forged one must not reach SQL:
    it needs `size` values (when given), each a number or a string.
    """
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("not a valid cursor") from exc
    if not isinstance(values, list) or (size is not None and len(values) != size):
        raise ValueError("not a valid cursor")
    if not all(isinstance(v, int | float | str) for v in values):
        raise ValueError("not a valid cursor")
    return values


@dataclass(frozen=True)
class OperatorRecord:
    """An authenticated operator."""

    id: str
    name: str
    role: Role

    def wire(self) -> Operator:
        """As the API shows it."""
        return Operator(id=self.id, name=self.name, role=self.role)


EventListener = Callable[[list[Event]], None]


class Store:
    """The database: every query the backend makes."""

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utcnow) -> None:
        memory = str(path) == ":memory:"
        self.path: Path | None = None if memory else Path(path)
        """The database file, or None for an in-memory database."""
        conn = sqlite3.connect(
            ":memory:" if memory else str(path), check_same_thread=False, isolation_level="DEFERRED"
        )
        self.db = Database(conn)
        if not memory:
            with self.db.ensure_autocommit_on():
                self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        # Erased personal data must not linger in free pages of the file.
        self.db.execute("PRAGMA secure_delete=ON")
        self.db.execute("PRAGMA foreign_keys=ON")
        migrations.apply(self.db)
        self.clock = clock
        self.listeners: list[EventListener] = []
        self._pending: list[Event] = []
        self._depth = 0
        self._lock = threading.RLock()
        self._erased: list[str] = []
        self.erasure_listeners: list[Callable[[str], None]] = []
        """Told the id of each erased conversation, after the erasure committed."""

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def now(self) -> str:
        """The current time as stored."""
        return _iso(self.clock())

    # -- transactions and events --------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One atomic unit of work; events reach listeners only once it commits.

        The backend uses the store from its event loop only, but a test or a
        tool may touch it from another thread: the lock keeps two threads'
        transactions from interleaving on the one connection.
        """
        with self._lock:
            self._depth += 1
            queued = len(self._pending)
            try:
                with self.db.atomic():
                    yield self
            except BaseException:
                # What this level queued was rolled back with it: never announce it.
                del self._pending[queued:]
                if self._depth == 1:
                    self._erased.clear()
                raise
            finally:
                self._depth -= 1
            if self._depth == 0 and self._erased:
                erased, self._erased = self._erased, []
                for cid in erased:
                    for erasure_listener in self.erasure_listeners:
                        erasure_listener(cid)
            if self._depth == 0 and self._pending:
                committed, self._pending = self._pending, []
                for listener in self.listeners:
                    listener(committed)

    def append_event(
        self, type: EventType, conversation_id: str | None, data: dict[str, Any]
    ) -> Event:
        """Append an event in the current transaction."""
        at = self.now()
        cursor = self.db.execute(
            "INSERT INTO events (type, at, conversation_id, data) VALUES (?, ?, ?, ?)",
            [type.value, at, conversation_id, json.dumps(data)],
        )
        assert cursor.lastrowid is not None
        event = Event(
            id=cursor.lastrowid,
            type=type,
            at=datetime.fromisoformat(at),
            conversation_id=conversation_id,
            data=data,
        )
        self._pending.append(event)
        return event

    def events_after(self, after: int, limit: int = 1000) -> list[Event]:
        """Events with an id above `after`, oldest first."""
        rows = self.db.execute(
            "SELECT id, type, at, conversation_id, data FROM events WHERE id > ? "
            "ORDER BY id LIMIT ?",
            [after, limit],
        ).fetchall()
        return [
            Event(id=r[0], type=r[1], at=r[2], conversation_id=r[3], data=json.loads(r[4]))
            for r in rows
        ]

    def event_bounds(self) -> tuple[int, int]:
        """The oldest id retention still keeps and the newest id given out ((0, 0) before any).

        Retention trims from the old end; an erasure removes events of one
        conversation from the middle. Only the first makes a client's position
        unreachable, so the bound comes from what retention trimmed, not from
        the oldest row left.
        """
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        high = row[0] if row else 0
        if not high:
            return (0, 0)
        return (int(self.get_meta("events_trimmed_through") or 0) + 1, high)

    def trim_events(self, keep: int) -> None:
        """Forget all but the newest `keep` events."""
        with self.transaction():
            cutoff = self.event_bounds()[1] - keep
            if cutoff >= self.event_bounds()[0]:
                self.db.execute("DELETE FROM events WHERE id <= ?", [cutoff])
                self.set_meta("events_trimmed_through", str(cutoff))

    # -- meta -----------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A stored setting, or None."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting (inside or outside a transaction)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    def secret(self, configured: str | None) -> str:
        """The journal's HMAC key: the configured one, or one made once and kept here."""
        if configured:
            return configured
        stored = self.get_meta("secret")
        if stored is None:
            stored = secrets.token_hex(32)
            self.set_meta("secret", stored)
        return stored

    # -- operators --------------------------------------------------------------

    def add_operator(self, name: str, role: Role) -> tuple[OperatorRecord, str]:
        """Create an operator; returns it and its bearer token (never stored in clear)."""
        token = "hitl_" + secrets.token_urlsafe(32)
        record = OperatorRecord(id=new_id("op"), name=name, role=role)
        with self.transaction():
            self.db.execute(
                "INSERT INTO operators (id, name, role, token_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [record.id, name, role.value, hash_token(token), self.now()],
            )
        return record, token

    def operator_by_token(self, token: str) -> OperatorRecord | None:
        """The operator a bearer token belongs to."""
        row = self.db.execute(
            "SELECT id, name, role FROM operators WHERE token_hash = ?", [hash_token(token)]
        ).fetchone()
        return OperatorRecord(id=row[0], name=row[1], role=Role(row[2])) if row else None

    def operator_name(self, operator_id: str | None) -> str | None:
        """An operator's display name."""
        if operator_id is None:
            return None
        row = self.db.execute("SELECT name FROM operators WHERE id = ?", [operator_id]).fetchone()
        return row[0] if row else operator_id

    def list_operators(self) -> list[OperatorRecord]:
        """Every operator."""
        rows = self.db.execute("SELECT id, name, role FROM operators ORDER BY created_at")
        return [OperatorRecord(id=r[0], name=r[1], role=Role(r[2])) for r in rows]

    # -- conversations ----------------------------------------------------------

    def create_conversation(self, customer: Customer, customer_token: str) -> str:
        """Insert a new conversation (in the current transaction); returns its id."""
        cid = new_id("c")
        now = self.now()
        self.db.execute(
            "INSERT INTO conversations (id, status, customer_name, customer_email, "
            "customer_token_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                cid,
                ConversationStatus.BOT.value,
                customer.name,
                customer.email,
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
        """Change fields of a conversation (no version bump: see `publish_conversation`)."""
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [v.value if hasattr(v, "value") else v for v in fields.values()]
        self.db.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", [*values, cid])

    def publish_conversation(self, cid: str, *, created: bool = False) -> ConversationSummary:
        """Bump the version once for this transaction's changes and announce the new summary."""
        self.db.execute(
            "UPDATE conversations SET version = version + ?, updated_at = ? WHERE id = ?",
            [0 if created else 1, self.now(), cid],
        )
        summary = self.summary(cid)
        kind = EventType.CONVERSATION_CREATED if created else EventType.CONVERSATION_UPDATED
        self.append_event(kind, cid, summary.model_dump(mode="json"))
        return summary

    _SUMMARY_SQL = """
        SELECT c.*, d.id AS draft_id, d.flags AS draft_flags
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
            customer=Customer(name=row["customer_name"], email=row["customer_email"]),
            escalation_reason=row["escalation_reason"],
            waiting_since=row["waiting_since"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            last_message=row["last_message"],
            flags=json.loads(row["draft_flags"]) if row["draft_flags"] else [],
            draft_id=row["draft_id"],
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
        return ConversationDetail(**summary.model_dump(), messages=self.messages(cid), draft=draft)

    def list_conversations(
        self,
        *,
        status: ConversationStatus | None,
        holder: str | None,
        limit: int,
        cursor: str | None,
        q: str | None = None,
        flag: str | None = None,
        reason_code: str | None = None,
        include_closed: bool = False,
    ) -> Page[ConversationSummary]:
        """The queue, longest waiting first, by keyset pagination.

        `q` matches the id or the customer's name or email; `flag` any draft's
        flag; `reason_code` any override's reason (for finding replays).
        """
        where: list[str] = []
        params: list[Any] = []
        if q:
            where.append("(c.id = ? OR c.customer_name LIKE ? OR c.customer_email LIKE ?)")
            params.extend([q, f"%{q}%", f"%{q}%"])
        if flag:
            where.append(
                "EXISTS (SELECT 1 FROM drafts f, json_each(f.flags) j "
                "WHERE f.conversation_id = c.id AND j.value = ?)"
            )
            params.append(flag)
        if reason_code:
            where.append(
                "EXISTS (SELECT 1 FROM audit r WHERE r.conversation_id = c.id "
                "AND r.reason_code = ?)"
            )
            params.append(reason_code)
        if status is None and include_closed:
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
            where.append(f"({key}) > (?, ?, ?, ?)")
            params.extend(decode_cursor(cursor, 4))
        sql = f"{self._SUMMARY_SQL} WHERE {' AND '.join(where) or '1'} ORDER BY {key} LIMIT ?"
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

    def add_message(
        self,
        cid: str,
        author: Author,
        text: str,
        *,
        operator: str | None = None,
        draft_id: str | None = None,
    ) -> Message:
        """Deliver a message (in the current transaction) and announce it."""
        mid = new_id("m")
        now = self.now()
        self.db.execute(
            "INSERT INTO messages (id, conversation_id, author, text, created_at, operator, "
            "draft_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [mid, cid, author.value, text, now, operator, draft_id],
        )
        self.update_conversation(cid, last_message=text[:PREVIEW_LENGTH])
        message = Message(
            id=mid,
            conversation_id=cid,
            author=author,
            text=text,
            created_at=datetime.fromisoformat(now),
            operator=operator,
            draft_id=draft_id,
            ai_generated=author is Author.AI,
        )
        self.append_event(EventType.MESSAGE_CREATED, cid, message.model_dump(mode="json"))
        return message

    def messages(self, cid: str, after: str | None = None) -> list[Message]:
        """A conversation's delivered messages in order, optionally after message `after`."""
        sql = "SELECT * FROM messages WHERE conversation_id = ?"
        params: list[Any] = [cid]
        if after is not None:
            sql += " AND seq > COALESCE((SELECT seq FROM messages WHERE id = ?), 0)"
            params.append(after)
        rows = self.db.query(sql + " ORDER BY seq", params)
        return [
            Message(
                id=r["id"],
                conversation_id=r["conversation_id"],
                author=r["author"],
                text=r["text"],
                created_at=r["created_at"],
                operator=r["operator"],
                draft_id=r["draft_id"],
                ai_generated=r["author"] == Author.AI.value,
            )
            for r in rows
        ]

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

    # -- drafts ---------------------------------------------------------------------

    def _draft_from_row(self, r: dict[str, Any]) -> Draft:
        bot = BotIdentity(name=r["bot_name"], model=r["bot_model"]) if r["bot_name"] else None
        return Draft(
            id=r["id"],
            conversation_id=r["conversation_id"],
            text=r["text"],
            confidence=r["confidence"],
            rationale=r["rationale"],
            sources=[Source(**s) for s in json.loads(r["sources"])],
            flags=json.loads(r["flags"]),
            status=r["status"],
            version=r["version"],
            created_at=r["created_at"],
            send_at=r["send_at"],
            bot=bot,
            instruction=r["instruction"],
            decided_by=r["decided_by"],
            decided_at=r["decided_at"],
            final_text=r["final_text"],
        )

    def add_draft(
        self,
        cid: str,
        *,
        text: str,
        confidence: float,
        rationale: str,
        sources: list[Source],
        flags: list[str],
        bot: BotIdentity,
        instruction: str | None,
        send_at: str | None,
    ) -> Draft:
        """Insert a pending draft (in the current transaction) and announce it."""
        did = new_id("d")
        self.db.execute(
            "INSERT INTO drafts (id, conversation_id, text, confidence, rationale, sources, "
            "flags, status, created_at, send_at, bot_name, bot_model, instruction) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
            [
                did,
                cid,
                text,
                confidence,
                rationale,
                json.dumps([s.model_dump() for s in sources]),
                json.dumps(sorted(flags)),
                self.now(),
                send_at,
                bot.name,
                bot.model,
                instruction,
            ],
        )
        draft = self.draft(did)
        assert draft is not None
        self.append_event(EventType.DRAFT_CREATED, cid, draft.model_dump(mode="json"))
        return draft

    def draft(self, did: str) -> Draft | None:
        """A draft by id."""
        rows = list(self.db.query("SELECT * FROM drafts WHERE id = ?", [did]))
        return self._draft_from_row(rows[0]) if rows else None

    def pending_draft(self, cid: str) -> Draft | None:
        """The draft waiting for a decision in a conversation, if any."""
        rows = list(
            self.db.query(
                "SELECT * FROM drafts WHERE conversation_id = ? AND status = 'pending' "
                "ORDER BY seq DESC LIMIT 1",
                [cid],
            )
        )
        return self._draft_from_row(rows[0]) if rows else None

    def drafts_of(self, cid: str) -> list[Draft]:
        """Every draft of a conversation, oldest first."""
        rows = self.db.query("SELECT * FROM drafts WHERE conversation_id = ? ORDER BY seq", [cid])
        return [self._draft_from_row(r) for r in rows]

    def decide_draft(
        self,
        did: str,
        status: DraftStatus,
        *,
        decided_by: str | None,
        final_text: str | None = None,
    ) -> Draft:
        """Record a draft's fate (in the current transaction), bump its version, announce it."""
        self.db.execute(
            "UPDATE drafts SET status = ?, version = version + 1, decided_by = ?, "
            "decided_at = ?, final_text = ?, send_at = NULL WHERE id = ?",
            [status.value, decided_by, self.now(), final_text, did],
        )
        draft = self.draft(did)
        assert draft is not None
        self.append_event(
            EventType.DRAFT_DECIDED, draft.conversation_id, draft.model_dump(mode="json")
        )
        return draft

    def due_drafts(self) -> list[Draft]:
        """Pending drafts whose hold window has passed."""
        rows = self.db.query(
            "SELECT * FROM drafts WHERE status = 'pending' AND send_at IS NOT NULL "
            "AND send_at <= ? ORDER BY send_at",
            [self.now()],
        )
        return [self._draft_from_row(r) for r in rows]

    # -- audit journal ----------------------------------------------------------------

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
        """Append one entry to the hash chain (in the current transaction) and announce it."""
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
        self.append_event(EventType.AUDIT_APPENDED, conversation_id, entry.model_dump(mode="json"))
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

    def list_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        reason_code: str | None = None,
        conversation: str | None = None,
        since: str | None = None,
        until: str | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[AuditEntry]:
        """The journal, newest first, filtered, by keyset pagination on `seq`.

        Entries are appended under the store's lock with the time of writing,
        so `at` grows with `seq`: a time range becomes a `seq` range found
        through the `at` index, and the page is then read backwards along
        `seq` and stops at `limit`. Text search is driven from the FTS index
        in descending rowid order for the same reason.
        """
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
            params.append(since)
        if until is not None:
            where.append(f"a.seq < {_FIRST_SEQ_AT_OR_AFTER}")
            params.append(until)
        if cursor is not None:
            where.append("a.seq < ?")
            params.append(int(decode_cursor(cursor)[0]))
        if q:
            sql = (
                "SELECT a.*, t.ai_text, t.final_text, o.name AS actor_name FROM audit_fts f "
                "JOIN audit a ON a.seq = f.rowid LEFT JOIN audit_texts t ON t.seq = a.seq "
                "LEFT JOIN operators o ON o.id = a.actor WHERE audit_fts MATCH ?"
            )
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

    def erase_conversation(self, cid: str) -> None:
        """Forget what a customer and anyone answering them wrote (GDPR art. 17).

        Messages, drafts, the customer's name and email, the journal's texts,
        the stored events and the remembered responses of decision calls that
        carried them. System messages (the disclosure) stay; the journal keeps
        its entries and HMACs, so the chain still verifies. Erasure listeners
        hear of it after the commit, to drop copies they keep in memory.
        """
        with self.transaction():
            self.db.execute(
                "UPDATE messages SET text = ? WHERE conversation_id = ? AND author != 'system'",
                [ERASED, cid],
            )
            self.db.execute(
                "UPDATE drafts SET text = ?, rationale = ?, instruction = NULL, final_text = NULL "
                "WHERE conversation_id = ?",
                [ERASED, ERASED, cid],
            )
            self.db.execute(
                "UPDATE conversations SET customer_name = ?, customer_email = NULL, "
                "last_message = ? WHERE id = ?",
                [ERASED, ERASED, cid],
            )
            self.erase_audit_texts(cid)
            self.db.execute("DELETE FROM events WHERE conversation_id = ?", [cid])
            self.db.execute("DELETE FROM idempotency WHERE response LIKE ?", [f"%{cid}%"])
            # Events this transaction queued before the erasure carry the texts too.
            self._pending = [e for e in self._pending if e.conversation_id != cid]
            self._erased.append(cid)

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

    def queue_counts(self) -> dict[str, int]:
        """Open conversations per status."""
        rows = self.db.execute(
            "SELECT status, count(*) FROM conversations WHERE status != 'closed' GROUP BY status"
        )
        return {status: count for status, count in rows}

    def override_entries(
        self, *, since: str | None, reason_code: str | None, after_seq: int, limit: int
    ) -> list[dict[str, Any]]:
        """Journal entries that overrode a draft (edit, reject, regenerate), oldest first."""
        where = ["a.action IN ('edit', 'reject', 'regenerate')", "a.seq > ?"]
        params: list[Any] = [after_seq]
        if since is not None:
            where.append("a.at >= ?")
            params.append(since)
        if reason_code is not None:
            where.append("a.reason_code = ?")
            params.append(reason_code)
        sql = f"{self._AUDIT_SQL} WHERE {' AND '.join(where)} ORDER BY a.seq LIMIT ?"
        return list(self.db.query(sql, [*params, limit]))

    def reply_after(self, cid: str, at: str) -> str | None:
        """The first text a person let out after `at`: a human message or an approved AI one."""
        row = self.db.execute(
            "SELECT text FROM messages WHERE conversation_id = ? AND created_at >= ? "
            "AND (author = 'human' OR (author = 'ai' AND operator IS NOT NULL)) "
            "ORDER BY seq LIMIT 1",
            [cid, at],
        ).fetchone()
        return row[0] if row else None

    # -- idempotency ---------------------------------------------------------------------

    def idempotent_response(self, operator_id: str, key: str) -> tuple[str, str] | None:
        """The (fingerprint, response JSON) stored for an operator's Idempotency-Key."""
        row = self.db.execute(
            "SELECT fingerprint, response FROM idempotency WHERE operator_id = ? AND key = ?",
            [operator_id, key],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def remember_response(
        self, operator_id: str, key: str, fingerprint: str, response: str
    ) -> None:
        """Keep the first response to an Idempotency-Key."""
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO idempotency (operator_id, key, fingerprint, response, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                [operator_id, key, fingerprint, response, self.now()],
            )


def _fts_query(text: str) -> str:
    """Free text as an FTS5 query: every word must appear (stemmed, so forms of it match)."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    return " AND ".join(f'"{w}"' for w in words) or '""'


def read_audit_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The journal with its texts, in `seq` order, through a read-only connection of its own.

    For work that takes long (verifying a million entries) on a thread other
    than the backend's loop, which keeps serving meanwhile: WAL lets readers
    and the writer proceed together.
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        yield from Database(conn).query(Store._AUDIT_SQL + " ORDER BY a.seq")
    finally:
        conn.close()
