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

import asyncio
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


class Wire:
    """One keep-alive HTTP/1.1 connection, as lean as a load generator can be.

    httpx spends about 2.5 ms of CPU on a request, more than a backend on SQLite
    spends deciding it; on a 2-core machine that load generator would take the
    cores the backends and PostgreSQL need (operators' consoles run on their own
    machines). This sends the one request the benchmark makes and reads the
    answer by its Content-Length.
    """

    def __init__(self, url: str, token: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.token = token
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def approve(self, did: str, version: int) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(
            f"POST /v1/drafts/{did}/approve HTTP/1.1\r\nHost: {self.host}\r\n"
            f'Authorization: Bearer {self.token}\r\nIf-Match: "{version}"\r\n'
            "Content-Length: 0\r\n\r\n".encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        length = next(
            int(line.split(":", 1)[1]) for line in head if line.lower().startswith("content-length")
        )
        return int(head[0].split()[1]), await reader.readexactly(length)

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


class Cores:
    """CPU seconds the whole machine and some processes spent between two readings (Linux)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = self._read()

    def _read(self) -> tuple[float, float]:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
            tick = os.sysconf("SC_CLK_TCK")
            ours = 0.0
            for pid in self.pids:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ours += (int(stat[11]) + int(stat[12])) / tick
            return (sum(fields) - fields[3] - fields[4]) / tick, ours
        except (OSError, ValueError):
            return (float("nan"), float("nan"))

    def spent(self) -> tuple[float, float]:
        """(CPU seconds of the machine, of the processes) since this was made."""
        busy, ours = self._read()
        return busy - self.start[0], ours - self.start[1]
