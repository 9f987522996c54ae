"""bench_audit_screen's backend: the journal built (if missing) and served in its own process.

The parent calls `start_backend`; the child (`bench_audit_screen.py --serve`)
runs `serve`, so the console's process never imports `backend`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
from audit_screen_clock import JOURNAL_SECRET
from harness import HERE, BackendProcess

BENCH = str(HERE / "bench_audit_screen.py")
"""The script the child runs (with `--serve`)."""


@dataclass
class Journal:
    """What the backend process reports about the journal it serves."""

    token: str
    entries: int
    origin: str
    size_mb: float
    reasons: list[str]
    common_words: list[str]
    tail_words: list[str]


def start_backend(db: Path, entries: int, keep: bool) -> tuple[BackendProcess, Journal]:
    """The real backend over the journal file, in a subprocess on 127.0.0.1; and the journal.

    The subprocess also builds the journal when the file is missing, so the
    console's process never imports `backend` (its garbage collector walks only
    what a console's would).
    """
    args = ["--serve", "--db", str(db), "--entries", str(entries)] + (["--keep"] if keep else [])
    backend = BackendProcess.start(BENCH, args)
    return backend, Journal(**json.loads(backend.ready))


def serve(db: Path, port: int, entries: int, keep: bool) -> None:
    """The backend process: build the journal if missing, add a supervisor, serve."""
    from bench_audit import REASONS, VOCABULARY, WORDS, build_journal

    from backend.settings import Settings
    from backend_client import ReasonCode, Role

    if db.exists():
        origin = f"reused {db}"
    else:
        partial = db.with_name(db.name + ".partial")  # never reuse a half-built file
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        started = time.perf_counter()
        store, _, secret = build_journal(partial, entries)
        assert secret == JOURNAL_SECRET, "bench_audit signs with another key now: update this"
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        partial.replace(db)
        seconds = time.perf_counter() - started
        origin = f"built at {db} in {seconds:.0f} s" + (" (kept)" if keep else "")

    def prepare(app: Any) -> str:
        store = app.state.store
        _, token = store.add_operator("bench-supervisor", Role.SUPERVISOR)
        newest = store.db.execute("SELECT max(seq) FROM audit").fetchone()[0] or 0
        journal = Journal(
            token=token,
            entries=newest,
            origin=origin,
            size_mb=db.stat().st_size / 1e6,
            reasons=[reason for reason in REASONS if reason in set(ReasonCode)],
            common_words=WORDS,
            tail_words=VOCABULARY[len(WORDS) : 500],
        )
        return json.dumps(journal.__dict__)

    harness.serve(Settings(db_path=db, secret=JOURNAL_SECRET), port, prepare)
