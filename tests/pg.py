"""PostgreSQL for tests: a throwaway database per test on the machine's server.

The server is `HITL_TEST_PG` (default: user postgres on 127.0.0.1:5432, trust
authentication). Without one the PostgreSQL tests skip, saying why; with
`HITL_REQUIRE_POSTGRES=1` (as `.ci/run` sets) they fail instead, so CI cannot
pass by skipping them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest

from backend.store import connect
from backend_client import Role
from tests.helpers import ServeProcess

ADMIN_URL = os.environ.get("HITL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@cache
def unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any reason at all: the message says which
        return f"PostgreSQL is not reachable at {ADMIN_URL}: {str(exc).strip()[:200]}"
    return None


def require() -> None:
    """Skip (or, where PostgreSQL is mandatory, fail) when there is no PostgreSQL."""
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("HITL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"HITL_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def url_of(name: str) -> str:
    """The URL of database `name` on the test server."""
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@contextmanager
def database() -> Iterator[str]:
    """A new, empty database for one test; dropped afterwards (with whoever is still on it)."""
    require()
    import psycopg

    name = f"hitl_test_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield url_of(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


AGENTS = 20
"""How many agents `add_agents` makes unless told (the multi-process tests' `tokens`)."""


def add_agents(url: str, agents: int = AGENTS) -> dict[str, str]:
    """`agents` agents (agent0, agent1, ...) and a supervisor (sup) in the database at
    `url`, made before any process starts; their tokens by name."""
    store = connect(url)
    try:
        made = {f"agent{i}": store.add_operator(f"agent{i}", Role.AGENT)[1] for i in range(agents)}
        made["sup"] = store.add_operator("sup", Role.SUPERVISOR)[1]
    finally:
        store.close()
    return made


@contextmanager
def serving(url: str, count: int = 3, *extra: str) -> Iterator[list[ServeProcess]]:
    """`count` real `hitl serve` processes on the database at `url` (`extra`: more
    arguments for each), up; stopped after."""
    servers = [ServeProcess(url, *extra) for _ in range(count)]
    try:
        for server in servers:
            server.wait_up()
        yield servers
    finally:
        for server in servers:
            server.stop()
