"""`hitl demo`: the backend, simulated customers and the console in one process.

The backend serves on a free loopback port from a thread of its own
(`hitl.embedded`), the simulator runs its customers in another thread with
its own event loop, and the console takes the terminal. Quitting the console
stops both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from backend.config import ConfigError, load_settings
from backend.settings import EXAMPLE_DIR, Settings
from backend_client import ReviewMode, Role
from console.app import make_app
from console.config import ConsoleConfig
from hitl.embedded import EmbeddedBackend
from hitl.simulator import simulate

DEMO_OPERATOR = "demo-supervisor"
"""The demo's supervisor (the console's default identity)."""
DEMO_ROLES = ("supervisor", "agent", "trainer")
"""Whom `hitl demo --as ROLE` can be: one demo operator of each."""


def fresh_database(path: Path) -> None:
    """A demo starts from an empty queue: remove the last run's database."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


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


class DemoBackend:
    """The demo's running backend: the console's config for it, and its simulated customers."""

    def __init__(self, url: str, token: str, about: str | None = None) -> None:
        self.chat_url = f"{url}/chat"
        self.config = ConsoleConfig(url=url, token=token, about=about, chat_url=self.chat_url)
        """A console on this backend, as the demo operator chosen."""
        """Where a person can chat as a customer in a browser while supervising."""
        self.simulator: BackgroundSimulator | None = None

    def start_customers(self, customers: int, rate: float) -> None:
        """Start the simulated customers (once)."""
        if self.simulator is None:
            self.simulator = BackgroundSimulator(self.config.url, customers, rate)
            self.simulator.start()


@contextmanager
def demo_backend(settings: Settings, role: str = "supervisor") -> Iterator[DemoBackend]:
    """The backend on loopback with a demo operator of each role; the console is `role`'s.

    Leaving stops the customers, then the backend.
    """
    backend = EmbeddedBackend(settings, log_level="error")
    print(
        f"hitl demo: starting the backend on {backend.url} (database {settings.db_path})",
        file=sys.stderr,
    )
    app = backend.start()
    demo: DemoBackend | None = None
    try:
        tokens = {
            name: app.state.store.add_operator(f"demo-{name}", Role(name))[1] for name in DEMO_ROLES
        }
        about = (
            f"Demo as demo-{role}: backend {backend.url}, database {settings.db_path}. "
            f"Chat as a customer in a browser at {backend.url}/chat. "
            f"Another role: hitl demo --as {' | '.join(DEMO_ROLES)}."
        )
        demo = DemoBackend(backend.url, tokens[role], about)
        print(f"hitl demo: chat as a customer at {demo.chat_url}", file=sys.stderr)
        yield demo
    finally:
        if demo is not None and demo.simulator is not None:
            demo.simulator.stop()
        # The console has gone: let the backend finish its work and shut down cleanly.
        backend.stop(grace=10)


def run_demo(
    *,
    db: Path | None = None,
    customers: int = 8,
    rate: float = 0.5,
    review_mode: str = "all",
    config: Path | None = None,
    role: str = "supervisor",
) -> int:
    """Run the demo until the console quits; returns the exit code.

    It runs on the example company (`backend/examples/larkspur/config.toml`) unless
    given another profile, whatever `HITL_CONFIG` says: the demo needs no setup.
    """
    data_dir = Path(platformdirs.user_data_dir("hitl"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if db is None:
        db = data_dir / "demo.db"
        fresh_database(db)
    # The console owns the terminal: backend and simulator log to a file instead.
    logging.basicConfig(filename=data_dir / "demo.log", level=logging.INFO, force=True)
    try:
        settings = load_settings(
            config or EXAMPLE_DIR / "config.toml",
            db_path=db,
            review={"mode": ReviewMode(review_mode)},
            # The simulated customers all come from this process's loopback address:
            # they get their own allowance instead of sharing one customer's.
            limits={"unlimited_clients": ["127.0.0.1"]},
        )
    except ConfigError as exc:
        print(f"hitl: {exc}", file=sys.stderr)
        return 2
    with demo_backend(settings, role) as demo:
        demo.start_customers(customers, rate)
        make_app(demo.config).run()
    print(
        f"hitl demo: stopped. The database stays at {db}; check its journal with: "
        f"hitl audit verify --db {db}",
        file=sys.stderr,
    )
    return 0
