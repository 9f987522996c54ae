"""Test helpers any test module may import: the real backend and ways to talk to it.

A test file never imports another; what tests share lives here or in conftest's fixtures.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from httpx_sse import aconnect_sse

from backend.settings import Settings
from backend.store import Store
from backend_client import AsyncBackendClient, ChannelClient, ChatStarted, Draft, Role
from hitl.embedded import EmbeddedBackend, free_port

T = TypeVar("T")

BASE = "http://hitl.test"


@dataclass
class Backend:
    """A running backend and ways to talk to it as each role and as customers."""

    app: FastAPI
    url: str
    transport: httpx.AsyncBaseTransport | None
    tokens: dict[str, str] = field(default_factory=dict)
    """Bearer token by operator name: alice (agent), bob (agent), sam (supervisor),
    tina (trainer), ada (admin)."""
    operator_ids: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> Store:
        """The backend's store (for seeding and for checks behind the API's back)."""
        store: Store = self.app.state.store
        return store

    def client(self, name: str = "alice") -> AsyncBackendClient:
        """An operator client for one of the seeded operators."""
        return AsyncBackendClient(self.url, self.tokens[name], transport=self.transport)

    def channel(self) -> ChannelClient:
        """A customer-side client."""
        return ChannelClient(self.url, transport=self.transport)

    async def chat(self, *turns: str, name: str = "Jo Customer") -> ChatStarted:
        """Start a chat and say `turns` as the customer, each answered before the next."""
        async with self.channel() as channel:
            chat = await channel.start_chat(name, "jo@example.com")
            for turn in turns:
                await channel.say(chat, turn)
                await self.drafted(chat)
            return chat

    async def drafted(self, chat: ChatStarted | None = None, timeout: float = 10.0) -> None:
        """Wait until the AI has drafted for every customer message so far (it drafts in the
        background, after the customer's request returned)."""
        if self.transport is not None:  # in-process: the workers run on this event loop
            await asyncio.wait_for(self.app.state.hitl.drafting_idle(), timeout)
            return
        # On loopback the server's loop is another thread's (and the app may have been
        # restarted since): ask the API whether the chat is still being drafted for.
        async with self.client("sam") as sam:

            async def done() -> bool:
                if chat is None:
                    return not any([s async for s in sam.iter_conversations() if s.drafting])
                return not (await sam.get_conversation(chat.id)).drafting

            await eventually(done, timeout)


SEED_OPERATORS = {
    "alice": Role.AGENT,
    "bob": Role.AGENT,
    "sam": Role.SUPERVISOR,
    "tina": Role.TRAINER,
    "ada": Role.ADMIN,
}


def seed_operators(backend: Backend) -> Backend:
    """Create the standard operators in a backend's store."""
    for name, role in SEED_OPERATORS.items():
        record, token = backend.store.add_operator(name, role)
        backend.tokens[name] = token
        backend.operator_ids[name] = record.id
    return backend


LiveServer = EmbeddedBackend
"""The backend on loopback for streaming tests: `hitl.embedded.EmbeddedBackend`."""


async def pending_draft(backend: Backend, chat: ChatStarted) -> Draft:
    """The draft waiting for review in a chat (fails the test when there is none)."""
    await backend.drafted()
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
    assert detail.draft is not None, f"no pending draft (status {detail.status})"
    return detail.draft


async def eventually(check, timeout: float = 5.0, interval: float = 0.02):  # type: ignore[no-untyped-def]
    """Await until `check()` (sync or async) returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def get_paths(app: FastAPI) -> list[str]:
    """Every GET path the API documents (routers are included lazily, so not `app.routes`)."""
    paths: dict[str, dict[str, object]] = app.openapi()["paths"]
    return [path for path, operations in paths.items() if "get" in operations]


class ManualClock:
    """A clock the test moves: `advance()` jumps ahead; each reading adds a microsecond, so
    things done one after another still get times in that order."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time on by `seconds`."""
        self.now += timedelta(seconds=seconds)


class CountingTransport(httpx.AsyncBaseTransport):
    """A real transport that also notes every request it sends: (method, path)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.requests: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Note the request, then send it for real."""
        self.requests.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the real transport."""
        await self.inner.aclose()


async def until(pilot: Any, check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Let the app under `pilot` run until `check()` is truthy; return it.

    Looks every 10 ms: the app runs meanwhile, and a test waits no longer than it must.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := check()):
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await pilot.pause(0.01)
    return result


@dataclass
class Received:
    """One request a `Receiver` took."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class Receiver:
    """A real HTTP server on loopback that records what it is sent (an outside service's stub).

    `status` is what it answers (set 503 to play "down"); `reply` may compute a
    JSON answer per request. Runs in a thread, so it answers while a test awaits.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.reply: Callable[[Received], Any] = lambda _r: {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                got = Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                status = receiver.status
                if status < 300:
                    receiver.requests.append(got)
                payload = json.dumps(receiver.reply(got)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Translating:
    """A psycopg connection that takes `?` placeholders, as the tests' sqlite3 calls do."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        from backend.store.pg_database import to_pg

        return self.conn.execute(to_pg(sql), list(params))


@contextmanager
def behind_the_backends_back(settings: Settings) -> Iterator[Any]:
    """A plain connection to the backend's database (file or PostgreSQL), as an attacker
    or an operator at a SQL prompt would open it; what it writes is committed on exit."""
    if settings.db_url is not None:
        import psycopg

        with psycopg.connect(settings.db_url, autocommit=True) as conn:
            yield _Translating(conn)
        return
    raw = sqlite3.connect(settings.db_path)
    try:
        with raw:
            yield raw
    finally:
        raw.close()


def columns_of(db: Any, table: str) -> list[str]:
    """A table's column names, on either engine."""
    return [d[0] for d in db.execute(f"SELECT * FROM {table} LIMIT 0").description]


def everything_in_the_database(settings: Settings) -> str:
    """Every row of every table (the full-text indexes' too), as one text."""
    with behind_the_backends_back(settings) as db:
        if settings.db_url is not None:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type='table'"
        tables = [r[0] for r in db.execute(sql).fetchall()]
        return "\n".join(
            repr(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"').fetchall()
        )


def fail_inserts(store: Any, table: str) -> None:
    """Make every insert into `table` fail inside its transaction (a full disk, say)."""
    if store.dialect == "postgresql":
        store.db.execute(
            "CREATE OR REPLACE FUNCTION hitl_test_fail() RETURNS trigger "
            "AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
        )
        store.db.execute(
            f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hitl_test_fail()"
        )
    else:
        store.db.execute(
            f"CREATE TEMP TRIGGER fail_{table} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )


def stop_failing(store: Any, table: str) -> None:
    """Undo `fail_inserts`."""
    on = f" ON {table}" if store.dialect == "postgresql" else ""
    store.db.execute(f"DROP TRIGGER fail_{table}{on}")


class ServeProcess:
    """`hitl serve --db DB` as a real process of its own (several may share one PostgreSQL)."""

    def __init__(self, url: str, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "hitl", "serve", "--db", url, "--port", str(self.port)]
        env = {**os.environ, "HITL_SECRET": "processes-test", "HITL_CONFIG": ""}
        self.process = subprocess.Popen(
            [*args, *extra],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"hitl serve exited: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("hitl serve did not come up")
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


async def streamed(
    urls: list[str], token: str, since: int, work: Awaitable[T], newest: Callable[[], int]
) -> tuple[T, int, list[list[int]]]:
    """`work`, run while a raw event stream from after `since` is open on each of `urls`.

    Once it is done, waits until every stream has reached `newest()` (read then).
    Returns what `work` returned, that id, and the ids each stream carried up to it.
    """
    seen: list[list[int]] = [[] for _ in urls]
    tasks = [
        asyncio.create_task(_event_ids(url, token, since, ids))
        for url, ids in zip(urls, seen, strict=True)
    ]
    try:
        result = await work
        last = newest()
        async with asyncio.timeout(30):
            while not all(ids and ids[-1] >= last for ids in seen):
                await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return result, last, [[i for i in ids if i <= last] for ids in seen]


async def _event_ids(url: str, token: str, since: int, seen: list[int]) -> None:
    """Read the event stream at `url` from after `since`, appending each id to `seen`."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=None) as raw,
        aconnect_sse(raw, "GET", "/v1/events", headers=headers, params={"since": since}) as source,
    ):
        async for sse in source.aiter_sse():
            if sse.data:
                seen.append(json.loads(sse.data)["id"])
