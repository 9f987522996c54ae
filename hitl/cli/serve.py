"""`hitl serve`: the backend with uvicorn."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend_client import ReviewMode
from hitl.cli._common import DEFAULT_PORT, backend_settings, config_option, db_option


def register(sub: Any) -> None:
    """Add `serve` to the subcommands."""
    p = sub.add_parser("serve", help="run the backend (FastAPI + SQLite)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    db_option(p)
    config_option(p)
    p.add_argument(
        "--review-mode", choices=[m.value for m in ReviewMode], help="all (default) | flagged | off"
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the backend with uvicorn until interrupted."""
    import uvicorn

    from backend.app import create_app

    review = {"mode": ReviewMode(args.review_mode)} if args.review_mode else None
    settings = backend_settings(args.config, db_path=args.db, review=review)
    try:
        app = create_app(settings)
    except ValueError as exc:  # a setting the backend refuses to start with (retention)
        print(f"hitl: {exc}", file=sys.stderr)
        return 2
    if not app.state.store.list_operators():
        print(
            f"hitl: no operators yet — create one with: hitl operator add NAME --role agent "
            f"--db {settings.database}",
            file=sys.stderr,
        )
    if app.state.knowledge.count() == 0:
        print(
            f"hitl: no articles in the knowledge base ({settings.knowledge.path}): the bot has "
            "nothing to answer from; check [knowledge] path, then hitl kb index",
            file=sys.stderr,
        )
    print(
        f"hitl backend on http://{args.host}:{args.port}  db={settings.database}  "
        f"review={settings.review.mode.value}  bot={settings.bot.kind}  "
        f"company={settings.company.name}  knowledge={app.state.knowledge.count()} articles",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
