"""`hitl console`: the console against a running backend."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hitl.cli._common import URL_HELP, console_config


def register(sub: Any) -> None:
    """Add `console` to the subcommands."""
    p = sub.add_parser("console", help="open the console against a running backend")
    p.add_argument("--url", help=URL_HELP)
    p.add_argument("--token", help="operator token (default $HITL_TOKEN)")
    p.set_defaults(func=cmd_console)


def cmd_console(args: argparse.Namespace) -> int:
    """Open the console against a running backend; it takes the terminal until it quits."""
    from console.app import make_app

    config = console_config(args)
    if not config.token:
        print(
            'hitl: no token: pass --token, set HITL_TOKEN, or put token = "..." in the '
            "config file (create one with: hitl operator add NAME --role agent)",
            file=sys.stderr,
        )
        return 2
    app = make_app(config)
    app.run()
    return app.return_code or 0  # 1 after quitting from "the token was refused"
