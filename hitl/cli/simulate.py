"""`hitl simulate`: scripted customers against a backend, with progress and a summary."""

from __future__ import annotations

import argparse
from typing import Any

from hitl.cli._common import DEFAULT_PORT


def register(sub: Any) -> None:
    """Add `simulate` to the subcommands."""
    p = sub.add_parser("simulate", help="drive simulated customers against a backend")
    p.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="backend URL")
    p.add_argument("--customers", type=int, default=20, help="concurrent customers (default 20)")
    p.add_argument("--rate", type=float, default=1.0, help="new chats per second (default 1)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--chats", type=int, help="stop after this many chats")
    p.add_argument("--seed", type=int, default=0, help="scenario choice seed (default 0)")
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Drive simulated customers against a backend."""
    from hitl.simulator import run_cli

    return run_cli(
        args.url,
        customers=args.customers,
        rate=args.rate,
        duration=args.duration,
        chats=args.chats,
        seed=args.seed,
    )
