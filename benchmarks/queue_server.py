"""bench_queue's loopback backend: the real backend in its own process, seeded, with a producer.

The parent side (`Server`) starts `bench_queue.py --serve ...` through the
harness and follows its events; the child side (`serve`) seeds the store with
direct SQL and adds a route that starts the producer.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import harness
from harness import HERE, BackendProcess
from queue_data import PER_TRANSACTION, PHRASES, RATE, SIZE, build_summaries, plan_updates, top_ids

from backend_client import EventType

if TYPE_CHECKING:
    from fastapi import FastAPI
    from queue_app import BenchApp

BENCH = str(HERE / "bench_queue.py")
"""The script a child runs (with `--serve`)."""


class Server:
    """The real backend in a subprocess on 127.0.0.1, seeded with `rows` conversations."""

    def __init__(self, process: BackendProcess, url: str, token: str) -> None:
        self.process = process
        self.url = url
        self.token = token

    @classmethod
    async def start(cls, rows: int, epoch: float) -> Server:
        """Start and seed it; returns once it accepts connections."""
        db = Path(tempfile.mkdtemp(prefix="bench-queue-")) / "bench.db"
        args = ["--serve", "--rows", str(rows), "--epoch", str(epoch), "--db", str(db)]
        process = await asyncio.to_thread(BackendProcess.start, BENCH, args, 120)
        return cls(process, process.url, process.ready)

    def client(self) -> Any:
        """An operator client for this backend."""
        from backend_client import AsyncBackendClient

        return AsyncBackendClient(self.url, self.token)

    async def stream(self, app: BenchApp, count: int) -> None:
        """Follow `/v1/events` into the app while the backend produces `count` updates."""
        import httpx

        received = asyncio.Event()
        live = asyncio.Event()

        async def follow() -> None:
            async with self.client() as client:
                seen = 0
                stream = client.events(on_state=lambda state: live.set())
                async for event in stream:
                    if event.type is EventType.CONVERSATION_UPDATED:
                        app.apply_event(event, event.at.timestamp())
                        seen += 1
                        if seen == count:
                            received.set()
                            return

        task = asyncio.create_task(follow())
        await asyncio.wait_for(live.wait(), 10)
        await asyncio.sleep(0.2)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers) as http:
            response = await http.post("/bench/run", params={"total": count})
            response.raise_for_status()
        try:
            await asyncio.wait_for(received.wait(), count / RATE + 20)
        finally:
            task.cancel()

    def stop(self) -> None:
        """Stop the backend."""
        self.process.stop()


def serve(rows: int, epoch: float, port: int, db: Path) -> None:
    """The backend process: seed, then serve, with a route that starts the producer."""
    from backend.settings import Settings

    harness.serve(Settings(db_path=db, secret="bench"), port, partial(_seed, rows, epoch))


def _seed(rows: int, epoch: float, app: FastAPI) -> str:
    """Seed the backend's store with `rows` conversations; add the producer's route."""
    from backend_client import Role

    store = app.state.store
    _, token = store.add_operator("bench", Role.ADMIN)
    holders = [store.add_operator(f"agent{n}", Role.AGENT)[0].id for n in range(5)]
    summaries = build_summaries(rows, epoch, holders)
    # Direct SQL for the setup: 100k conversations through the API would take
    # minutes and measure nothing this benchmark is about.
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO conversations (id, status, version, holder, customer_name, "
            "customer_email, customer_token_hash, waiting_since, created_at, updated_at, "
            "last_message) VALUES (?, ?, ?, ?, ?, ?, 'x', ?, ?, ?, ?)",
            [
                (
                    s.id,
                    s.status.value,
                    s.version,
                    s.holder,
                    s.customer.name,
                    s.customer.email,
                    _iso(s.waiting_since),
                    _iso(s.created_at),
                    _iso(s.updated_at),
                    s.last_message,
                )
                for s in summaries
            ],
        )
    ids = [s.id for s in summaries]
    visible = top_ids(summaries, SIZE[1])

    async def produce(total: int) -> None:
        plan = plan_updates(ids, visible, total)
        start = time.monotonic()
        for tick, first in enumerate(range(0, total, PER_TRANSACTION)):
            delay = start + tick * PER_TRANSACTION / RATE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            with store.transaction():
                for number in range(first, min(first + PER_TRANSACTION, total)):
                    cid, kind = plan[number]
                    fields: dict[str, Any] = {
                        "last_message": f"{PHRASES[number % len(PHRASES)]} (update {number})"
                    }
                    if kind == "waits":
                        fields["waiting_since"] = store.now()
                    elif kind == "answered":
                        fields["waiting_since"] = None
                    store.update_conversation(cid, **fields)
                    store.publish_conversation(cid)

    @app.post("/bench/run")
    async def run(total: int) -> dict[str, str]:
        app.state.producer = asyncio.create_task(produce(total))
        return {"ok": "started"}

    return str(token)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


# -- the parent: run every child, print the table ------------------------------------------
