"""The store: a `StoreProtocol` the service depends on, and its SQLite implementation.

SQLite is split by aggregate (`schema`, `conversations`, `messages`, `drafts`,
`audit`, `events`, `operators`, `idempotency`), each a set of rows methods on
one connection that `SQLiteStore` combines. `Store` is the SQLite store, the
thing the CLI, the tests and the benchmarks open by path.
"""

from .audit import read_audit_rows
from .common import (
    ERASED,
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
"""The store the backend opens today (SQLite); PostgreSQL will be a second `StoreProtocol`."""

__all__ = [
    "ERASED",
    "EventListener",
    "OperatorRecord",
    "SQLiteStore",
    "Store",
    "StoreProtocol",
    "decode_cursor",
    "encode_cursor",
    "hash_token",
    "new_id",
    "read_audit_rows",
    "utcnow",
]
