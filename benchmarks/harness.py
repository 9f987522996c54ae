"""What the benchmarks share: the backend in a process of its own, percentiles, table cells.

The backend runs in a subprocess so that its CPU work competes with the
measured side for the machine's cores, as in production, not for one GIL.
The parent starts it with `BackendProcess.start(script, args)`: the child is
the same script with `--serve ... --port N`, and calls `serve()`, which runs
the real backend through `hitl.embedded` (the one way anything starts it),
prints `READY <payload>` and serves until terminated.

This module imports only the standard library at module level: a console-side
benchmark process must not import `backend` (its garbage collector would walk
the backend's objects too), so `serve()` imports `hitl.embedded` when the
child calls it.
"""

from __future__ import annotations

import gc
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _path in (ROOT, HERE):  # run as a script from anywhere
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

HOST = "127.0.0.1"
START_TIMEOUT = 300.0
"""Seconds a child may take to print READY (it may build a large database first)."""


# -- the backend's process ---------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class BackendProcess:
    """A benchmark's child process serving on loopback; `ready` is what it printed after READY."""

    def __init__(self, process: subprocess.Popen[str], port: int, ready: str) -> None:
        self.process = process
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.ready = ready

    @classmethod
    def start(
        cls, script: str, args: Sequence[str], timeout: float = START_TIMEOUT
    ) -> BackendProcess:
        """Run `script ARGS --port N`; return once it printed READY and accepts connections."""
        port = free_port()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
        process = subprocess.Popen(
            [sys.executable, script, *args, "--port", str(port)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert process.stdout is not None
        readable, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline() if readable else ""
        if not line.startswith("READY"):
            process.kill()
            process.wait(10)
            raise RuntimeError(f"{Path(script).name} did not start a server: {line!r}")
        backend = cls(process, port, line.removeprefix("READY").strip())
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                return backend
            except OSError:
                if time.monotonic() > deadline:
                    backend.stop()
                    raise RuntimeError(f"nothing listens on port {port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the child (killed if it takes more than ten seconds)."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> BackendProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(settings: Any, port: int, prepare: Callable[[Any], str]) -> None:
    """The child's side: the backend on `port`, `READY <prepare(app)>`, then serve until SIGTERM.

    `prepare` gets the fresh app before it serves (add operators, seed data,
    add a route that starts a producer) and returns what the parent needs
    (a token, a JSON description of the data).
    """
    from hitl.embedded import EmbeddedBackend

    ready: list[str] = []
    backend = EmbeddedBackend(settings, port, prepare=lambda app: ready.append(prepare(app)))
    backend.start(timeout=START_TIMEOUT)
    # The setup's garbage (a seed of thousands of rows) is not the server's: collect it
    # now, or the collection lands in whichever request happens to come first.
    gc.collect()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"READY {ready[0]}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        # The parent stops a child once its clients are done: a clean shutdown, no traceback.
        backend.stop(grace=5)


# -- the figures -------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (inclusive method), or None without samples."""
    if len(values) < 2:
        return values[0] if values else None
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[int(q) - 1]


def cells(values: Sequence[float], quantiles: Sequence[float], width: int, digits: int) -> str:
    """Right-aligned percentile cells of one table row ('—' where there are no samples)."""
    out = []
    for q in quantiles:
        value = pct(values, q)
        out.append(f"{value:>{width}.{digits}f}" if value is not None else f"{'—':>{width}}")
    return "".join(out)
