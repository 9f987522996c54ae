"""`hitl demo`: the backend, simulated customers and the console in one process.

The backend serves on a free loopback port from a thread of its own, the
simulator runs its customers in another thread with its own event loop, and
the console takes the terminal. Quitting the console stops both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
from pathlib import Path

import platformdirs
import uvicorn

from backend.app import create_app
from backend.settings import ReviewSettings, Settings
from backend_client import ReviewMode, Role

DEMO_OPERATOR = "demo-supervisor"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _fresh_database(path: Path) -> None:
    """A demo starts from an empty queue: remove the last run's database."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class BackgroundBackend:
    """A uvicorn server on loopback in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="error",
            access_log=False,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="hitl-backend", daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        """Start serving; raise if it does not come up in time."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the backend did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


class BackgroundSimulator:
    """Simulated customers in a daemon thread with an event loop of its own."""

    def __init__(self, url: str, customers: int, rate: float) -> None:
        self.url = url
        self.customers = customers
        self.rate = rate
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[object] | None = None
        self.thread = threading.Thread(target=self._run, name="hitl-simulator", daemon=True)

    def _run(self) -> None:
        from backend.simulator import simulate

        asyncio.set_event_loop(self.loop)
        self.task = self.loop.create_task(
            simulate(self.url, customers=self.customers, rate=self.rate)
        )
        with contextlib.suppress(asyncio.CancelledError):
            self.loop.run_until_complete(self.task)
        self.loop.close()

    def start(self) -> None:
        """Start the customers."""
        self.thread.start()

    def stop(self) -> None:
        """Cancel the customers and wait for the thread."""
        if self.task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(timeout=10)


def run_demo(
    *,
    db: Path | None = None,
    customers: int = 8,
    rate: float = 0.5,
    review_mode: str = "all",
) -> int:
    """Run the demo until the console quits; returns the exit code."""
    from console.app import make_app
    from console.config import ConsoleConfig

    data_dir = Path(platformdirs.user_data_dir("hitl"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if db is None:
        db = data_dir / "demo.db"
        _fresh_database(db)
    # The console owns the terminal: backend and simulator log to a file instead.
    logging.basicConfig(filename=data_dir / "demo.log", level=logging.INFO, force=True)
    settings = Settings(
        db_path=db, review=ReviewSettings(mode=ReviewMode(review_mode)), secret=None
    )
    backend = BackgroundBackend(settings)
    _, token = backend.app.state.store.add_operator(DEMO_OPERATOR, Role.SUPERVISOR)
    print(f"hitl demo: starting the backend on {backend.url} (database {db})", file=sys.stderr)
    backend.start()
    simulator = BackgroundSimulator(backend.url, customers, rate)
    simulator.start()
    try:
        make_app(ConsoleConfig(url=backend.url, token=token)).run()
    finally:
        simulator.stop()
        backend.stop()
    print(
        f"hitl demo: stopped. The database stays at {db}; check its journal with: "
        f"hitl audit verify --db {db}",
        file=sys.stderr,
    )
    return 0
