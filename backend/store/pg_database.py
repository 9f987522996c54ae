"""PostgreSQL's side of the store's connection: a psycopg pool that speaks sqlite-utils.

The rows classes call `execute`, `query` and `atomic` as they do on
sqlite-utils' `Database`; `PgDatabase` offers the same on a psycopg 3 pool,
rewriting `?` placeholders, and takes the advisory locks that let several
processes write side by side (`postgres` says which and why).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.adapt import Dumper
from psycopg.types.numeric import FloatLoader
from psycopg_pool import ConnectionPool

WRITE_LOCK = 0x6869746C  # "hitl"
"""The advisory lock every write transaction holds: alone without a scope, shared with one."""
APPEND_LOCK = WRITE_LOCK + 1
"""Held from a scoped transaction's first journal entry or event write to its commit."""
SCOPE_LOCKS = 0x6869
"""The first key of the (two-key) advisory locks on the things a scope names."""
POOL_SIZE = 8
"""Connections one process keeps: a transaction holds one, reads borrow one per query."""


@lru_cache(maxsize=2048)
def to_pg(sql: str) -> str:
    """A statement with `?` placeholders as psycopg wants it (`%s`, and `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _BoolAsInt(Dumper):
    """Booleans are stored as 0/1 in INTEGER columns, as SQLite does."""

    oid = psycopg.postgres.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class Result:
    """A statement's rows, fetched before its connection went back to the pool."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        result = cursor.pgresult
        self._rows: list[tuple[Any, ...]] = cursor.fetchall() if result and result.nfields else []
        self._next = 0

    @property
    def description(self) -> Any:
        """The columns (built on demand: most statements never ask)."""
        return self._cursor.description

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


class PgDatabase:
    """What the rows classes ask of sqlite-utils' `Database`, on a psycopg pool."""

    dialect = "postgresql"

    def __init__(self, url: str, *, size: int = POOL_SIZE) -> None:
        self.url = url
        # One plain connection first: a wrong URL fails at once with the server's reason,
        # not after the pool's timeout with its own.
        psycopg.connect(url, connect_timeout=10).close()
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True},
            configure=self._configure,
            open=False,
        )
        self.pool.open(wait=True, timeout=10)
        self._local = threading.local()
        self.lock_held = 0.0
        """Seconds this process's transactions ran alone (the write lock without a scope, or
        the append lock), over `writes` transactions."""
        self.writes = 0

    @staticmethod
    def _configure(conn: psycopg.Connection[Any]) -> None:
        conn.adapters.register_dumper(bool, _BoolAsInt)
        conn.adapters.register_loader("numeric", FloatLoader)

    def close(self) -> None:
        self.pool.close()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
        else:
            with self.pool.connection() as conn:
                yield conn

    def execute(self, sql: str, parameters: Any = ()) -> Result:
        with self._connection() as conn:
            return Result(conn.execute(to_pg(sql), list(parameters)))

    def executescript(self, sql: str) -> None:
        with self._connection() as conn:
            conn.execute(sql.encode())

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows (`hitl db copy`), psycopg sending them in a pipeline."""
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.executemany(to_pg(sql), rows)

    def query(self, sql: str, parameters: Any = ()) -> Iterator[dict[str, Any]]:
        result = self.execute(sql, parameters)
        names = [c.name for c in result.description or ()]
        return iter([dict(zip(names, row, strict=True)) for row in result.fetchall()])

    @contextlib.contextmanager
    def atomic(self, scope: Sequence[str] = ()) -> Iterator[PgDatabase]:
        """A transaction holding the write lock (shared with a `scope`); nested ones are
        savepoints, under the outermost one's locks."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            with current.transaction():
                yield self
            return
        with self.pool.connection() as conn:
            self._local.conn = conn
            self._local.notes = []
            self._local.alone_since = None
            self._local.scoped = bool(scope)
            try:
                # BEGIN and the locks in one round trip, the notifications and COMMIT in
                # another.
                conn.execute(_begin(scope))
                if not scope:
                    self._local.alone_since = time.perf_counter()
                try:
                    yield self
                except BaseException:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute(b"ROLLBACK")
                    raise
                notes = [
                    sql.SQL("SELECT pg_notify({}, {})").format(sql.Literal(c), sql.Literal(p))
                    for c, p in self._local.notes
                ]
                conn.execute(sql.SQL("; ").join([*notes, sql.SQL("COMMIT")]))
            finally:
                self._local.conn = None
            # Every other process's writers wait this long (see bench_processes).
            if self._local.alone_since is not None:
                self.lock_held += time.perf_counter() - self._local.alone_since
            self.writes += 1

    def lock_appends(self) -> None:
        """Take the append lock, to commit, unless this transaction already runs alone."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.alone_since is None:
            conn.execute(f"SELECT pg_advisory_xact_lock({APPEND_LOCK})".encode())
            self._local.alone_since = time.perf_counter()

    def lock_scope(self, names: Sequence[str]) -> None:
        """Lock more things a scoped transaction decides on, in the order given.

        Only before its first append: locks are taken in one order (write lock, scope,
        append lock), and a scope lock waited for under the append lock could deadlock.
        A transaction without a scope runs alone already: nothing to take.
        """
        conn = getattr(self._local, "conn", None)
        if conn is None or not self._local.scoped:
            return
        if self._local.alone_since is not None:
            raise RuntimeError("a scope widened after the transaction's first append")
        if names:
            conn.execute("; ".join(f"SELECT {_scope_lock(n)}" for n in names).encode())

    def notify_at_commit(self, channel: str, payload: str = "") -> None:
        """NOTIFY `channel` with the commit of the current transaction (and not if it fails)."""
        if (channel, payload) not in self._local.notes:
            self._local.notes.append((channel, payload))


def scope_key(name: str) -> int:
    """The advisory lock key of a thing a scope names (a collision only serialises more)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True
    )


def _scope_lock(name: str) -> str:
    """The call that locks a thing a scope names, to the transaction's end."""
    return f"pg_advisory_xact_lock({SCOPE_LOCKS}, {scope_key(name)})"


def _begin(scope: Sequence[str]) -> bytes:
    """BEGIN with the locks a transaction of this scope holds to its end."""
    if not scope:
        return f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})".encode()
    locks = [f"pg_advisory_xact_lock_shared({WRITE_LOCK})"]
    # In the order given (conversation, then operator), after the write lock: one order.
    locks += [_scope_lock(n) for n in dict.fromkeys(scope)]
    return ("BEGIN; " + "; ".join(f"SELECT {lock}" for lock in locks)).encode()
