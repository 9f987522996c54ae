"""Shared fixtures: the real backend, in-process (ASGI) or on loopback (uvicorn)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.settings import ReviewSettings, Settings
from backend.store import Store, connect, utcnow
from tests import pg
from tests.helpers import BASE, Backend, LiveServer, ServeProcess, seed_operators
from tests.stubs import ModelStub

STORES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked `both_stores` run every test on SQLite and on PostgreSQL."""
    if "store_kind" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_stores"
    ):
        metafunc.parametrize("store_kind", STORES)


@pytest.fixture
def store_kind() -> str:
    """Which store the backend of a test runs on (SQLite unless the module asks for both)."""
    return "sqlite"


@pytest.fixture
def database(store_kind: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Where a test's backend keeps its data, as settings: a temp file, or a fresh database."""
    if store_kind == "postgresql":
        with pg.database() as url:
            yield {"db_url": url}
    else:
        yield {"db_path": tmp_path / "hitl.db"}


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database of the test's own, as a URL (skips without PostgreSQL)."""
    with pg.database() as url:
        yield url


@pytest.fixture
def tokens(pg_url: str) -> dict[str, str]:
    """Multi-process tests: `pg.AGENTS` agents and a supervisor in `pg_url`, by name."""
    return pg.add_agents(pg_url)


@pytest.fixture
def three(pg_url: str, tokens: dict[str, str]) -> Iterator[list[ServeProcess]]:
    """Multi-process tests: three real `hitl serve` processes on `pg_url`, with `tokens`."""
    with pg.serving(pg_url) as servers:
        yield servers


@pytest.fixture
def store(database: dict[str, Any]) -> Iterator[Store]:
    """A store of its own on the test's database (no backend around it)."""
    opened = connect(database.get("db_url") or database["db_path"])
    yield opened
    opened.close()


@pytest.fixture
def settings(database: dict[str, Any]) -> Settings:
    """Settings for a throwaway backend on a throwaway database."""
    return Settings(**database, secret="test-secret")


@pytest.fixture
def flagged_settings(database: dict[str, Any]) -> Settings:
    """Settings with review mode `flagged` and a short hold window."""
    return Settings(
        **database,
        secret="test-secret",
        review=ReviewSettings(mode="flagged", hold_seconds=0.3),
    )


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The backend's clock: the real one, unless a test overrides this with a `ManualClock`."""
    return utcnow


@pytest.fixture
async def backend(settings: Settings, clock: Callable[[], datetime]) -> AsyncIterator[Backend]:
    """The real backend in-process, spoken to through `httpx.ASGITransport`."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield seed_operators(Backend(app=app, url=BASE, transport=httpx.ASGITransport(app=app)))
    app.state.store.close()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """A real uvicorn on loopback, for streaming tests (ASGITransport buffers responses)."""
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_backend(live_server: LiveServer) -> Backend:
    """The loopback server with the standard operators."""
    assert live_server.app is not None
    return seed_operators(Backend(app=live_server.app, url=live_server.url, transport=None))


@pytest.fixture
def model_stub() -> Iterator[ModelStub]:
    """An OpenAI-compatible model server on loopback, scripted by the test."""
    stub = ModelStub().start()
    yield stub
    stub.stop()
