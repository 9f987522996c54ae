"""Test helpers any test module may import: the real backend and ways to talk to it.

A test file never imports another; what tests share lives here or in conftest's fixtures.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.settings import Settings
from backend.store import Store
from backend_client import AsyncBackendClient, ChannelClient, ChatStarted, Draft, Role

BASE = "http://hitl.test"


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
        """Start a chat and say `turns` as the customer."""
        async with self.channel() as channel:
            chat = await channel.start_chat(name, "jo@example.com")
            for turn in turns:
                await channel.say(chat, turn)
            return chat


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


class LiveServer:
    """A uvicorn server on loopback in a thread of its own; can be stopped and restarted."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: FastAPI | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FastAPI:
        """Start serving (a fresh app over the same database file)."""
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self.app

    def stop(self) -> None:
        """Stop serving and close the database; open connections are cut."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.app is not None:
            self.app.state.store.close()
        self._server = self._thread = None


async def pending_draft(backend: Backend, chat: ChatStarted) -> Draft:
    """The draft waiting for review in a chat (fails the test when there is none)."""
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
