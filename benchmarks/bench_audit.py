"""Benchmark: the override log's queries at the store, over a large journal.

Builds a journal of N entries (default 1,000,000) with a valid hash chain in a
temporary SQLite file through the real schema (`backend.store.Store`), then
times what the override log asks for — `Store.list_audit` — from the first
page and from random deep keyset cursors:

- a filtered page (limit 50) per filter kind: none, action, actor, reason code,
  conversation, time range, actor + action;
- a full-text search (`q`), alone and with a filter.

Baseline in the same run: the same page fetched with OFFSET instead of a keyset
cursor, to show what keyset pagination saves. Prints p50/p95/p99 per query.

    python benchmarks/bench_audit.py [--entries 1000000] [--samples 300]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import cells, pct

from backend.domain.journal import GENESIS, entry_hash
from backend.store import Store, encode_cursor

QUANTILES = (50, 95, 99)
ACTIONS = ["approve"] * 6 + ["edit"] * 2 + ["reject", "regenerate", "takeover", "handback"]
REASONS = ["incorrect", "incomplete", "tone", "policy", "privacy", "bias", "outdated", "other"]
WORDS = (
    "parcel refund return voucher invoice delivery tracking account password warranty "
    "courier address payment card order cancel exchange damaged missing late discount "
    "sorry apologies shipping express international customs label size colour replacement"
).split()
"""Words of the trade: the most frequent words of every text (the hard case for search)."""
VOCABULARY = WORDS + [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "su", "ta") for b in range(400)]
"""About 2,400 words drawn Zipf-like, so texts look like language, not a 30-word loop."""
ZIPF = [1 / (rank + 1) for rank in range(len(VOCABULARY))]


def _text(rng: random.Random, length: int) -> str:
    return " ".join(rng.choices(VOCABULARY, weights=ZIPF, k=length))


def build_journal(path: Path, entries: int, seed: int = 7) -> tuple[Store, list[str], str]:
    """A journal of `entries` rows with a valid chain; returns the store, actors, secret."""
    store = Store(path)
    secret = "bench-secret"
    rng = random.Random(seed)
    actors = [f"op_{i:04d}" for i in range(40)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev = GENESIS
    batch: list[tuple[object, ...]] = []
    texts: list[tuple[object, ...]] = []
    fts: list[tuple[object, ...]] = []
    db = store.db
    columns = (
        "seq, at, actor, role, action, reason_code, note, conversation_id, draft_id, "
        "bot_name, bot_model, ai_text_hmac, final_text_hmac, prev_hash, hash"
    )

    def flush() -> None:
        with store.transaction():
            db.conn.executemany(f"INSERT INTO audit ({columns}) VALUES ({'?, ' * 14}?)", batch)
            db.conn.executemany("INSERT INTO audit_texts VALUES (?, ?, ?)", texts)
            db.conn.executemany(
                "INSERT INTO audit_fts (rowid, note, ai_text, final_text) VALUES (?, ?, ?, ?)", fts
            )
        batch.clear()
        texts.clear()
        fts.clear()

    for seq in range(1, entries + 1):
        action = rng.choice(ACTIONS)
        overrides = action in ("edit", "reject", "regenerate", "takeover")
        reason = rng.choice(REASONS) if overrides else None
        note = _text(rng, 6) if overrides and rng.random() < 0.5 else None
        ai_text = _text(rng, 18)
        final_text = (
            _text(rng, 18) if action == "edit" else (ai_text if action == "approve" else None)
        )
        row = {
            "seq": seq,
            "at": (start + timedelta(seconds=seq * 3)).isoformat(timespec="microseconds"),
            "actor": rng.choice(actors),
            "role": "agent",
            "action": action,
            "reason_code": reason,
            "note": note,
            "conversation_id": f"c_{seq // 4:08x}",
            "draft_id": f"d_{seq:08x}",
            "bot_name": "builtin-faq",
            "bot_model": "bm25-v1",
            "ai_text_hmac": hmac.new(secret.encode(), ai_text.encode(), hashlib.sha256).hexdigest(),
            "final_text_hmac": (
                hmac.new(secret.encode(), final_text.encode(), hashlib.sha256).hexdigest()
                if final_text
                else None
            ),
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(row)
        batch.append(tuple(row.values()))
        texts.append((seq, ai_text, final_text))
        fts.append((seq, note or "", ai_text, final_text or ""))
        if len(batch) >= 20_000:
            flush()
    if batch:
        flush()
    db.execute("ANALYZE")
    return store, actors, secret


def timed(samples: int, query: Callable[[random.Random], object]) -> list[float]:
    """Milliseconds per call of `query` over `samples` calls with a seeded RNG."""
    rng = random.Random(1)
    out = []
    for _ in range(samples):
        started = time.perf_counter()
        query(rng)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    """Build the journal, run every query kind, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        store, actors, _ = build_journal(Path(tmp) / "bench.db", args.entries)
        built = time.perf_counter() - started
        n = args.entries
        size_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6
        print(
            f"journal: {n:,} entries with a valid chain, built in {built:.1f} s, {size_mb:.0f} MB"
        )

        def deep(rng: random.Random) -> str:
            return encode_cursor([rng.randint(n // 10, n)])

        def at(seq: int) -> str:
            return (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seq * 3)).isoformat()

        cases: list[tuple[str, Callable[[random.Random], object]]] = [
            ("first page, no filter", lambda r: store.list_audit(limit=50)),
            ("deep page, no filter", lambda r: store.list_audit(limit=50, cursor=deep(r))),
            ("action=edit, deep", lambda r: store.list_audit(action="edit", cursor=deep(r))),
            (
                "actor, deep",
                lambda r: store.list_audit(actor=r.choice(actors), cursor=deep(r)),
            ),
            (
                "reason_code, deep",
                lambda r: store.list_audit(reason_code=r.choice(REASONS), cursor=deep(r)),
            ),
            (
                "conversation",
                lambda r: store.list_audit(conversation=f"c_{r.randint(0, n // 4):08x}"),
            ),
            (
                "time range (1 day)",
                lambda r: store.list_audit(
                    since=at(s := r.randint(1, n - 30_000)), until=at(s + 28_800)
                ),
            ),
            (
                "actor + action, deep",
                lambda r: store.list_audit(actor=r.choice(actors), action="reject", cursor=deep(r)),
            ),
        ]
        searches: list[tuple[str, Callable[[random.Random], object]]] = [
            ("search: most common word", lambda r: store.list_audit(q=WORDS[0])),
            ("search: one word", lambda r: store.list_audit(q=r.choice(VOCABULARY))),
            (
                "search: two words",
                lambda r: store.list_audit(q=f"{r.choice(WORDS)} {r.choice(VOCABULARY)}"),
            ),
            (
                "search: word + action",
                lambda r: store.list_audit(q=r.choice(VOCABULARY), action="edit"),
            ),
        ]

        def offset_page(r: random.Random) -> object:
            offset = n - r.randint(n // 10, n)
            return list(
                store.db.query(
                    store._AUDIT_SQL + " ORDER BY a.seq DESC LIMIT 50 OFFSET ?", [offset]
                )
            )

        baseline = timed(max(20, args.samples // 10), offset_page)
        print(f"\n{'query (limit 50)':<28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        keyset_deep: list[float] = []
        for name, query in cases + searches:
            values = timed(args.samples, query)
            if name == "deep page, no filter":
                keyset_deep = values
            print(f"{name:<28}{cells(values, QUANTILES, 9, 2)}")
        print(f"{'baseline: OFFSET deep page':<28}{cells(baseline, QUANTILES, 9, 2)}")
        ratio = (pct(baseline, 99) or 0) / (pct(keyset_deep, 99) or 1)
        print(f"\nkeyset vs OFFSET, deep page p99: {ratio:.0f}x faster")
        print("targets: a filtered page p99 <= 5 ms; text search p95 <= 50 ms")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
