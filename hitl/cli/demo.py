"""`hitl demo`: backend, simulated customers and the console, nothing to configure."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from backend_client import ReviewMode


def register(sub: Any) -> None:
    """Add `demo` to the subcommands."""
    p = sub.add_parser("demo", help="backend + simulated customers + console, no setup")
    p.add_argument("--db", type=Path, help="database file (default: a fresh one in the data dir)")
    p.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a company profile (TOML) to run on (default: the example shop, Larkspur Goods)",
    )
    p.add_argument("--customers", type=int, default=8, help="concurrent simulated customers")
    p.add_argument("--rate", type=float, default=0.5, help="new chats per second")
    p.add_argument(
        "--review-mode",
        choices=[m.value for m in ReviewMode],
        default="all",
        help="the review gate",
    )
    p.add_argument(
        "--as",
        dest="role",
        choices=["supervisor", "agent", "trainer"],
        default="supervisor",
        help="whose console to open (default: supervisor)",
    )
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo until the console quits."""
    from hitl.demo import run_demo

    return run_demo(
        db=args.db,
        customers=args.customers,
        rate=args.rate,
        review_mode=args.review_mode,
        config=args.config,
        role=args.role,
    )
