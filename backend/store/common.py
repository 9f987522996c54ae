"""What every part of the SQLite store shares: the connection, transactions, ids, cursors."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from backend_client import (
    Event,
    EventType,
    Operator,
    Role,
)

from .schema import migrations

PREVIEW_LENGTH = 120
"""How much of the latest message a queue row keeps."""
ERASED = "[erased]"
"""What stands where erased personal data was."""
INT_MAX = 2**63 - 1
"""The largest integer either database stores: a number from outside that reaches SQL is
checked against it first (SQLite raises OverflowError past it, PostgreSQL an error)."""


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
    if not isinstance(values, list) or not values or (size is not None and len(values) != size):
        raise ValueError("not a valid cursor")
    if not all(_keyset_value(v) for v in values):
        raise ValueError("not a valid cursor")
    return values


def _keyset_value(value: Any) -> bool:
    """A value SQL can bind: a string, a finite float, or an int that fits 64 bits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -INT_MAX - 1 <= value <= INT_MAX
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str)


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


@dataclass(frozen=True)
class UnwrittenEvent:
    """An event appended in the open transaction: its id comes when it is written, at commit."""

    type: EventType
    at: str
    conversation_id: str | None
    data: dict[str, Any]


class Connection:
    """One SQLite connection (WAL, synchronous=FULL, foreign keys), its transactions and settings.

    Writes happen inside `transaction()`; events appended during it are handed
    to the listeners only after the transaction commits, so a stream never
    shows a change that was rolled back.
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utcnow) -> None:
        memory = str(path) == ":memory:"
        self.path: Path | str | None = None if memory else Path(path)
        """Where a second connection opens this database: the file (a URL on PostgreSQL)."""
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
        self._init_state(clock)

    dialect = "sqlite"
    """Which SQL dialect `db` speaks: the few statements that differ ask this."""

    def _init_state(self, clock: Callable[[], datetime]) -> None:
        """What every store keeps besides its connection: clock, listeners, pending events."""
        self.clock = clock
        self.process_id = secrets.token_hex(4)
        """This backend process among others on one database (leases name it)."""
        self.listeners: list[EventListener] = []
        self.event_hooks: list[Callable[[Event], None]] = []
        """Called inside the transaction for each appended event (the outbox writes its rows)."""
        self._unwritten: list[UnwrittenEvent] = []
        """Events appended in the open transaction, written to the table as it commits."""
        self._pending: list[Event] = []
        """Events written by the committing transaction, for the listeners once it has."""
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

    def later(self, seconds: float) -> str:
        """`seconds` from now (before now when negative), as stored: comparable with `now()`."""
        return _iso(self.clock() + timedelta(seconds=seconds))

    # -- transactions and events --------------------------------------------

    @contextmanager
    def transaction(self, *, scope: Sequence[str] = ()) -> Iterator[Connection]:
        """One atomic unit of work; events reach listeners only once it commits.

        `scope` names what the transaction decides on (`conversation:<id>`,
        `operator:<id>`) when that is all it reads to decide and all it
        writes, besides the journal and the events. SQLite has one writer
        anyway; on PostgreSQL, transactions with disjoint scopes run side by
        side, and one without a scope runs alone (`postgres.PgDatabase.atomic`).
        The outermost transaction's scope holds for the nested ones.

        The backend uses the store from its event loop only, but a test or a
        tool may touch it from another thread: the lock keeps two threads'
        transactions from interleaving on the one connection.
        """
        with self._lock:
            self._depth += 1
            queued = len(self._unwritten)
            try:
                with self._atomic(scope):
                    yield self
                    if self._depth == 1:
                        self._before_commit()
            except BaseException:
                # What this level queued was rolled back with it: never announce it.
                del self._unwritten[queued:]
                if self._depth == 1:
                    self._pending.clear()
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
                self._announce(committed)

    def _atomic(self, scope: Sequence[str]) -> AbstractContextManager[Any]:
        """The engine's transaction (or savepoint, nested); one SQLite writer needs no scope."""
        return self.db.atomic()

    def widen_scope(self, *names: str) -> None:
        """Add `names` to the current transaction's scope, for a thing it learns it decides
        on only once it has read (the chat a Chatwoot conversation is linked to). Before
        any journal entry or event: nothing to do with one SQLite writer."""

    def _before_commit(self) -> None:
        """Last step inside the outermost transaction (the events are written here)."""

    def _lock_appends(self) -> None:
        """Before appending to what every process shares in order (the journal, the events):
        nothing to do with one SQLite writer (PostgreSQL takes its append lock here)."""

    def _announce(self, committed: list[Event]) -> None:
        """Hand committed events to the listeners (one process: straight from memory)."""
        for listener in self.listeners:
            listener(committed)

    def newest_event_id(self) -> int:
        """The highest event id given out so far (0 before any)."""
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        return int(row[0]) if row else 0

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
