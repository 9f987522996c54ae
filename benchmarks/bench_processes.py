"""Several backend processes on PostgreSQL against one on SQLite, in one run.

    python benchmarks/bench_processes.py [--drafts 1200] [--clients 32]

For each layout — 1 process on SQLite, then 1, 2 and 4 processes on one
PostgreSQL database — it seeds `--drafts` pending drafts, starts real
`hitl serve` processes and lets `--clients` operators approve them as fast as
they can, each request to the next process in turn (a round-robin load
balancer). It prints decisions per second and per-decision latency, the
cores the whole machine kept busy, and CPU per decision in the backends and
elsewhere (PostgreSQL and the load generator), and the ratio of each layout to
the SQLite process. Then, on 2 PostgreSQL processes: the
time from an event's commit on one process to its frame on a stream of the
other (p50/p99), and journal appends per second from 1 and from 4 processes.

The load comes from this process (asyncio and a minimal HTTP/1.1 client,
`Wire`), on the same cores as the backends: on a 2-core machine it competes
with them, so read ratios, not absolute figures; "cores busy" shows how much
of the machine a layout used. Needs PostgreSQL (`HITL_TEST_PG`, default the local one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import httpx  # noqa: E402
from harness import Cores, Wire, free_port, pct  # noqa: E402

from backend.store import connect  # noqa: E402
from backend_client import Action, Author, BotIdentity, ConversationStatus, Customer, Role  # noqa: E402

ADMIN = os.environ.get("HITL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BOT = BotIdentity(name="bench", model="bench")


@contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"hitl_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def seed(
    target: str | Path, drafts: int, operators: int
) -> tuple[list[str], list[tuple[str, int]]]:
    """Operators' tokens and (draft id, version) of `drafts` pending drafts."""
    store = connect(target)
    try:
        tokens = [store.add_operator(f"op{i}", Role.AGENT)[1] for i in range(operators)]
        pending = []
        for i in range(drafts):
            with store.transaction():
                cid = store.create_conversation(Customer(name=f"Customer {i}"), f"t{i}")
                store.add_message(cid, Author.CUSTOMER, "Where is my parcel?")
                draft = store.add_draft(
                    cid,
                    text="Your parcel left our warehouse today; tracking follows by email.",
                    confidence=0.9,
                    rationale="bench",
                    sources=[],
                    flags=[],
                    bot=BOT,
                    instruction=None,
                    send_at=None,
                )
                store.update_conversation(
                    cid,
                    status=ConversationStatus.AWAITING_REVIEW,
                    waiting_since=datetime.now(UTC).isoformat(),
                )
                store.publish_conversation(cid, created=True)
            pending.append((draft.id, draft.version))
        return tokens, pending
    finally:
        store.close()


@contextmanager
def served(target: str | Path, processes: int) -> Iterator[tuple[list[str], list[int]]]:
    """`processes` real `hitl serve` processes on `target`; their URLs and pids."""
    env = {**os.environ, "HITL_SECRET": "bench", "HITL_CONFIG": ""}
    procs, urls = [], []
    for _ in range(processes):
        port = free_port()
        args = [sys.executable, "-m", "hitl", "serve", "--db", str(target), "--port", str(port)]
        args += ["--log-level", "warning"]
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{url} did not come up")
                time.sleep(0.1)
        yield urls, [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)


async def decide(
    urls: list[str], tokens: list[str], pending: list[tuple[str, int]], clients: int
) -> tuple[float, list[float]]:
    """Approve every pending draft; (seconds taken, each decision's latency in ms)."""
    queue = list(reversed(pending))
    latencies: list[float] = []
    turn = 0

    async def operator(i: int) -> None:
        nonlocal turn
        pool = [Wire(url, tokens[i % len(tokens)]) for url in urls]
        try:
            while queue:
                did, version = queue.pop()
                wire = pool[turn % len(pool)]
                turn += 1
                started = time.perf_counter()
                status, body = await wire.approve(did, version)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise SystemExit(f"approve failed: {status} {body[:200]!r}")
        finally:
            for wire in pool:
                wire.close()

    started = time.perf_counter()
    await asyncio.gather(*(operator(i) for i in range(clients)))
    return time.perf_counter() - started, latencies


def layout(
    name: str, target: str | Path, processes: int, args: argparse.Namespace
) -> dict[str, float]:
    tokens, pending = seed(target, args.drafts, args.clients)
    with served(target, processes) as (urls, pids):
        cores = Cores(pids)
        seconds, latencies = asyncio.run(decide(urls, tokens, pending, args.clients))
        busy, backends = cores.spent()
    p50, p99 = pct(latencies, 50), pct(latencies, 99)
    assert p50 is not None and p99 is not None, "no decision was timed"
    row = {"rate": len(pending) / seconds, "p50": p50, "p99": p99, "busy": busy / seconds}
    print(
        f"{name:<24} {row['rate']:>11.0f} {row['p50']:>7.1f} {row['p99']:>7.1f} "
        f"{busy / seconds:>11.2f} {backends / len(pending) * 1000:>11.2f} "
        f"{(busy - backends) / len(pending) * 1000:>9.2f}",
        flush=True,
    )
    return row


async def fan_out(urls: list[str], token: str, pending: list[tuple[str, int]]) -> list[float]:
    """Decide on process B, read the stream of process A: commit → frame, in ms."""
    a, b = urls
    got: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    done = asyncio.Event()

    async def listen() -> None:
        async with httpx.AsyncClient(base_url=a, headers=headers, timeout=None) as client:
            async with client.stream("GET", "/v1/events") as stream:
                kind = ""
                async for line in stream.aiter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:") and kind == "draft.decided":
                        at = datetime.fromisoformat(json.loads(line[5:])["at"])
                        got.append((datetime.now(UTC) - at).total_seconds() * 1000)
                        if len(got) == len(pending):
                            done.set()
                            return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(base_url=b, headers=headers, timeout=60) as client:
        for did, version in pending:
            await client.post(f"/v1/drafts/{did}/approve", headers={"If-Match": f'"{version}"'})
            await asyncio.sleep(0.01)  # a steady trickle, not a burst
    await asyncio.wait_for(done.wait(), 60)
    listener.cancel()
    return got


def _appends(url: str, count: int, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = connect(url)
    op = store.list_operators()[0]
    started = time.perf_counter()
    for _ in range(count):
        with store.transaction():
            store.append_audit(
                "bench", operator=op, action=Action.PAUSE, reason_code=None, note="bench",
                conversation_id=None, draft_id=None, bot=None, ai_text=None, final_text=None,
            )  # fmt: skip
    results.put(time.perf_counter() - started)
    store.close()


def journal(url: str, processes: int, count: int) -> float:
    """Journal entries appended per second by `processes` processes together."""
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    workers = [
        multiprocessing.Process(target=_appends, args=(url, count, results))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return processes * count / (time.perf_counter() - started)


async def lock_budget(url: str, drafts: int) -> tuple[float, float]:
    """One process, one operator, in-process: (ms per decision, ms of it run alone).

    A decision runs alone from its first journal entry to its commit (the append
    lock: `backend/store/postgres.py`), so 1000 / that is the most decisions per
    second any number of processes can make.
    """
    from backend.app import create_app
    from backend.settings import Settings

    tokens, pending = seed(url, drafts, 1)
    app = create_app(Settings(db_url=url, secret="bench"))
    db = app.state.store.db
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://b", headers=headers
        ) as c:
            held, writes = db.lock_held, db.writes
            started = time.perf_counter()
            for did, version in pending:
                await c.post(f"/v1/drafts/{did}/approve", headers={"If-Match": f'"{version}"'})
            total = time.perf_counter() - started
    app.state.store.close()
    per_write = (db.lock_held - held) / max(1, db.writes - writes)
    return total / len(pending) * 1000, per_write * 1000 * (db.writes - writes) / len(pending)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--drafts", type=int, default=1200)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--appends", type=int, default=500)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.drafts} drafts approved by {args.clients} operators\n")
    print(
        f"{'layout':<24} {'decisions/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'cores busy':>11} "
        f"{'backend ms':>11} {'other ms':>9}"
    )
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        rows["sqlite"] = layout("SQLite, 1 process", Path(tmp) / "bench.db", 1, args)
    for n in (1, 2, 4):
        with postgres() as url:
            rows[f"pg{n}"] = layout(f"PostgreSQL, {n} process{'es' if n > 1 else ''}", url, n, args)
    base = rows["sqlite"]["rate"]
    print(
        "\nratio to SQLite, 1 process: "
        + ", ".join(f"{k} {v['rate'] / base:.2f}x" for k, v in rows.items())
    )
    print(f"PostgreSQL 4 processes / 1 process: {rows['pg4']['rate'] / rows['pg1']['rate']:.2f}x")
    cores = os.cpu_count() or 1
    print(
        f"the most any number of processes could carry on this machine: {cores} cores / "
        f"{rows['pg1']['busy']:.2f} cores busy with 1 process = "
        f"{cores / rows['pg1']['busy']:.2f}x (with no cost per process at all)"
    )

    with postgres() as url:
        tokens, pending = seed(url, 300, 1)
        with served(url, 2) as (urls, _):
            latencies = asyncio.run(fan_out(urls, tokens[0], pending))
        print(
            f"\nevent fan-out, commit on B -> frame on A: p50 {pct(latencies, 50):.1f} ms, "
            f"p99 {pct(latencies, 99):.1f} ms ({len(latencies)} events)"
        )
        ms, locked = asyncio.run(lock_budget(url, 200))
        print(
            f"one decision in-process: {ms:.1f} ms, {locked:.1f} ms of it alone (the append "
            f"lock): at most {1000 / locked:.0f} decisions/s for any number of processes"
        )
        one = journal(url, 1, args.appends)
        four = journal(url, 4, args.appends)
        store = connect(url)
        seqs = [int(r["seq"]) for r in store.audit_rows()]
        store.close()
        assert seqs == list(range(1, len(seqs) + 1)), "the chain has a gap"
        print(
            f"journal appends/s: 1 process {one:.0f}, 4 processes together {four:.0f} "
            f"(chain of {len(seqs)} entries, no gaps)"
        )


if __name__ == "__main__":
    main()
