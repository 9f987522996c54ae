"""What several commands share: the database option, backend settings, the console's config.

The backend's and the console's modules are imported inside the functions
that need them, so `hitl --help` and a mistyped command answer at once
instead of loading FastAPI and Textual first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend_client import AsyncBackendClient, BackendError

if TYPE_CHECKING:
    from backend.settings import Settings
    from backend.store import Store
    from console.config import ConsoleConfig

DEFAULT_PORT = 8765
URL_HELP = "backend URL (default $HITL_URL or http://127.0.0.1:8765)"


def db_option(parser: argparse.ArgumentParser) -> None:
    """Add `--db PATH` to a command that opens the database itself."""
    parser.add_argument(
        "--db", type=Path, help="the SQLite database file (default: $HITL_DB_PATH or hitl.db)"
    )


def backend_settings(**overrides: Any) -> Settings:
    """Backend settings from the environment, with command-line values on top."""
    from backend.settings import Settings

    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)


def open_store(db: Path | None, *, must_exist: bool = True) -> tuple[Settings, Store]:
    """The settings and the store of the database at `db` (or the configured one).

    With `must_exist`, a missing file is an error that names the path, rather
    than a new empty database that would verify as an empty chain.
    """
    from backend.store import Store

    settings = backend_settings(db_path=db)
    if must_exist and str(settings.db_path) != ":memory:" and not Path(settings.db_path).exists():
        raise SystemExit(f"hitl: no database at {settings.db_path} (pass --db PATH)")
    return settings, Store(settings.db_path)


def console_config(args: argparse.Namespace) -> ConsoleConfig:
    """The console's settings, with --url and --token on top of the environment and file."""
    from console.config import ConsoleConfig

    overrides = {"url": args.url, "token": args.token}
    return ConsoleConfig(**{k: v for k, v in overrides.items() if v is not None})


def with_backend(
    args: argparse.Namespace, call: Callable[[AsyncBackendClient], Awaitable[None]]
) -> int:
    """Run `call` with a client for the configured backend; the exit code says how it went."""
    from console.config import MissingTokenError

    config = console_config(args)
    try:
        token = config.require_token()
    except MissingTokenError as exc:
        print(f"hitl: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        async with AsyncBackendClient(config.url, token) as client:
            await call(client)

    try:
        asyncio.run(run())
    except BackendError as exc:
        print(f"hitl: {config.url}: {exc}", file=sys.stderr)
        return 1
    return 0


def iso_time(value: str) -> str:
    """An argparse type for `--since`/`--until`: an ISO date or time, or a clear error.

    Returned as typed (journal times compare as ISO strings); "yesterday" or a
    typo is refused instead of silently matching nothing.
    """
    from datetime import datetime

    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {value!r} (use an ISO date or time, e.g. 2026-11-27 or 2026-11-27T09:00)"
        ) from None
    return value.strip()
