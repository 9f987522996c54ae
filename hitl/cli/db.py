"""`hitl db copy`: move a deployment from a SQLite file to PostgreSQL, journal intact."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hitl.cli._common import backend_settings, db_target


def register(sub: Any) -> None:
    """Add `db copy` to the subcommands."""
    p = sub.add_parser("db", help="move a deployment between databases")
    actions = p.add_subparsers(dest="db_action", metavar="ACTION")
    actions.required = True
    c = actions.add_parser(
        "copy",
        help="copy every row from a SQLite file into an empty PostgreSQL database",
        description="Copy a deployment (conversations, journal, operators, knowledge, outbox) "
        "from SQLite into an empty PostgreSQL database, in one transaction, then verify "
        "the journal's hash chain on the copy. Stop the backend first.",
    )
    c.add_argument("--from", dest="source", required=True, metavar="sqlite:///FILE")
    c.add_argument("--to", dest="target", required=True, metavar="postgresql://...")
    c.set_defaults(func=cmd_db_copy)


def cmd_db_copy(args: argparse.Namespace) -> int:
    """Copy, verify the copy's chain, say what moved; exit 1 if the copy does not verify."""
    import psycopg
    import psycopg_pool

    from backend.checkpoints import configured_secret
    from backend.domain.journal import verify_chain
    from backend.store import connect
    from backend.store.copy import NotEmpty, copy_database
    from backend.store.postgres import PostgresStore

    source_path, target_url = db_target(args.source), db_target(args.target)
    if not isinstance(source_path, Path):
        print("hitl: --from must be a SQLite file (sqlite:///FILE or a path)", file=sys.stderr)
        return 2
    if not source_path.exists():
        print(f"hitl: no database at {source_path}", file=sys.stderr)
        return 2
    if not isinstance(target_url, str):
        print("hitl: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    source = connect(source_path)
    try:
        target = connect(target_url)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        print(f"hitl: cannot open {target_url}: {exc}", file=sys.stderr)
        return 2
    assert isinstance(target, PostgresStore)

    def progress(table: str, rows: int) -> None:
        print(f"\r{table}: {rows} rows", end="", file=sys.stderr, flush=True)

    try:
        report = copy_database(source, target, progress)
        print(file=sys.stderr)
        # The journal's key: configured (HITL_SECRET, a secret file) or kept in the database.
        secret = configured_secret(backend_settings()) or source.get_meta("secret")
        result = verify_chain(target.audit_rows(), secret) if secret else None
    except NotEmpty as exc:
        print(f"\nhitl: {exc}: copy into an empty database", file=sys.stderr)
        return 2
    finally:
        source.close()
        target.close()
    total = sum(report.rows.values())
    print(f"copied {total} rows in {len(report.rows)} tables to {target_url}")
    if result is None:
        print("the journal is empty (no secret yet): nothing to verify")
        return 0
    if not result.ok:
        print(f"FAILED: the copy's journal breaks at entry {result.first_bad}: {result.reason}")
        return 1
    print(f"journal ok: {result.entries} entries, head {result.head}")
    return 0
