"""Delivery latency of the live event stream, against a bare sse-starlette baseline.

Run: `python benchmarks/bench_events.py` (about 20 s, loopback only).

What it measures. The hitl backend runs in a subprocess on 127.0.0.1 (its own
process, so the clients' parsing does not share its GIL; `harness.serve` starts
it through `hitl.embedded`). Inside that process
a producer task on the server's event loop appends events the way every state
change does: `store.transaction()` + `store.append_event`, five events per
transaction (about what one decision writes), 1,000 events/s for 5 s. So
each event pays for the real path: the SQLite insert and commit, the store's
listener, `EventHub.publish`, the hub's ring, SSE encoding in every stream and
the loopback socket. It does not pay for the service's rules or a bot: those
are not the fan-out. Ten SSE clients in this process stamp each event on
arrival; the payload carries the producer's CLOCK_MONOTONIC send time, which
is system-wide on Linux, so the two processes' clocks agree.

The baseline is the least a stream can do: a minimal Starlette app whose
`EventSourceResponse` drains one `asyncio.Queue` per client, fed by a producer
at the same rate with the same payload, to the same ten clients. The ratio of
the two says what our store, hub and encoding add on top of sse-starlette.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from harness import BackendProcess, pct

if TYPE_CHECKING:
    from fastapi import FastAPI

CLIENTS = 10
RATE = 1_000
"""Events per second."""
SECONDS = 5.0
PER_TRANSACTION = 5
PAD = "x" * 300
"""Roughly the size of a real conversation summary, so encoding costs are realistic."""
TIMEOUT = 20.0
"""The most one run may take after the producer stops, however slow delivery is."""


def now_ns() -> int:
    """A clock both processes share (CLOCK_MONOTONIC is system-wide on Linux)."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


async def paced(total: int, per_tick: int) -> AsyncIterator[list[int]]:
    """Batches of sequence numbers at RATE per second, on an absolute schedule (no drift)."""
    start = time.monotonic()
    interval = per_tick / RATE
    for tick, first in enumerate(range(0, total, per_tick)):
        delay = start + tick * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        yield list(range(first, min(first + per_tick, total)))


# -- the two servers (each run in its own subprocess) ---------------------------


def serve_hitl(port: int, db: Path) -> None:
    """The real backend, plus a route that starts the producer inside its process."""
    from harness import serve

    from backend.settings import Settings
    from backend_client import EventType, Role

    def prepare(app: FastAPI) -> str:
        store = app.state.store
        _, token = store.add_operator("bench", Role.ADMIN)

        async def produce(total: int) -> None:
            async for batch in paced(total, PER_TRANSACTION):
                with store.transaction():
                    for seq in batch:
                        payload = {"sent_ns": now_ns(), "seq": seq, "pad": PAD}
                        store.append_event(EventType.CONVERSATION_UPDATED, None, payload)

        @app.post("/bench/run")
        async def run(total: int) -> dict[str, str]:
            app.state.producer = asyncio.create_task(produce(total))
            return {"ok": "started"}

        return str(token)

    serve(Settings(db_path=db, secret="bench"), port, prepare)


def serve_bare(port: int) -> None:
    """A minimal sse-starlette app: one queue per client, nothing else."""
    import uvicorn
    from sse_starlette import EventSourceResponse, ServerSentEvent
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    queues: set[asyncio.Queue[tuple[int, str]]] = set()
    tasks: set[asyncio.Task[None]] = set()

    async def stream(queue: asyncio.Queue[tuple[int, str]]) -> AsyncIterator[ServerSentEvent]:
        try:
            while True:
                seq, data = await queue.get()
                yield ServerSentEvent(data=data, id=str(seq), event="bench")
        finally:
            queues.discard(queue)

    async def events(request: Request) -> EventSourceResponse:
        queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        queues.add(queue)
        return EventSourceResponse(stream(queue), ping=15)

    async def produce(total: int) -> None:
        async for batch in paced(total, PER_TRANSACTION):
            for seq in batch:
                data = json.dumps({"sent_ns": now_ns(), "seq": seq, "pad": PAD})
                for queue in queues:
                    queue.put_nowait((seq, data))

    async def run(request: Request) -> JSONResponse:
        task = asyncio.create_task(produce(int(request.query_params["total"])))
        tasks.add(task)
        return JSONResponse({"ok": "started"})

    app = Starlette(routes=[Route("/events", events), Route("/bench/run", run, methods=["POST"])])
    print("READY -", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# -- the clients ------------------------------------------------------------------------


END = b"\r\n\r\n"
"""How sse-starlette ends an event (both servers use it)."""
SENT = re.compile(rb'"sent_ns":\s*(\d+),\s*"seq":\s*(\d+)')


async def listen(
    url: str, path: str, headers: dict[str, str], total: int, ready: asyncio.Event, out: list[int]
) -> None:
    """One SSE client: append each event's delivery latency (ns) until `total` arrived.

    Ten clients at 1,000 events/s are 10,000 SSE messages a second in one
    Python process: a full SSE + JSON parse would make the clients, not the
    servers, the bottleneck. So this reads raw chunks and pulls out the two
    numbers it needs with one regex; every event in a chunk arrived together.
    """
    timeout = httpx.Timeout(10.0, read=None)
    tail = b""
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
        async with http.stream("GET", path, headers=headers) as response:
            response.raise_for_status()
            ready.set()
            async for chunk in response.aiter_raw():
                arrived = now_ns()
                buffer = tail + chunk
                cut = buffer.rfind(END)  # only whole events; keep the rest for later
                if cut < 0:
                    tail = buffer
                    continue
                whole, tail = buffer[: cut + len(END)], buffer[cut + len(END) :]
                for sent, seq in SENT.findall(whole):
                    out.append(arrived - int(sent))
                    if int(seq) == total - 1:
                        return


async def measure(kind: str) -> list[int]:
    """Start a server of `kind`, run the clients against it, return every latency (ns)."""
    with tempfile.TemporaryDirectory() as tmp:
        server = await asyncio.to_thread(
            BackendProcess.start, __file__, ["--serve", kind, "--db", tmp], 30
        )
        with server:
            url = server.url
            headers = {"Authorization": f"Bearer {server.ready}"} if kind == "hitl" else {}
            path = "/v1/events" if kind == "hitl" else "/events"
            total = int(RATE * SECONDS)
            latencies: list[list[int]] = [[] for _ in range(CLIENTS)]
            readies = [asyncio.Event() for _ in range(CLIENTS)]
            clients = [
                asyncio.create_task(listen(url, path, headers, total, readies[i], latencies[i]))
                for i in range(CLIENTS)
            ]
            await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 10)
            await asyncio.sleep(0.2)  # let every stream reach its first wait
            async with httpx.AsyncClient(base_url=url, headers=headers) as http:
                (await http.post("/bench/run", params={"total": total})).raise_for_status()
            done, pending = await asyncio.wait(clients, timeout=SECONDS + TIMEOUT)
            for task in pending:
                task.cancel()
            for task in done:
                task.result()
            got = [len(one) for one in latencies]
            if min(got) < total:
                print(f"  {kind}: only {min(got)} of {total} events reached the slowest client")
            return [value for one in latencies for value in one]


def percentile(values: list[int], q: float) -> float:
    """The q-th percentile in milliseconds."""
    value = pct(values, q)
    assert value is not None, "no deliveries"
    return value / 1e6


async def main() -> None:
    """Both runs, then the figures."""
    print(
        f"{CLIENTS} SSE clients, {RATE} events/s for {SECONDS:.0f} s "
        f"({PER_TRANSACTION} events per transaction), loopback"
    )
    results: dict[str, tuple[float, float]] = {}
    for kind in ("hitl", "bare"):
        latencies = await measure(kind)
        results[kind] = (percentile(latencies, 50), percentile(latencies, 99))
        p50, p99 = results[kind]
        label = "hitl /v1/events" if kind == "hitl" else "bare sse-starlette"
        print(f"{label:>20}: p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   ({len(latencies)} deliveries)")
    (h50, h99), (b50, b99) = results["hitl"], results["bare"]
    print(f"{'hitl / bare':>20}: p50 {h50 / b50:7.2f} x    p99 {h99 / b99:7.2f} x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["hitl", "bare"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.serve == "hitl":
        serve_hitl(args.port, Path(args.db) / "bench.db")
    elif args.serve == "bare":
        serve_bare(args.port)
    else:
        asyncio.run(main())
