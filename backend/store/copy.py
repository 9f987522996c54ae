"""Moving a deployment from SQLite to PostgreSQL: every row, the journal's chain intact.

The target is migrated first, so both have the same tables; rows go over
column by column as stored (the journal's hashes cover the stored values, so
nothing may be reformatted on the way), in one transaction: a copy that fails
leaves the target as empty as it was. Identity counters then continue after
the highest copied id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .common import Connection
from .postgres import PgConnection

BATCH = 1000
"""Rows sent to PostgreSQL per round trip."""

SKIP = {"_sqlite_migrations", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}
"""SQLite's own bookkeeping: the target keeps its own."""

FULL_TEXT = {
    # The FTS5 tables' rows, read by their visible columns (PostgreSQL computes the tsvector).
    "audit_fts": "SELECT rowid, note, ai_text, final_text FROM audit_fts",
    "kb_passages": "SELECT title, passage, tags, article_id, position FROM kb_passages",
}


@dataclass
class CopyReport:
    """How many rows each table brought over."""

    rows: dict[str, int] = field(default_factory=dict)


class NotEmpty(Exception):
    """The target already holds a deployment: a copy would mix two journals."""


def _source_tables(source: Connection) -> list[str]:
    rows = source.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    # FTS5 keeps its index in shadow tables named after the table: PostgreSQL builds its own.
    shadows = tuple(f"{name}_" for name in FULL_TEXT)
    return sorted(
        r[0] for r in rows if r[0] not in SKIP and not r[0].startswith(("sqlite_", *shadows))
    )


def _target_columns(target: PgConnection, table: str) -> list[str]:
    rows = target.db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


# Parents before children, for the foreign keys; the rest in name order.
_FIRST = ("meta", "operators", "conversations", "messages", "drafts", "audit")


def copy_database(
    source: Connection,
    target: PgConnection,
    progress: Callable[[str, int], None] = lambda table, rows: None,
) -> CopyReport:
    """Copy every row of `source` (SQLite) into the empty, migrated `target` (PostgreSQL)."""
    if (
        target.db.execute("SELECT count(*) FROM audit").fetchone()[0]
        or target.db.execute("SELECT count(*) FROM conversations").fetchone()[0]
    ):
        raise NotEmpty("the target database already has conversations or a journal")
    tables = _source_tables(source)
    tables.sort(key=lambda t: (_FIRST.index(t) if t in _FIRST else len(_FIRST), t))
    report = CopyReport()
    with target.transaction():
        target.db.execute("DELETE FROM meta")  # a fresh target made its own secret: ours wins
        for table in tables:
            columns = _target_columns(target, table)
            if not columns:
                continue  # a table only SQLite has (none today)
            sql = FULL_TEXT.get(table)
            if sql is None:
                sql = f"SELECT {', '.join(columns)} FROM {table}"
            cursor = source.db.execute(sql)
            names = [d[0] for d in cursor.description]
            insert = (
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            )
            count = 0
            while batch := cursor.fetchmany(BATCH):
                target.pg.executemany(insert, batch)
                count += len(batch)
                progress(table, count)
            report.rows[table] = count
        _continue_identities(target)
    return report


def _continue_identities(target: PgConnection) -> None:
    """Identity columns go on after the highest copied value."""
    rows = target.db.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE is_identity = 'YES' AND table_schema = 'public'"
    ).fetchall()
    for table, column in rows:
        target.db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )
