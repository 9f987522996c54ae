"""`hitl report`: the oversight report as one self-contained HTML page, through the API."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend_client import AsyncBackendClient
from hitl.cli._common import URL_HELP, with_backend


def register(sub: Any) -> None:
    """Add `report` to the subcommands."""
    p = sub.add_parser(
        "report",
        help="the oversight report for a period, as one HTML page (supervisor)",
        description="Volumes, decisions and why, override rate over time and by flag, review "
        "times, fast approvals, calibration catch rate by reviewer, escalations against the "
        "SLA, erasures and retention runs, and the journal's verification; charts are inline "
        "SVG, the page needs no network.",
    )
    p.add_argument("--since", required=True, help="start, a date or ISO time (UTC if no zone)")
    p.add_argument("--until", help="end, a date or ISO time (default: now)")
    p.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    p.add_argument(
        "--checkpoint", type=Path, help="a file from 'hitl audit checkpoint' to check against"
    )
    p.add_argument(
        "--public-key",
        type=Path,
        help="the checkpoint must be signed by this Ed25519 key (the .pub of 'hitl audit keygen')",
    )
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="a supervisor's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_report)


def parse_moment(text: str) -> datetime:
    """A date or ISO time from the command line; UTC when it names no zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"hitl: {text!r} is not a date (YYYY-MM-DD) or an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_checkpoint(
    path: Path | None, public_key: Path | None
) -> tuple[tuple[int, str] | None, str | None]:
    """The checkpoint's (entries, head) to check the journal against, and, with a public
    key, whether its signature holds (in words for the page)."""
    if path is None:
        return None, None
    from backend.checkpoints import load_public_key, verify_signature
    from backend.domain.journal import Checkpoint

    try:
        text = path.read_text(encoding="utf-8")
        kept = Checkpoint.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SystemExit(f"hitl: checkpoint {path}: {exc}") from None
    signature = None
    if public_key is not None:
        try:
            verify_signature(text, load_public_key(public_key))
            signature = f"its signature by {public_key.name} holds"
        except (OSError, ValueError) as exc:
            signature = f"its signature FAILED: {exc}"
    return (kept.entries, kept.head), signature


def cmd_report(args: argparse.Namespace) -> int:
    """Fetch the figures for the period and write the page."""
    since = parse_moment(args.since)
    until = parse_moment(args.until) if args.until else None

    point, signature = read_checkpoint(args.checkpoint, args.public_key)

    async def report(client: AsyncBackendClient) -> None:
        from backend.report import render

        figures = await client.oversight_report(since, until, point)
        args.out.write_text(render(figures, signature=signature), encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)

    return with_backend(args, report)
