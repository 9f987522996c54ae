"""The `hitl` command line: thin wrappers over the backend, the console and the tools.

One module per command group; each adds its subcommand with `register()` and
parses into one function that does the work. Nothing here decides policy.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hitl.cli import (
    audit,
    calibration,
    console,
    db,
    demo,
    erase,
    export,
    kb,
    operator,
    oversight,
    report,
    serve,
    simulate,
)

__all__ = ["build_parser", "main"]

EPILOG = """\
examples:
  hitl demo                                  backend + simulated customers + console
  hitl serve --db hitl.db                    run the backend on 127.0.0.1:8765
  hitl serve --config company.toml           ... for your company, model and knowledge base
  hitl kb index --config company.toml        (re)index the knowledge folder
  hitl kb search "refund?" --config company.toml   what the bot would be given
  hitl operator add alice --role agent       create an operator, print its token
  hitl console --url http://127.0.0.1:8765 --token hitl_...
  hitl simulate --url http://127.0.0.1:8765 --customers 20 --rate 2
  hitl audit verify --db hitl.db             check the journal's hash chain
  hitl serve --db postgresql://hitl@db/hitl --workers 4   several processes, one database
  hitl db copy --from sqlite:///hitl.db --to postgresql://hitl@db/hitl
  hitl export pairs --out pairs.jsonl        training pairs from overridden drafts
  hitl erase --email jo@example.com          erase every conversation of a person
  hitl dsr export --email jo@example.com --out jo.json
  hitl retention run --dry-run --db hitl.db  what the retention settings erase now
  hitl report --since 2026-01-01 --out report.html

Settings also come from HITL_* environment variables (HITL_CONFIG, HITL_URL,
HITL_TOKEN, HITL_DB_PATH, HITL_DB_URL, HITL_REVIEW__MODE, ...); they win over the config file.
"""

COMMAND_GROUPS = (
    demo,
    serve,
    kb,
    console,
    operator,
    simulate,
    audit,
    erase,
    export,
    oversight,
    report,
    calibration,
    db,
)
"""In the order `hitl --help` lists them."""


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
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hitl` command."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader left (`| head`): no traceback, and none again when Python
        # flushes stdout at exit (the documented way: point it at devnull).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # as a shell reports a command killed by SIGPIPE
    return result
