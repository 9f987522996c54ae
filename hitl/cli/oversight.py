"""`hitl dsr export` (through the API) and `hitl retention run` (on the database)."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend_client import AsyncBackendClient
from hitl.cli._common import URL_HELP, backend_settings, db_option, open_store, with_backend

if TYPE_CHECKING:
    from backend.service import Hitl
    from backend.settings import Settings
    from backend.store import Store


def register(sub: Any) -> None:
    """Add `dsr export` and `retention run` to the subcommands."""
    p = sub.add_parser("dsr", help="data subjects' requests (GDPR art. 15)")
    actions = p.add_subparsers(dest="dsr_command", metavar="ACTION")
    actions.required = True
    p = actions.add_parser(
        "export",
        help="everything held about one person, as one JSON document (admin)",
        description="Every conversation of the person with this email: messages, drafts, the "
        "decisions about them (by role, with reasons) and the AI notice they were shown.",
    )
    p.add_argument("--email", required=True, help="the email the person gave")
    p.add_argument("--out", type=Path, help="write to this file (default: stdout)")
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="an admin's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_dsr_export)

    p = sub.add_parser("retention", help="erase what is kept longer than the config allows")
    actions = p.add_subparsers(dest="retention_command", metavar="ACTION")
    actions.required = True
    p = actions.add_parser("run", help="show (--dry-run) or do what is due now")
    p.add_argument("--dry-run", action="store_true", help="only say what would be erased")
    p.add_argument("--config", type=Path, help="a TOML file with a [retention] section")
    db_option(p)
    p.set_defaults(func=cmd_retention_run)


def cmd_dsr_export(args: argparse.Namespace) -> int:
    """Write the person's access export; progress goes to stderr, the document to --out."""

    async def export(client: AsyncBackendClient) -> None:
        print(f"asking {client.base_url} for everything held about that person…", file=sys.stderr)
        document = await client.dsr_export(args.email)
        total = len(document.conversations)
        data = document.model_dump(mode="json")
        conversations = data.pop("conversations")
        out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
        try:
            # Written a conversation at a time, with a count, so a large export shows progress.
            out.write(
                json.dumps(data, ensure_ascii=False, indent=2)[:-2] + ',\n  "conversations": [\n'
            )
            for n, conversation in enumerate(conversations, 1):
                text = json.dumps(conversation, ensure_ascii=False, indent=2)
                out.write("    " + text.replace("\n", "\n    ") + (",\n" if n < total else "\n"))
                print(f"\r{n}/{total} conversations", end="", file=sys.stderr)
            out.write("  ]\n}\n")
        finally:
            if args.out:
                out.close()
        print(file=sys.stderr)
        if args.out:
            print(f"wrote {total} conversation(s) to {args.out}", file=sys.stderr)

    return with_backend(args, export)


def retention_settings(db: Path | None, config: Path | None) -> Settings:
    """The backend settings, with the [retention] section of a TOML file on top."""
    settings = backend_settings(db_path=db)
    if config is None:
        return settings
    try:
        section = tomllib.loads(config.read_text(encoding="utf-8")).get("retention", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SystemExit(f"hitl: cannot read {config}: {exc}") from None
    from backend.settings import RetentionSettings

    retention = RetentionSettings.model_validate(settings.retention.model_dump() | section)
    return settings.model_copy(update={"retention": retention})


def database_service(settings: Settings, store: Store) -> Hitl:
    """The service on a database opened by a command: the same rules as the running backend."""
    from backend.bots import make_bot
    from backend.service import Hitl

    return Hitl(store, settings, make_bot(settings.bot))


def cmd_retention_run(args: argparse.Namespace) -> int:
    """Erase (or with --dry-run, list) what the retention settings say is due now."""
    from backend.settings import check_retention

    settings = retention_settings(args.db, args.config)
    try:
        check_retention(settings)
    except ValueError as exc:
        print(f"hitl: {exc}", file=sys.stderr)
        return 2
    _, store = open_store(settings.db_url or settings.db_path)
    service = database_service(settings, store)
    try:
        run = service.run_retention(dry_run=args.dry_run)
    finally:
        service.shutdown()
    for cid in run.conversations:
        print(cid)
    print(run.summary(), file=sys.stderr)
    if run.journal_seq is not None:
        print(f"journaled as entry {run.journal_seq}", file=sys.stderr)
    return 0
