"""Benchmark: the override log screen over a large journal, from key press to frame.

Run: `python benchmarks/bench_audit_screen.py --db /tmp/hitl-bench-1m.db` (1,000,000
entries; the file is built there first if it does not exist, which takes 3-5
minutes; then about 2 minutes on two cores). `--entries 100000` for a quicker run; without
`--db` the journal is built in a temporary file and deleted afterwards.

What runs. The journal is `bench_audit.build_journal` (valid hash chain, real
schema, HMAC key `bench-secret`). The real backend (`create_app(Settings(db_path,
secret))`, started by `harness.serve` through `hitl.embedded`) serves it from
uvicorn on 127.0.0.1 in a process of its own, so its
CPU work (chain verification, SQLite) competes with the console for the machine's
cores as it would in production, not for one GIL; a supervisor operator is added
to the file for the token. The console is the real app, opted in to collecting
garbage between frames (`console.idle_gc.make_idle_collecting_app(config)`:
the console's only GC control, which the benchmarks opt in to), run with
`App.run_test(size=(160, 50))`; three attributes are set on the instance
and nothing else changes: its driver is `frames.CountingDriver` (headless,
but Textual still encodes every frame; this one also keeps the frame's text),
`post_display_hook` stamps each frame that wrote bytes (then calls the app's own,
which collects garbage between frames), and `notify` is wrapped
to note what the console told the person. This process never imports `backend`
(the subprocess builds the journal too), so its garbage collector walks only
what a console's would.

A sample is the time from sending a `Key` event through the driver (as a
terminal's input thread does), from an idle app (30 ms after the previous
frame was due), to the first frame after which the app's state holds the
result AND the frames written since the key contain its text (e.g. the detail
panel's "Entry 999950" heading), so a frame that merely happened is not enough:

1. open: F6 on the queue → the first frame with the newest entry's row drawn.
   The first time (one sample: the screen is composed, its code run for the
   first time), and again at the end of the run (`--samples` times: escape
   back to the queue, wait, F6 → the first frame after the first page of the
   filters left in place was fetched again; the screen is kept for the session,
   and each open asks for a chain verification, which the server answers with
   the check in flight or a new one).
2. cursor down: 200 presses of down → the frame that draws the detail panel of
   the newly highlighted entry (its row is then the table's cursor row). Page
   prefetches run as in use (the screen asks for the next page 20 rows from the
   end of what is loaded).
3. end: 20 presses → (a) the frame showing the last loaded entry selected, and
   (b) the first frame after the next page's rows (fetched by keyset cursor)
   were added to the table.
4. filters through the widgets: focus the action choice (f, tab) and time each
   → or ← that steps it to the next action → the first frame drawing a
   matching entry's detail (20 samples, sweeping approve … handback and back:
   the actions the journal has); the same with the reason choice (20 samples,
   sweeping the reason codes it has).
5. search: `/`, type a word (untimed), then time enter → the first frame with a
   matching entry's detail (20 words: half the most frequent words of the
   journal, half from its long tail).

Chain verification: on mount the screen asks `GET /v1/audit/verify` in a
worker; the figure is F6 → the frame whose header shows the result, or, if the
worker gives up (the client's read timeout), when it did. While it is in
flight, cursor-down presses (up to 20) and `end` presses (up to `--samples`,
each of whose pages must come from the backend) are measured as well: the
first show whether the console's UI is blocked, the second whether the backend
is (a fetch that gives up is noted, not sampled). The figures 2-5 are taken
only after that, so they measure the screen, not the verification; if a failed
fetch left the screen without its next-page cursor, it is reloaded (untimed,
noted) first.

Also noted: the console's full (oldest-generation) garbage collections during
the run, and every notification the console showed.

Prints the table: metric | p50 | p95 | p99 | target (≤100 ms) | met?.

Where things are: this script runs the steps in order and prints; the frame
clock, settings and results are in `audit_screen_clock`, the steps (one method
a key) in `audit_screen_steps`, the journal's backend in `audit_screen_backend`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from audit_screen_backend import Journal, serve, start_backend
from audit_screen_clock import (
    DOWN,
    DOWN_PRESSES,
    END_LOCAL,
    END_PAGE,
    METRICS,
    SAMPLES,
    SIZE,
    TARGET_MS,
    FrameClock,
    Results,
)
from audit_screen_steps import Bench
from harness import pct

from console.config import ConsoleConfig
from console.idle_gc import make_idle_collecting_app


def search_words(journal: Journal, count: int) -> list[str]:
    """Half the journal's most frequent words, half from its long tail, alternating."""
    rng = random.Random(3)
    common = rng.sample(journal.common_words, count - count // 2)
    tail = rng.sample(journal.tail_words, count // 2)
    return [word for pair in zip(common, tail, strict=False) for word in pair] + common[len(tail) :]


class GcPauses:
    """A `gc.callbacks` hook: every collection of the oldest generation, in ms."""

    def __init__(self) -> None:
        self.oldest: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """Called by the collector at the start and the end of each collection."""
        if phase == "start":
            self._started = time.perf_counter()
        elif info["generation"] == 2:
            self.oldest.append((time.perf_counter() - self._started) * 1000)


async def run(url: str, journal: Journal, results: Results, samples: int) -> None:
    """The console against the backend: every measurement in order."""
    config = ConsoleConfig(url=url, token=journal.token, config_path=Path(os.devnull))
    # Opted in, as the benchmarks are: frames are not interrupted by collections.
    app = make_idle_collecting_app(config)
    clock = FrameClock(app)
    bench = Bench(app, clock, url, journal, results)
    pauses = GcPauses()
    async with app.run_test(size=SIZE):
        await bench.until(lambda: app.me is not None and not app.loading)
        gc.callbacks.append(pauses)
        try:
            opened = await bench.open()
            await bench.while_verifying(samples)
            await bench.wait_verified(opened)
            await bench.until(bench.page_settled)
            if bench.lost_cursor or bench.table.row_count == 0:
                results.notes.append(
                    "the failed fetch left the screen without a next-page cursor (no more "
                    "pages until the filters change): the bench reloads it (untimed)"
                )
                bench.screen.reload()
                await bench.until(lambda: bench.table.row_count > 0 and bench.page_settled())
            for _ in range(DOWN_PRESSES):
                results.add(DOWN, await bench.down())
            await bench.until(bench.page_settled)
            for _ in range(samples):
                if bench.screen._next_cursor is None:
                    results.notes.append("end: the whole log is loaded; fewer samples")
                    break
                local, page = await bench.end()
                results.add(END_LOCAL, local)
                results.add(END_PAGE, page)
                await bench.until(bench.page_settled)
            await bench.filters(samples, journal.reasons)
            await bench.search(search_words(journal, samples))
            for _ in range(samples):
                await bench.reopen()
        finally:
            gc.callbacks.remove(pauses)
    if pauses.oldest:
        results.notes.append(
            f"console's full garbage collections while measured: {len(pauses.oldest)}, "
            f"median {pct(pauses.oldest, 50):.0f} ms, longest {max(pauses.oldest):.0f} ms"
        )
    results.notes.append(f"{clock.frames} frames written")
    for message in dict.fromkeys(clock.notified):
        results.notes.append(f"the console notified: {message[:110]!r}")


def table(results: Results) -> list[str]:
    """The lines of the table."""
    head = f"{'metric':<36}{'n':>5}{'p50':>10}{'p95':>10}{'p99':>10}  {'target':<10}  met?"
    lines = [head, "-" * len(head)]
    shown = sorted(results.samples.items(), key=lambda item: METRICS.index(item[0]))
    for metric, values in shown:
        cells = [pct(values, q) for q in (50, 95, 99)]
        worst = max(value for value in cells if value is not None)
        met = "yes" if worst <= TARGET_MS else "NO"
        lines.append(
            f"{metric:<36}{len(values):>5}"
            + "".join(f"{value:>10.1f}" for value in cells if value is not None)
            + f"  {'≤100 ms':<10}  {met}"
        )
    verify = f"{results.verify_ms:>10.0f}" if results.verify_ms is not None else f"{'—':>10}"
    lines.append(f"{'chain verification (F6 → header)':<36}{1:>5}{verify}  ({results.verify_text})")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the journal, serve it, drive the console, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="journal size to build")
    parser.add_argument("--db", help="journal file: reused if it exists, else built there")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="samples per metric")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.db), args.port, args.entries, args.keep)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-audit-screen-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "journal.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        load = os.getloadavg()[0]
        backend, journal = start_backend(db, args.entries, keep=args.db is not None)
        results = Results()
        started = time.monotonic()
        try:
            print(
                f"Override log at {SIZE[0]}×{SIZE[1]}: {journal.entries:,} journal entries "
                f"({journal.origin}, {journal.size_mb:.0f} MB)"
            )
            if journal.entries != args.entries:
                print(f"  note: asked for {args.entries:,}; the file holds {journal.entries:,}")
            print(
                "Backend: uvicorn on 127.0.0.1 in a subprocess (its own GIL, the journal's file); "
                "console: the real app (make_idle_collecting_app) in this process, frames encoded, "
                f"{SIZE[0]}×{SIZE[1]}; python {sys.version.split()[0]}, {os.cpu_count()} cores, "
                f"load average {load:.1f} before the backend started."
            )
            print("A sample: key sent → first frame that shows the result (ms).\n", flush=True)
            asyncio.run(run(backend.url, journal, results, args.samples))
        finally:
            backend.stop()
    print("\n".join(table(results)))
    for note in results.notes:
        print(f"  {note}")
    print(f"\n(measured in {time.monotonic() - started:.0f} s after the journal was ready)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
