"""Drafting off the customer's request: POST latency while a model writes, kb search, drafts/s.

Run: `python benchmarks/bench_drafting.py` (about a minute, loopback only).

Three processes: a stub OpenAI-compatible model server (a reply citing [1],
after a fixed latency), the real backend (`harness.serve`, SQLite file, bot
`openai` pointed at the stub, grounded in the example knowledge base), and
this one, whose customers speak the real channel API over HTTP.

1. Customer POST latency: 50 customers at once, each starts a chat and says a
   message every 1-3 s (a newer one may supersede a draft in progress), for
   8 s, with a model that takes 0 s, 0.5 s and 2 s. The POST returns
   once the message and its drafting job are stored.
2. Knowledge search: 10,000 generated articles indexed into a fresh database
   (`KnowledgeRows`, FTS5 + BM25), then 1,000 searches; p50/p95.
3. Drafts per second with a fast (0 s) model: 400 chats each say one thing as
   fast as 50 clients can; from the first POST to the last draft committed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
from harness import BackendProcess, pct

CUSTOMERS = 50
SECONDS = 8.0
THINK = 2.0
"""A customer writes every 1-3 s (uniform): brisk for a person typing."""
LATENCIES = (0.0, 0.5, 2.0)
ARTICLES = 10_000
SEARCHES = 1_000
THROUGHPUT_CHATS = 400
QUESTIONS = [
    "How long do I have to return something?",
    "Where is my parcel? It has been a week.",
    "Can I change the delivery address of my order?",
    "Do you ship to Switzerland, and what does it cost?",
    "My lamp arrived broken, what can I do?",
    "Can I pay with PayPal or by invoice?",
]


# -- the child processes -------------------------------------------------------------------


def run_stub(port: int, latency: float) -> None:
    """An OpenAI-compatible /chat/completions that waits `latency`, then cites [1]."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        if latency:
            await asyncio.sleep(latency)
        message = {"role": "assistant", "content": "You can return it within 30 days [1]."}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        return JSONResponse(
            {"object": "chat.completion", "model": body["model"], "choices": [choice]}
        )

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    print("READY stub", flush=True)
    server.run()


def run_backend(port: int, db: str, model_url: str) -> None:
    """The real backend, drafting with the stub model."""
    from harness import serve

    from backend.settings import BotSettings, LimitSettings, Settings

    bot = BotSettings(kind="openai", base_url=model_url, model="stub", concurrency=64, retries=0)
    # Every simulated customer comes from 127.0.0.1: one address, not one customer.
    limits = LimitSettings(unlimited_clients=["127.0.0.1"])
    settings = Settings(db_path=Path(db), secret="bench", bot=bot, limits=limits)
    serve(settings, port, lambda app: "backend")


# -- the measuring side ----------------------------------------------------------------------


async def customer(client: httpx.AsyncClient, until: float, latencies: list[float]) -> None:
    """Start a chat and keep saying things until `until`, timing each POST."""
    # Customers arrive over the first think time, not all in the same millisecond.
    await asyncio.sleep(random.uniform(0, THINK))
    started = await client.post("/v1/channel/conversations", json={"customer": {"name": "B"}})
    chat = started.json()
    headers = {"Authorization": f"Bearer {chat['customer_token']}"}
    path = f"/v1/channel/conversations/{chat['id']}/messages"
    while time.monotonic() < until:
        t0 = time.perf_counter()
        response = await client.post(path, json={"text": random.choice(QUESTIONS)}, headers=headers)
        latencies.append(time.perf_counter() - t0)
        response.raise_for_status()
        await asyncio.sleep(random.uniform(0.5, 1.5) * THINK)


async def post_latency(url: str) -> list[float]:
    """50 customers talking at once for SECONDS; every POST's latency."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CUSTOMERS + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        until = time.monotonic() + SECONDS
        await asyncio.gather(*(customer(client, until, latencies) for _ in range(CUSTOMERS)))
    return latencies


def drafts_in(db: str) -> int:
    """Drafts committed so far (read beside the backend: WAL lets both)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT count(*) FROM drafts").fetchone()[0])


async def throughput(url: str, db: str) -> tuple[float, float]:
    """(drafts per second, seconds) for THROUGHPUT_CHATS chats saying one thing each."""
    before = drafts_in(db)
    sem = asyncio.Semaphore(CUSTOMERS)
    limits = httpx.Limits(max_connections=CUSTOMERS + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def one() -> None:
            async with sem:
                started = await client.post(
                    "/v1/channel/conversations", json={"customer": {"name": "T"}}
                )
                chat = started.json()
                await client.post(
                    f"/v1/channel/conversations/{chat['id']}/messages",
                    json={"text": random.choice(QUESTIONS)},
                    headers={"Authorization": f"Bearer {chat['customer_token']}"},
                )

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(THROUGHPUT_CHATS)))
        while drafts_in(db) - before < THROUGHPUT_CHATS:
            if time.perf_counter() - t0 > 60:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - t0
    return (drafts_in(db) - before) / elapsed, elapsed


def kb_search(tmp: Path) -> tuple[float, list[float]]:
    """(seconds to index ARTICLES, search latencies) over generated articles."""
    from backend.knowledge import KnowledgeRows, index_folder
    from backend.store import Store

    rng = random.Random(11)
    vocab = [
        "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9)))
        for _ in range(5_000)
    ]
    common = "return refund parcel delivery order address payment lamp sofa invoice".split()
    folder = tmp / "kb"
    folder.mkdir()
    for i in range(ARTICLES):
        words = rng.choices(vocab, k=120) + rng.choices(common, k=6)
        rng.shuffle(words)
        body = "\n\n".join(" ".join(words[j : j + 40]) + "." for j in range(0, len(words), 40))
        tags = ", ".join(rng.choices(vocab, k=3))
        (folder / f"a{i:05}.md").write_text(
            f"---\ntitle: {' '.join(rng.choices(vocab, k=4))}\ntags: {tags}\n---\n\n{body}\n"
        )
    rows = KnowledgeRows(Store(tmp / "kb.db"))
    t0 = time.perf_counter()
    index_folder(rows, folder)
    indexed = time.perf_counter() - t0
    latencies = []
    for _ in range(SEARCHES):
        query = " ".join(rng.choices(vocab, k=5) + rng.choices(common, k=2))
        t0 = time.perf_counter()
        rows.search(query, 4)
        latencies.append(time.perf_counter() - t0)
    return indexed, latencies


def ms(values: list[float], q: float) -> str:
    value = pct(values, q)
    return f"{value * 1000:.1f}" if value is not None else "—"


def main() -> None:
    """Run the three measurements and print a Markdown table."""
    script = str(Path(__file__).resolve())
    print(f"customer POST latency, {CUSTOMERS} concurrent customers, {SECONDS:g} s each")
    print("| model latency | POSTs | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, latency in enumerate(LATENCIES):
            db = str(Path(tmp) / f"bench{n}.db")
            with BackendProcess.start(script, ["--stub", "--latency", str(latency)]) as stub:
                model_url = f"{stub.url}/v1"
                args = ["--serve", "--db", db, "--model-url", model_url]
                with BackendProcess.start(script, args) as backend:
                    lat = asyncio.run(post_latency(backend.url))
                    print(
                        f"| {latency:g} s | {len(lat)} | {ms(lat, 50)} | {ms(lat, 99)} | "
                        f"{max(lat) * 1000:.1f} |",
                        flush=True,
                    )
                    if latency == 0.0:
                        rate, took = asyncio.run(throughput(backend.url, db))
                        fast = f"{rate:.0f} drafts/s ({THROUGHPUT_CHATS} chats in {took:.1f} s)"
        print(f"\ndrafts per second with a 0 s model: {fast}")
        indexed, search = kb_search(Path(tmp))
        print(
            f"knowledge search over {ARTICLES:,} articles: p50 {ms(search, 50)} ms, "
            f"p95 {ms(search, 95)} ms (indexing them took {indexed:.1f} s)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--stub", action="store_true")
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--db")
    parser.add_argument("--model-url")
    parser.add_argument("--port", type=int)
    options = parser.parse_args()
    if options.stub:
        run_stub(options.port, options.latency)
    elif options.serve:
        run_backend(options.port, options.db, options.model_url)
    else:
        main()
