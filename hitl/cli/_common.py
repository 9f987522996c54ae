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
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.db_url import is_postgres_url
from backend_client import AsyncBackendClient, BackendError

if TYPE_CHECKING:
    from backend.settings import Settings
    from backend.store import Store
    from console.config import ConsoleConfig

DEFAULT_PORT = 8765
URL_HELP = "backend URL (default $HITL_URL or http://127.0.0.1:8765)"


def iso_time(value: str) -> str:
    """An argparse type: an ISO 8601 time (an offset counts, none means UTC), as stored (UTC).

    A value that is not a time stops the command with a message naming it,
    instead of matching nothing.
    """
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {value!r} (use an ISO time like 2026-01-05T09:00+02:00)"
        ) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def db_target(value: str) -> Path | str:
    """A `--db` value: a PostgreSQL URL as given, `sqlite:///FILE` or a plain path as a file."""
    if is_postgres_url(value):
        return value
    return Path(value.removeprefix("sqlite:///") if value.startswith("sqlite:///") else value)


def db_option(parser: argparse.ArgumentParser) -> None:
    """Add `--db PATH|URL` to a command that opens the database itself."""
    parser.add_argument(
        "--db",
        type=db_target,
        metavar="PATH|URL",
        help="a SQLite file, or postgresql://user@host/dbname "
        "(default: $HITL_DB_URL, else $HITL_DB_PATH, else hitl.db)",
    )


def config_option(parser: argparse.ArgumentParser) -> None:
    """Add `--config FILE`: the company profile (TOML)."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the company profile, a TOML file (default: $HITL_CONFIG, else the example shop)",
    )


def backend_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Backend settings: the config file, the environment over it, command-line values on top.

    A config that cannot be used (unknown key, refused disclosure, bad TOML) ends the
    command with its message, which names the file and the key.
    """
    from backend.config import ConfigError, load_settings

    try:
        return load_settings(config, **overrides)
    except ConfigError as exc:
        raise SystemExit(f"hitl: {exc}") from None


def open_store(db: Path | str | None, *, must_exist: bool = True) -> tuple[Settings, Store]:
    """The settings and the store of the database at `db` (or the configured one).

    With `must_exist`, a missing file is an error that names the path, rather
    than a new empty database that would verify as an empty chain.
    """
    from backend.store import Store

    settings = backend_settings(db_path=db)
    if settings.db_url is not None:
        return settings, _connect(settings.db_url)
    if must_exist and str(settings.db_path) != ":memory:" and not Path(settings.db_path).exists():
        raise SystemExit(f"hitl: no database at {settings.db_path} (pass --db PATH)")
    return settings, Store(settings.db_path)


def _connect(url: str) -> Store:
    """A PostgreSQL store, or the command ends saying why it could not connect."""
    import psycopg
    import psycopg_pool

    from backend.store import connect

    try:
        return connect(url)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        raise SystemExit(f"hitl: cannot open the database {url}: {exc}") from None


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
