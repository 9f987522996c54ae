"""`hitl calibration load|status`: known-bad drafts for measuring review, through the API."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backend_client import AsyncBackendClient, CalibrationItem
from hitl.cli._common import URL_HELP, with_backend


def register(sub: Any) -> None:
    """Add `calibration load` and `calibration status` to the subcommands."""
    p = sub.add_parser("calibration", help="calibration drafts: is review real? (supervisor)")
    actions = p.add_subparsers(dest="calibration_command", metavar="ACTION")
    actions.required = True
    p = actions.add_parser(
        "load",
        help="load known-bad drafts from a JSON or JSON-lines file",
        description="Each item: {customer_message, bad_draft, what_is_wrong}. They are seeded "
        "into reviewers' queues at --rate, look like any other draft, and never reach anyone.",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--rate", type=float, help="also set the seeding rate (0..1)")
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="a supervisor's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_calibration_load)
    p = actions.add_parser("status", help="items loaded, the rate, catches and misses")
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="a supervisor's token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_calibration_status)


def read_items(path: Path) -> list[CalibrationItem]:
    """The items of a JSON array or a JSON-lines file (SystemExit naming what is wrong)."""
    try:
        text = path.read_text(encoding="utf-8")
        stripped = text.lstrip()
        if stripped.startswith("["):
            raw = json.loads(text)
        else:
            raw = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [CalibrationItem.model_validate(item) for item in raw]
    except (OSError, ValueError, ValidationError) as exc:
        raise SystemExit(f"hitl: cannot read calibration drafts from {path}: {exc}") from None


def cmd_calibration_load(args: argparse.Namespace) -> int:
    """Load the file's items; with --rate, turn seeding on at that rate."""
    items = read_items(args.file)

    async def load(client: AsyncBackendClient) -> None:
        state = await client.load_calibration(items)
        if args.rate is not None:
            state = await client.set_calibration_rate(args.rate)
        print(f"{state.items} calibration drafts loaded; seeding rate {state.rate:g}")

    return with_backend(args, load)


def cmd_calibration_status(args: argparse.Namespace) -> int:
    """Print the calibration state."""

    async def status(client: AsyncBackendClient) -> None:
        s = await client.calibration()
        print(
            f"items {s.items}  rate {s.rate:g}  seeded {s.seeded}  caught {s.catches}  "
            f"missed {s.misses}"
        )

    return with_backend(args, status)


__all__ = ["read_items", "register"]
