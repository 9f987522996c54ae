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
to the file for the token. The console is the real app, `make_app(config)`, run
with `App.run_test(size=(160, 50))`; three attributes are set on the instance
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
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
from frames import CountingDriver
from harness import BackendProcess, pct
from textual import events
from textual.driver import Driver
from textual.widgets import Input

from backend_client import AuditEntry
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.screens.audit_log import AuditLogScreen
from console.widgets.audit_list import AuditList
from console.widgets.choice import Choice

SIZE = (160, 50)
TARGET_MS = 100.0
JOURNAL_SECRET = "bench-secret"
"""The HMAC key `bench_audit.build_journal` signs with (checked after a build)."""
KEY_GAP = 0.03
"""Idle time before each timed key, so every sample starts from a quiet app."""
DOWN_PRESSES = 200
SAMPLES = 20
DURING_VERIFY = 20
"""Cursor-down presses measured while the chain verification is in flight (at most)."""
STEP_TIMEOUT = 30.0
"""The longest one sample may wait for its frame."""
VERIFY_TIMEOUT = 240.0
"""The longest the chain verification may take before it is reported as not done."""
FILTER_ACTIONS = ["approve", "edit", "reject", "regenerate", "takeover", "handback"]
"""The actions `bench_audit.build_journal` writes (the others have no entries)."""


# -- frames ------------------------------------------------------------------------------


class RecordingDriver(CountingDriver):
    """`CountingDriver` (frames encoded, not written) that also keeps the current frame's text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts: list[str] = []

    def write(self, data: str) -> None:
        """Count the bytes and keep them until the frame is stamped."""
        super().write(data)
        self.parts.append(data)


@dataclass
class Waiter:
    """Resolves with the time of the first frame after which `ready()` holds and every
    string `needles()` returns was in a frame written since the waiter was made."""

    ready: Callable[[], bool]
    needles: Callable[[], list[str]]
    future: asyncio.Future[float]
    seen: list[str] = field(default_factory=list)


class FrameClock:
    """Timestamps the frames of one app: sets `_build_driver` and `post_display_hook` on it."""

    def __init__(self, app: HitlApp) -> None:
        self.app = app
        self.driver: RecordingDriver | None = None
        self.frames = 0
        self._waiters: list[Waiter] = []
        self.notified: list[str] = []
        """What the app told the person (toasts), in order."""
        app._build_driver = self._build_driver  # type: ignore[method-assign]
        # Chained, not replaced: the app's own hook collects garbage between frames.
        self._app_hook = app.post_display_hook
        app.post_display_hook = self._after_display  # type: ignore[method-assign]
        notify = app.notify

        def noting(message: str, *args: Any, **kwargs: Any) -> None:
            title = kwargs.get("title") or ""
            self.notified.append(f"{title}: {message}" if title else message)
            notify(message, *args, **kwargs)

        app.notify = noting  # type: ignore[method-assign]

    def _build_driver(
        self, headless: bool, inline: bool, mouse: bool, size: tuple[int, int] | None
    ) -> Driver:
        self.driver = RecordingDriver(self.app, debug=False, mouse=mouse, size=size)
        return self.driver

    def _after_display(self) -> None:
        self._app_hook()
        driver = self.driver
        if driver is None or not driver.parts:
            return
        now = time.perf_counter()
        text = "".join(driver.parts)
        driver.parts.clear()
        self.frames += 1
        still = []
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            waiter.seen.append(text)
            if waiter.ready():
                seen = "".join(waiter.seen)
                if all(needle in seen for needle in waiter.needles()):
                    waiter.future.set_result(now)
                    continue
            still.append(waiter)
        self._waiters = still

    def frame_when(
        self, ready: Callable[[], bool], needles: Callable[[], list[str]] = list
    ) -> asyncio.Future[float]:
        """A future for the perf_counter time of the first frame that shows the result."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append(Waiter(ready, needles, future))
        return future

    def send(self, key: str, character: str | None = None) -> float:
        """Send a key as a terminal would; returns when it was sent."""
        assert self.driver is not None
        started = time.perf_counter()
        self.driver.send_message(events.Key(key, character))
        return started


# -- the backend in its own process ----------------------------------------------------------


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
    backend = BackendProcess.start(__file__, args)
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


# -- the measurements -------------------------------------------------------------------------


@dataclass
class Results:
    """Milliseconds per metric, in the order they are printed; notes for the footer."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    verify_ms: float | None = None
    verify_text: str = ""

    def add(self, metric: str, value: float) -> None:
        """One sample."""
        self.samples.setdefault(metric, []).append(value)


OPEN = "open: F6 → first rows"
REOPEN = "open again: F6 → page reloaded"
DOWN = "cursor down → row + detail"
END_LOCAL = "end → last loaded row + detail"
END_PAGE = "end → next page's rows in table"
FILTER_ACTION = "filter action (choice) → rows"
FILTER_REASON = "filter reason (choice) → rows"
SEARCH = "search (/ word enter) → rows"
DOWN_VERIFYING = "cursor down, verify in flight"
END_VERIFYING = "end → next page, verify in flight"
METRICS = [OPEN, REOPEN, DOWN_VERIFYING, END_VERIFYING, DOWN, END_LOCAL, END_PAGE]
METRICS += [FILTER_ACTION, FILTER_REASON, SEARCH]
"""The order of the table's lines."""


class Bench:
    """Drives one console through every measurement."""

    def __init__(
        self, app: HitlApp, clock: FrameClock, url: str, journal: Journal, results: Results
    ) -> None:
        self.app = app
        self.clock = clock
        self.url = url
        self.journal = journal
        self.newest = journal.entries
        self.results = results
        self.lost_cursor = False

    # -- the screen's state, as read after each frame ------------------------------------

    @property
    def screen(self) -> AuditLogScreen:
        screen = self.app.screen
        assert isinstance(screen, AuditLogScreen), f"not on the override log: {screen!r}"
        return screen

    @property
    def table(self) -> AuditList:
        return self.screen.query_one("#audit-table", AuditList)

    def on_log(self) -> bool:
        return isinstance(self.app.screen, AuditLogScreen)

    def selected(self) -> AuditEntry | None:
        return self.screen.selected if self.on_log() else None

    def detail_needle(self) -> list[str]:
        """The selected entry's heading in the detail panel."""
        entry = self.selected()
        return [f"Entry {entry.seq}"] if entry is not None else ["\0never"]

    def chain_needle(self) -> list[str]:
        """The header's words for the chain's state."""
        chain = self.screen.chain if self.on_log() else None
        if chain is None:
            return ["\0never"]
        return ["Chain verified" if chain.ok else "Chain BROKEN"]

    def seq_at(self, row: int) -> int:
        return self.table.entry_at(row).seq

    def verifying(self) -> bool:
        return self.on_log() and self.screen.chain is None

    # -- pressing keys --------------------------------------------------------------------

    async def key(
        self, key: str, character: str | None = None, then: Callable[[], bool] | None = None
    ) -> None:
        """An untimed key; then waits until `then()` holds (keys are not sent faster than the
        app handles them: focus moves are deferred, and a key sent before the previous one's
        focus change landed would be handled by the wrong widget)."""
        await asyncio.sleep(KEY_GAP)
        self.clock.send(key, character)
        if then is not None:
            await self.until(then)
        await asyncio.sleep(KEY_GAP)

    def focused(self, widget_id: str) -> Callable[[], bool]:
        """A check: the widget with this id has the focus."""
        return lambda: self.app.focused is not None and self.app.focused.id == widget_id

    async def timed(
        self,
        key: str,
        ready: Callable[[], bool],
        needles: Callable[[], list[str]] = list,
        timeout: float = STEP_TIMEOUT,
    ) -> float:
        """Milliseconds from sending `key` (to an idle app) to the frame that shows the result."""
        await asyncio.sleep(KEY_GAP)
        frame = self.clock.frame_when(ready, needles)
        started = self.clock.send(key)
        return (await asyncio.wait_for(frame, timeout) - started) * 1000

    async def until(self, check: Callable[[], bool], timeout: float = STEP_TIMEOUT) -> None:
        """Wait (untimed) until `check()` holds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not get there")
            await asyncio.sleep(0.01)

    def page_settled(self) -> bool:
        return not self.screen.fetching and not self._loading()

    def _loading(self) -> bool:
        return any(
            worker.group == "audit-page" and not worker.is_finished
            for worker in self.screen.workers
        )

    # -- 1. open, and what happens while the chain is verified ----------------------------

    def running(self, group: str) -> bool:
        """Whether the screen has an unfinished worker of this group."""
        return any(w.group == group and not w.is_finished for w in self.screen.workers)

    async def settle(
        self, frame: asyncio.Future[float], failed: Callable[[], bool], timeout: float
    ) -> float | None:
        """The frame's time, or None once `failed()` held for half a second (or at timeout)."""
        deadline = time.monotonic() + timeout
        failing_since: float | None = None
        while not frame.done():
            now = time.monotonic()
            if now > deadline:
                return None
            if self.on_log() and failed():
                failing_since = failing_since or now
                if now - failing_since > 0.5:
                    return None
            else:
                failing_since = None
            await asyncio.sleep(0.02)
        return frame.result()

    def last_notice(self) -> str:
        """What the console last told the person, if anything."""
        return self.clock.notified[-1][:100] if self.clock.notified else "no notice"

    async def open(self) -> float:
        """F6 → the first frame with the newest entry's row; returns when F6 was sent."""
        await asyncio.sleep(0.5)
        rows = self.clock.frame_when(
            lambda: self.on_log() and self.table.row_count > 0, lambda: [str(self.newest)]
        )
        self.verified = self.clock.frame_when(
            lambda: self.on_log() and self.screen.chain is not None,
            self.chain_needle,
        )
        started = self.clock.send("f6")
        when = await self.settle(
            rows, lambda: self.table.row_count == 0 and self.page_settled(), VERIFY_TIMEOUT
        )
        if when is None:
            self.results.notes.append(
                f"open: no rows after {time.perf_counter() - started:.1f} s ({self.last_notice()})"
            )
        else:
            self.results.add(OPEN, (when - started) * 1000)
        return started

    async def reopen(self) -> None:
        """Escape back to the queue, then F6 → the frame with the log's first page reloaded."""
        if self.app.focused is not None and self.app.focused.id != "audit-table":
            await self.key("escape", then=self.focused("audit-table"))
        screen = self.screen
        await self.key("escape", then=lambda: not self.on_log())
        await asyncio.sleep(0.5)
        shown = screen._loaded_generation

        def ready() -> bool:
            return self.on_log() and screen._loaded_generation > shown and self.table.row_count > 0

        rows = self.clock.frame_when(ready, lambda: [str(self.seq_at(0))])
        started = self.clock.send("f6")
        when = await self.settle(rows, lambda: self.page_settled() and not ready(), STEP_TIMEOUT)
        if when is None:
            self.results.notes.append(f"open again: no page reloaded ({self.last_notice()})")
            return
        self.results.add(REOPEN, (when - started) * 1000)
        await self.until(self.page_settled)

    async def while_verifying(self, samples: int) -> None:
        """Cursor moves and page fetches while the server verifies the chain."""
        for _ in range(DURING_VERIFY):
            if not self.verifying() or self.table.row_count < 2:
                break
            value = await self.down()
            if self.verifying():  # the frame came before the verification ended
                self.results.add(DOWN_VERIFYING, value)
        for _ in range(samples):
            await self.until(self.page_settled, VERIFY_TIMEOUT)
            if not self.verifying() or self.screen._next_cursor is None:
                return
            if not await self.end_while_verifying():
                return

    async def end_while_verifying(self) -> bool:
        """One `end` whose page must come from the backend; False if it never came."""
        rows = self.table.row_count
        await asyncio.sleep(KEY_GAP)
        frame = self.clock.frame_when(lambda: self.on_log() and self.table.row_count > rows)
        started = self.clock.send("end")
        when = await self.settle(
            frame,
            lambda: self.table.row_count == rows and self.page_settled(),
            VERIFY_TIMEOUT,
        )
        if when is not None:
            if self.verifying():  # the page came before the verification ended
                self.results.add(END_VERIFYING, (when - started) * 1000)
            return True
        self.results.notes.append(
            f"end while verifying: the page never came; the fetch gave up after "
            f"{time.perf_counter() - started:.1f} s ({self.last_notice()})"
        )
        self.lost_cursor = self.screen._next_cursor is None
        return False

    async def wait_verified(self, opened: float) -> None:
        """F6 → the frame whose header shows the chain's state (or why it never did)."""
        when = await self.settle(
            self.verified,
            lambda: self.screen.chain is None and not self.running("audit-verify"),
            VERIFY_TIMEOUT,
        )
        if when is None:
            self.results.verify_ms = (time.perf_counter() - opened) * 1000
            self.results.verify_text = f"never shown; the worker gave up: {self.last_notice()}"
            return
        self.results.verify_ms = (when - opened) * 1000
        chain = self.screen.chain
        assert chain is not None
        self.results.verify_text = (
            f"ok, {chain.entries:,} entries"
            if chain.ok
            else f"BROKEN at {chain.first_bad}: {chain.reason}"
        )

    # -- 2. and 3. moving through the table ----------------------------------------------

    async def down(self) -> float:
        """One press of down → the frame with the next row's detail."""
        table = self.table
        before = table.cursor_row
        if before + 1 >= table.row_count:
            await self.until(self.page_settled)
            if before + 1 >= table.row_count:  # the end of the log: start again
                await self.key("home", then=lambda: self.table.cursor_row == 0)
                before = table.cursor_row
        seq = self.seq_at(before + 1)

        def ready() -> bool:
            entry = self.selected()
            return self.table.cursor_row == before + 1 and entry is not None and entry.seq == seq

        return await self.timed("down", ready, lambda: [f"Entry {seq}"])

    async def end(self, timeout: float = STEP_TIMEOUT) -> tuple[float, float]:
        """One press of end → (last loaded row shown, next page's rows in the table)."""
        table = self.table
        rows = table.row_count
        last = self.seq_at(rows - 1)

        def shown() -> bool:
            entry = self.selected()
            return entry is not None and entry.seq == last

        def grown() -> bool:
            return self.on_log() and self.table.row_count > rows

        await asyncio.sleep(KEY_GAP)
        local = self.clock.frame_when(shown, lambda: [f"Entry {last}"])
        page = self.clock.frame_when(grown)
        started = self.clock.send("end")
        local_at = await asyncio.wait_for(local, timeout)
        page_at = await asyncio.wait_for(page, timeout)
        return (local_at - started) * 1000, (page_at - started) * 1000

    # -- 4. filters through the choice widgets ----------------------------------------------

    async def sweep(self, choice_id: str, column: str, present: set[str], samples: int) -> None:
        """Step the focused choice with → and ← across the options the journal has, timing each.

        Each key is what a person presses to see the next action (or reason):
        → until the last option with entries, then ← back, and so on. A sample
        ends at the first frame drawing a matching entry's detail.
        """
        choice = self.screen.query_one(f"#{choice_id}", Choice)
        await self.until(self.focused(choice_id))
        values = [value for _, value in choice._options]
        # The first run of adjacent options that have entries (a reason the journal
        # lacks, like "customer request", ends it).
        first = next(index for index, value in enumerate(values) if value in present)
        have = [first]
        while have[-1] + 1 < len(values) and values[have[-1] + 1] in present:
            have.append(have[-1] + 1)
        assert len(have) > 1, "no two adjacent options with entries to step between"
        while choice.index != have[0]:  # untimed: to the first option with entries
            await self.key("right", then=lambda index=choice.index: choice.index != index)
        await self.until(self.page_settled)
        metric = FILTER_ACTION if column == "action" else FILTER_REASON
        step = 1
        for _ in range(samples):
            if choice.index + step not in have:
                step = -step
            value = values[choice.index + step]

            def ready(value: object = value) -> bool:
                if not self.on_log() or self.table.row_count == 0:
                    return False
                entry = self.selected()
                shown = getattr(entry, column, None)
                chosen = getattr(self.screen.filters, column)
                return chosen == value and shown is not None and str(shown) == value

            key = "right" if step == 1 else "left"
            self.results.add(metric, await self.timed(key, ready, self.detail_needle))
            await self.until(self.page_settled)
        while choice.index != 0:  # untimed: back to "any"
            await self.key("left", then=lambda index=choice.index: choice.index != index)
        await self.until(lambda: choice.value is None and self.screen.filters.active is False)
        await self.until(self.page_settled)

    async def filters(self, samples: int, reasons: list[str]) -> None:
        """Action, then reason, stepped with the keyboard in their choice widgets."""
        await self.key("f", "f", then=self.focused("filter-actor"))
        await self.key("tab", then=self.focused("filter-action"))
        await self.sweep("filter-action", "action", set(FILTER_ACTIONS), samples)
        await self.key("tab", then=self.focused("filter-reason"))
        await self.sweep("filter-reason", "reason_code", set(reasons), samples)

    # -- 5. free-text search -----------------------------------------------------------------

    async def search(self, words: list[str]) -> None:
        """`/`, type each word, enter → the first frame with a matching entry."""
        await self.until(self.focused("filter-reason"))
        await self.key("escape", then=self.focused("audit-table"))
        await self.key("slash", "/", then=self.focused("filter-q"))
        field_ = self.screen.query_one("#filter-q", Input)
        for word in words:
            if field_.value:
                await self.key("home", then=lambda: field_.cursor_position == 0)
                await self.key("ctrl+k", then=lambda: field_.value == "")
            for character in word:
                self.clock.send(character, character)
            await self.until(lambda word=word: field_.value == word)  # type: ignore[misc]

            def ready(word: str = word) -> bool:
                return (
                    self.on_log()
                    and self.screen.filters.q == word
                    and self.table.row_count > 0
                    and self.selected() is not None
                )

            self.results.add(SEARCH, await self.timed("enter", ready, self.detail_needle))
            await self.until(self.page_settled)


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
    app = make_app(config)
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


# -- the report ------------------------------------------------------------------------------


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
                "console: the real app (make_app) in this process, frames encoded, "
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
