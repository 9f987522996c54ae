"""The store: a `StoreProtocol` the service depends on, and its SQLite implementation.

SQLite is split by aggregate (`schema`, `conversations`, `messages`, `drafts`,
`audit`, `events`, `operators`, `idempotency`), each a set of rows methods on
one connection that `SQLiteStore` combines. `Store` is the SQLite store, the
thing the CLI, the tests and the benchmarks open by path.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..db_url import is_postgres_url
from .audit import read_audit_rows
from .common import (
    ERASED,
    INT_MAX,
    EventListener,
    OperatorRecord,
    decode_cursor,
    encode_cursor,
    hash_token,
    new_id,
    utcnow,
)
from .protocol import StoreProtocol
from .sqlite import SQLiteStore

Store = SQLiteStore
"""The SQLite store, opened by path (the CLI, the tests and the benchmarks use this name)."""


def connect(target: str | Path, *, clock: Callable[[], datetime] = utcnow) -> SQLiteStore:
    """The store at `target`: a `postgresql://` URL, or a SQLite file (`:memory:` too)."""
    if is_postgres_url(target):
        from .postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(str(target), clock=clock)
    return SQLiteStore(target, clock=clock)


__all__ = [
    "ERASED",
    "INT_MAX",
    "EventListener",
    "OperatorRecord",
    "SQLiteStore",
    "Store",
    "connect",
    "StoreProtocol",
    "decode_cursor",
    "encode_cursor",
    "hash_token",
    "new_id",
    "read_audit_rows",
    "utcnow",
]
