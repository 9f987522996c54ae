"""`hitl export pairs`: training preference pairs, through the API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend_client import AsyncBackendClient, ReasonCode
from hitl.cli._common import URL_HELP, iso_time, with_backend


def register(sub: Any) -> None:
    """Add `export pairs` to the subcommands."""
    p = sub.add_parser("export", help="export training data from a running backend")
    what = p.add_subparsers(dest="export_command", metavar="WHAT")
    what.required = True
    p = what.add_parser(
        "pairs",
        help="JSONL preference pairs (context, rejected AI draft, chosen human text)",
        description="Every edited, rejected or regenerated draft as a preference pair. What "
        "the token may see follows its role: masked for trainers and supervisors; "
        "--unmasked only for admins.",
    )
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="operator token (default $HITL_TOKEN)")
    p.add_argument("--since", type=iso_time, help="only decisions at or after this ISO time")
    p.add_argument("--reason", choices=[r.value for r in ReasonCode], help="only this reason")
    p.add_argument("--unmasked", action="store_true", help="personal data unmasked (admin only)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_export_pairs)


def cmd_export_pairs(args: argparse.Namespace) -> int:
    """Write preference pairs (JSONL) from every edited or rejected draft."""
    from console.export import export_pairs

    reason = ReasonCode(args.reason) if args.reason else None

    async def export(client: AsyncBackendClient) -> None:
        options = {"since": args.since, "reason": reason, "unmasked": args.unmasked}
        if not args.out:
            await export_pairs(client, sys.stdout, **options)
            return
        with open(args.out, "w", encoding="utf-8") as out:
            count = await export_pairs(client, out, **options)
        print(f"wrote {count} pairs to {args.out}", file=sys.stderr)

    return with_backend(args, export)
