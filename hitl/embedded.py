"""The real backend on a free loopback port, served by uvicorn from a thread of this process.

`hitl demo`, the screenshots, the tests that stream (httpx's ASGITransport
buffers whole responses, so SSE needs a socket) and the benchmarks all start
the backend this one way.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from backend.app import create_app
from backend.settings import Settings

__all__ = ["EmbeddedBackend", "free_port"]

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _bind(port: int) -> socket.socket:
    """A loopback socket bound to `port` (0: any free one), for uvicorn to listen on."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


class EmbeddedBackend:
    """The backend for `settings` on `http://127.0.0.1:<port>`; can be stopped and started again.

    Each `start()` builds a fresh app over the same settings (and database
    file), on the same port, so a client can watch the server go away and
    come back. As a context manager it starts, and at the end stops with a
    few seconds' grace so that the app shuts down cleanly.
    """

    def __init__(
        self,
        settings: Settings,
        port: int | None = None,
        *,
        log_level: str = "warning",
        prepare: Callable[[FastAPI], object] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        """The backend's clock (tests move it); the real one when None."""
        # Bound now and kept: a port merely found free could be taken by someone else
        # (another test worker) before uvicorn binds it.
        self._socket: socket.socket | None = _bind(port or 0)
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.log_level = log_level
        self.prepare = prepare
        """Called with each fresh app before it serves (seed data, extra routes)."""
        self.app: FastAPI | None = None
        """The app being served; None before the first `start()`."""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> FastAPI:
        """Start serving a fresh app; raise `RuntimeError` if it does not come up in time."""
        self.app = (
            create_app(self.settings)
            if self.clock is None
            else create_app(self.settings, clock=self.clock)
        )
        if self.prepare is not None:
            self.prepare(self.app)
        config = uvicorn.Config(
            self.app,
            host=HOST,
            port=self.port,
            log_level=self.log_level,
            access_log=False,
            lifespan="on",
        )
        server = self._server = uvicorn.Server(config)
        # The first start serves on the socket bound in __init__; a restart binds the port again.
        sock, self._socket = self._socket or _bind(self.port), None
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="hitl-backend", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the backend did not start on {self.url}")
            time.sleep(0.02)
        return self.app

    def stop(self, grace: float = 0.0) -> None:
        """Stop serving and close the database.

        Open connections (event streams) are cut at once, or after `grace`
        seconds in which they may end and the app may run its shutdown.
        """
        if self._socket is not None:  # never started: give the port back
            self._socket.close()
            self._socket = None
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None and grace > 0:
                self._thread.join(timeout=grace)
            # Cuts open event streams, which would keep uvicorn waiting forever; it
            # also skips the app's shutdown, hence only after the grace period.
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.app is not None:
            self.app.state.store.close()
        self._server = self._thread = None

    def __enter__(self) -> EmbeddedBackend:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop(grace=5.0)
