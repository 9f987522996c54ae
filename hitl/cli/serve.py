"""`hitl serve`: the backend with uvicorn."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from backend_client import ReviewMode
from hitl.cli._common import DEFAULT_PORT, backend_settings, config_option, db_option


def register(sub: Any) -> None:
    """Add `serve` to the subcommands."""
    p = sub.add_parser(
        "serve", help="run the backend (FastAPI; SQLite, or PostgreSQL for several processes)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    db_option(p)
    config_option(p)
    p.add_argument(
        "--review-mode", choices=[m.value for m in ReviewMode], help="all (default) | flagged | off"
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="backend processes on this port (default 1); more than one needs PostgreSQL",
    )
    p.set_defaults(func=cmd_serve)


WORKER_ARGS = "HITL_SERVE_WORKER_ARGS"
"""How `--workers` hands its worker processes the command line they were started with."""


def worker_app() -> Any:
    """The app of one `--workers` process (uvicorn imports and calls this in each)."""
    from backend.app import create_app

    given = json.loads(os.environ[WORKER_ARGS])
    review = {"mode": ReviewMode(given["review"])} if given["review"] else None
    config = Path(given["config"]) if given["config"] else None
    return create_app(backend_settings(config, db_path=given["db"], review=review))


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the backend with uvicorn until interrupted."""
    import uvicorn

    from backend.app import create_app

    review = {"mode": ReviewMode(args.review_mode)} if args.review_mode else None
    settings = backend_settings(args.config, db_path=args.db, review=review)
    if args.workers < 1:
        print("hitl: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.db_url is None:
        print(
            "hitl: --workers needs PostgreSQL (--db postgresql://... or HITL_DB_URL): "
            "processes on one SQLite file would not see each other's events",
            file=sys.stderr,
        )
        return 2
    database_errors: tuple[type[Exception], ...] = ()
    if settings.db_url is not None:  # psycopg only when PostgreSQL is asked for
        import psycopg

        database_errors = (psycopg.Error,)
    try:
        app = create_app(settings)
    except ValueError as exc:  # a setting the backend refuses to start with (retention)
        print(f"hitl: {exc}", file=sys.stderr)
        return 2
    except database_errors as exc:  # PostgreSQL not there, or not ours to use
        print(f"hitl: cannot open the database {settings.database}: {exc}", file=sys.stderr)
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
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
        return 0
    app.state.store.close()  # the workers open their own
    os.environ[WORKER_ARGS] = json.dumps(
        {
            "config": str(args.config) if args.config else None,
            "db": settings.db_url,
            "review": args.review_mode,
        }
    )
    uvicorn.run(
        "hitl.cli.serve:worker_app",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
    )
    return 0
