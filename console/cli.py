"""The `hitl` command line: thin wrappers over the backend, the console and the tools.

Each subcommand parses its arguments and calls one function that does the
work; nothing here decides policy.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from backend.journal import HASHED_FIELDS
from backend_client import ReasonCode, ReviewMode, Role

DEFAULT_PORT = 8765

EPILOG = """\
examples:
  hitl demo                                  backend + simulated customers + console
  hitl serve --db hitl.db                    run the backend on 127.0.0.1:8765
  hitl operator add alice --role agent       create an operator, print its token
  hitl console --url http://127.0.0.1:8765 --token hitl_...
  hitl simulate --url http://127.0.0.1:8765 --customers 20 --rate 2
  hitl audit verify --db hitl.db             check the journal's hash chain
  hitl export pairs --out pairs.jsonl        training pairs from overridden drafts

Settings also come from HITL_* environment variables (HITL_URL, HITL_TOKEN,
HITL_DB_PATH, HITL_REVIEW__MODE, ...).
"""


def _settings(**overrides: Any) -> Any:
    """Backend settings from the environment, with command-line values on top."""
    from backend.settings import Settings

    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)


def _open_store(db: Path | None) -> Any:
    from backend.store import Store

    settings = _settings(db_path=db)
    if str(settings.db_path) != ":memory:" and not Path(settings.db_path).exists():
        raise SystemExit(f"hitl: no database at {settings.db_path} (pass --db PATH)")
    return settings, Store(settings.db_path)


# -- serve -------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the backend with uvicorn."""
    import uvicorn

    from backend.app import create_app
    from backend.settings import ReviewSettings

    review = None
    if args.review_mode is not None:
        review = ReviewSettings(mode=ReviewMode(args.review_mode))
    settings = _settings(db_path=args.db, review=review)
    app = create_app(settings)
    if not app.state.store.list_operators():
        print(
            f"hitl: no operators yet — create one with: hitl operator add NAME --role agent "
            f"--db {settings.db_path}",
            file=sys.stderr,
        )
    print(
        f"hitl backend on http://{args.host}:{args.port}  db={settings.db_path}  "
        f"review={settings.review.mode.value}  bot={settings.bot.kind}",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


# -- operators -----------------------------------------------------------------------


def cmd_operator_add(args: argparse.Namespace) -> int:
    """Create an operator; the token is the last line of output, shown once."""
    from backend.store import Store

    settings = _settings(db_path=args.db)
    store = Store(settings.db_path)
    record, token = store.add_operator(args.name, Role(args.role))
    print(f"created {record.role.value} {record.name} ({record.id}) in {settings.db_path}")
    print("the token is shown once; the database keeps only its hash:")
    print(token)
    return 0


def cmd_operator_list(args: argparse.Namespace) -> int:
    """List operators (never their tokens)."""
    _, store = _open_store(args.db)
    for op in store.list_operators():
        print(f"{op.id}\t{op.role.value}\t{op.name}")
    return 0


# -- simulate ------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    """Drive simulated customers against a backend."""
    from backend.simulator import run_cli

    return run_cli(
        args.url,
        customers=args.customers,
        rate=args.rate,
        duration=args.duration,
        chats=args.chats,
        seed=args.seed,
    )


# -- audit ---------------------------------------------------------------------------


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 when the journal's chain holds, 1 naming the first bad entry otherwise."""
    from backend.journal import Checkpoint, verify_chain

    settings, store = _open_store(args.db)
    checkpoint = None
    if args.checkpoint is not None:
        checkpoint = Checkpoint.loads(Path(args.checkpoint).read_text())
    result = verify_chain(store.audit_rows(), store.secret(settings.secret), checkpoint)
    if result.ok:
        against = f" (matches checkpoint {args.checkpoint})" if checkpoint else ""
        print(f"ok: {result.entries} entries, head {result.head}{against}")
        return 0
    print(f"FAILED at entry {result.first_bad}: {result.reason}", file=sys.stderr)
    print(f"{result.entries} entries verified before it", file=sys.stderr)
    return 1


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    """Print the chain's head (entry count + hash) to keep outside the database."""
    from backend.journal import Checkpoint, verify_chain

    settings, store = _open_store(args.db)
    result = verify_chain(store.audit_rows(), store.secret(settings.secret))
    if not result.ok:
        print(f"refusing: the chain is already broken at entry {result.first_bad}", file=sys.stderr)
        return 1
    line = Checkpoint(entries=result.entries, head=result.head or "").dumps()
    if args.out:
        Path(args.out).write_text(line + "\n")
        print(f"wrote {args.out}", file=sys.stderr)
    print(line)
    return 0


EXPORT_FIELDS = (*HASHED_FIELDS, "hash", "ai_text", "final_text")
"""Every column of a journal entry and its texts, as `hitl audit export` writes them."""


def export_audit(rows: Iterator[dict[str, Any]], fmt: str, out: TextIO, since: str | None) -> int:
    """Write journal rows (with texts) as CSV or JSONL, one at a time; returns the count."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, extrasaction="ignore")
    if fmt == "csv":
        writer.writeheader()
    count = 0
    for row in rows:
        if since is not None and row["at"] < since:
            continue
        if fmt == "csv":
            writer.writerow(row)
        else:
            out.write(json.dumps({k: row.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False))
            out.write("\n")
        count += 1
    return count


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Stream every journal entry with its texts."""
    _, store = _open_store(args.db)
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as out:
            count = export_audit(store.audit_rows(), args.format, out, args.since)
        print(f"wrote {count} entries to {args.out}", file=sys.stderr)
    else:
        export_audit(store.audit_rows(), args.format, sys.stdout, args.since)
    return 0


# -- calls through the API ------------------------------------------------------------


def _console_config(args: argparse.Namespace) -> Any:
    """The console's settings, with --url and --token on top of the environment and file."""
    from console.config import ConsoleConfig

    overrides = {"url": args.url, "token": args.token}
    return ConsoleConfig(**{k: v for k, v in overrides.items() if v is not None})


def _with_backend(args: argparse.Namespace, call: Callable[[Any], Awaitable[None]]) -> int:
    """Run `call` with a client for the configured backend; the exit code says how it went."""
    import asyncio

    from backend_client import AsyncBackendClient, BackendError
    from console.config import MissingTokenError

    config = _console_config(args)
    try:
        token = config.require_token()
    except MissingTokenError as exc:
        print(f"hitl: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        async with AsyncBackendClient(config.url, token) as client:
            await call(client)

    try:
        asyncio.run(run())
    except BackendError as exc:
        print(f"hitl: {config.url}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_export_pairs(args: argparse.Namespace) -> int:
    """Write preference pairs (JSONL) from every edited or rejected draft."""
    from backend_client import ReasonCode
    from console.export import export_pairs

    reason = ReasonCode(args.reason) if args.reason else None

    async def export(client: Any) -> None:
        options = {"since": args.since, "reason": reason, "unmasked": args.unmasked}
        if not args.out:
            await export_pairs(client, sys.stdout, **options)
            return
        with open(args.out, "w", encoding="utf-8") as out:
            count = await export_pairs(client, out, **options)
        print(f"wrote {count} pairs to {args.out}", file=sys.stderr)

    return _with_backend(args, export)


def cmd_erase(args: argparse.Namespace) -> int:
    """Erase a customer's personal data from a conversation, through the API (admin)."""

    async def erase(client: Any) -> None:
        await client.erase(args.conversation)
        print(f"erased the personal data of conversation {args.conversation}; it is closed")

    return _with_backend(args, erase)


# -- console and demo -------------------------------------------------------------------


def cmd_console(args: argparse.Namespace) -> int:
    """Open the console against a running backend."""
    from console.app import make_app

    config = _console_config(args)
    if not config.token:
        print(
            'hitl: no token: pass --token, set HITL_TOKEN, or put token = "..." in the '
            "config file (create one with: hitl operator add NAME --role agent)",
            file=sys.stderr,
        )
        return 2
    make_app(config).run()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Backend + simulated customers + console, nothing to configure."""
    from console.demo import run_demo

    return run_demo(
        db=args.db, customers=args.customers, rate=args.rate, review_mode=args.review_mode
    )


# -- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The `hitl` argument parser."""
    parser = argparse.ArgumentParser(
        prog="hitl",
        description="Put people in charge of a customer-service AI, from a terminal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db", type=Path, help="the SQLite database file (default: $HITL_DB_PATH or hitl.db)"
        )

    modes = [m.value for m in ReviewMode]

    p = sub.add_parser("demo", help="backend + simulated customers + console, no setup")
    p.add_argument("--db", type=Path, help="database file (default: a fresh one in the data dir)")
    p.add_argument("--customers", type=int, default=8, help="concurrent simulated customers")
    p.add_argument("--rate", type=float, default=0.5, help="new chats per second")
    p.add_argument("--review-mode", choices=modes, default="all", help="the review gate")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="run the backend (FastAPI + SQLite)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    db_option(p)
    p.add_argument("--review-mode", choices=modes, help="all (default) | flagged | off")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("console", help="open the console against a running backend")
    p.add_argument("--url", help="backend URL (default $HITL_URL or http://127.0.0.1:8765)")
    p.add_argument("--token", help="operator token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_console)

    p = sub.add_parser("operator", help="manage operators")
    osub = p.add_subparsers(dest="operator_command", metavar="ACTION")
    osub.required = True
    p = osub.add_parser("add", help="create an operator and print its token (last line)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    db_option(p)
    p.set_defaults(func=cmd_operator_add)
    p = osub.add_parser("list", help="list operators")
    db_option(p)
    p.set_defaults(func=cmd_operator_list)

    p = sub.add_parser("simulate", help="drive simulated customers against a backend")
    p.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="backend URL")
    p.add_argument("--customers", type=int, default=20, help="concurrent customers (default 20)")
    p.add_argument("--rate", type=float, default=1.0, help="new chats per second (default 1)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--chats", type=int, help="stop after this many chats")
    p.add_argument("--seed", type=int, default=0, help="scenario choice seed (default 0)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("audit", help="verify, checkpoint and export the audit journal")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    asub.required = True
    p = asub.add_parser("verify", help="check the hash chain; exit 1 naming the first bad entry")
    db_option(p)
    p.add_argument("--checkpoint", help="a file from 'hitl audit checkpoint' to verify against")
    p.set_defaults(func=cmd_audit_verify)
    p = asub.add_parser("checkpoint", help="print the chain head to keep outside the database")
    db_option(p)
    p.add_argument("--out", help="also write it to this file")
    p.set_defaults(func=cmd_audit_checkpoint)
    p = asub.add_parser("export", help="stream every entry with its texts")
    db_option(p)
    p.add_argument("--format", choices=["csv", "jsonl"], default="jsonl")
    p.add_argument("--since", help="only entries at or after this ISO time")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_audit_export)

    p = sub.add_parser(
        "erase",
        help="erase a customer's personal data from a conversation (admin, GDPR art. 17)",
        description="Erases the conversation's messages, drafts, the customer's name and email "
        "and the journal's texts, through the API; the erasure is journaled and the chain "
        "still verifies.",
    )
    p.add_argument("conversation", help="the conversation id (c_...)")
    p.add_argument("--url", help="backend URL (default $HITL_URL or http://127.0.0.1:8765)")
    p.add_argument("--token", help="an admin's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("export", help="export training data from a running backend")
    esub = p.add_subparsers(dest="export_command", metavar="WHAT")
    esub.required = True
    p = esub.add_parser(
        "pairs",
        help="JSONL preference pairs (context, rejected AI draft, chosen human text)",
        description="Every edited, rejected or regenerated draft as a preference pair. What "
        "the token may see follows its role: masked for trainers and supervisors; "
        "--unmasked only for admins.",
    )
    p.add_argument("--url", help="backend URL (default $HITL_URL or http://127.0.0.1:8765)")
    p.add_argument("--token", help="operator token (default $HITL_TOKEN)")
    p.add_argument("--since", help="only decisions at or after this ISO time")
    p.add_argument("--reason", choices=[r.value for r in ReasonCode], help="only this reason")
    p.add_argument("--unmasked", action="store_true", help="personal data unmasked (admin only)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_export_pairs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hitl` command."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
