"""One bench_queue child: a widget in an app that timestamps its frames, and what it measures.

The app opts in to the console's between-frames garbage collection
(`console.idle_gc.IdleCollectingApp`, which the console itself does not use
unless asked to) whichever widget it holds, so the three widgets are measured
under the same collector.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from frames import CountingDriver
from queue_data import (
    DRAIN,
    KEY_GAP,
    LOAD_BUDGET,
    RATE,
    RUN,
    SIZE,
    WIRE_PAGE,
    GcPauses,
    Result,
    producer_plan,
    reset_peak_rss,
    rss_mb,
    updated,
    wire_pages,
)
from queue_server import Server
from queue_targets import TARGETS, Pending, Target
from textual import events
from textual.app import ComposeResult
from textual.driver import Driver
from textual.message import Message

from backend_client import ConversationSummary, Event, EventType
from console.idle_gc import IdleCollectingApp
from console.live.feed import FIRST_FRAME_WAIT, FIRST_PAGE, PAGE


@dataclass
class FrameWaiter:
    """Resolves with a frame's time once `ready()` holds after a frame."""

    ready: Callable[[], bool]
    future: asyncio.Future[float]


class PageArrived(Message):
    """One page of the snapshot, handed to the app as the console's worker hands it."""

    def __init__(
        self, items: list[ConversationSummary], last: bool, drawn: asyncio.Event | None = None
    ) -> None:
        super().__init__()
        self.items = items
        self.last = last
        self.drawn = drawn


class BenchApp(IdleCollectingApp[None]):
    """One widget filling a 160×50 screen; timestamps every frame it writes.

    It collects garbage between frames as the console does (`IdleCollectingApp`),
    whichever widget it holds.
    """

    CSS = "Screen { layout: vertical; } DataTable, QueueList { height: 1fr; }"

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.frames = 0
        self.last_frame = 0.0
        self._written = 0
        self._waiters: list[FrameWaiter] = []
        self.pending: list[Pending] = []
        self.event_latencies: list[float] = []
        self.snapshot_in = False
        """True once the last page of the snapshot was handed to the widget."""

    def _build_driver(
        self, headless: bool, inline: bool, mouse: bool, size: tuple[int, int] | None
    ) -> Driver:
        driver = self._driver = CountingDriver(self, debug=False, mouse=mouse, size=size)
        return driver

    def compose(self) -> ComposeResult:
        """The widget under test, alone."""
        yield self.target.widget()

    def on_mount(self) -> None:
        """Keys go to the widget."""
        self.target.widget().focus()

    def on_page_arrived(self, message: PageArrived) -> None:
        """Hand the page to the widget (the app's `on_queue_page_loaded`)."""
        self.target.add_page(message.items, last=message.last)
        self.freeze_when_idle()  # as the console's opt-in app does after each page
        self.snapshot_in = message.last
        if message.drawn is not None:
            self.call_after_refresh(message.drawn.set)

    def post_display_hook(self) -> None:
        """After each `_display`: if it wrote a frame, stamp it and settle what it showed."""
        super().post_display_hook()
        driver = self._driver
        assert isinstance(driver, CountingDriver)
        if driver.written == self._written:
            return
        self._written = driver.written
        now = time.perf_counter()
        self.frames += 1
        self.last_frame = now
        if self._waiters:
            still = []
            for waiter in self._waiters:
                if waiter.ready():
                    if not waiter.future.done():
                        waiter.future.set_result(now)
                else:
                    still.append(waiter)
            self._waiters = still
        if self.pending:
            wall = time.time()
            drawn = self.target.drawn
            keep = []
            for change in self.pending:
                if drawn.get(change.conversation_id, -1) >= change.version:
                    self.event_latencies.append(wall - change.since)
                else:
                    keep.append(change)
            self.pending = keep

    def frame_when(self, ready: Callable[[], bool]) -> asyncio.Future[float]:
        """A future for the perf_counter time of the first frame after which `ready()` holds."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append(FrameWaiter(ready, future))
        return future

    def apply_event(self, event: Event, since: float) -> None:
        """Apply an event; a change on screen waits for the frame that draws it."""
        shown = self.target.apply(event)
        if shown is not None:
            self.pending.append(Pending(shown[0], shown[1], since))


# -- one run ------------------------------------------------------------------------


async def presses(app: BenchApp, key: str, step: int) -> list[float]:
    """`RUN.samples` presses of `key` (moving the cursor `step` rows); ms from each to its frame.

    Before a press that would hit the end, the cursor goes back to the top
    (not timed), so every sample moves the cursor.
    """
    target = app.target
    samples = []
    for _ in range(RUN.samples):
        if target.cursor() + step >= target.length():
            target.home()
            await asyncio.sleep(0.2)
        samples.append(await press(app, key) * 1000)
    return samples


async def press(app: BenchApp, key: str) -> float:
    """Send `key` from an idle app; seconds until the first frame after the cursor moved."""
    await asyncio.sleep(KEY_GAP)
    target = app.target
    before = target.cursor()
    frame = app.frame_when(lambda: target.cursor() != before)
    driver = app._driver
    assert driver is not None
    start = time.perf_counter()
    driver.send_message(events.Key(key, None))
    return (await asyncio.wait_for(frame, 10)) - start


async def drive_events(
    app: BenchApp, plan: list[tuple[str, str]], source: dict[str, ConversationSummary]
) -> None:
    """The in-process producer: the planned updates at RATE per second, on a fixed schedule.

    `source` holds each planned conversation as the snapshot had it.
    """
    current: dict[str, ConversationSummary] = {}
    prepared: list[Event] = []
    for number, (cid, kind) in enumerate(plan):
        held = current.get(cid) or source[cid]
        new = updated(held, kind, number)
        current[cid] = new
        prepared.append(
            Event(
                id=number + 1,
                type=EventType.CONVERSATION_UPDATED,
                at=datetime.now(UTC),
                conversation_id=cid,
                data=new.model_dump(mode="json"),
            )
        )
    start = time.time()
    for number, event in enumerate(prepared):
        due = start + number / RATE
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        app.apply_event(event, due)


async def post_pages(app: BenchApp, pages: list[bytes]) -> None:
    """Post the snapshot as the console's worker would, were the network instant.

    Each page is parsed from its JSON on the app's loop, as the client does
    with a response body, and handed over. The worker awaits each page from
    the network, so the app gets to draw between pages; here the loop gets
    one turn between them, the least a network read gives it.
    """
    for number, body in enumerate(pages):
        items = WIRE_PAGE.validate_json(body).items
        # As the console's worker: the next page waits until the first is drawn.
        drawn = asyncio.Event() if number == 0 else None
        app.post_message(PageArrived(items, last=number == len(pages) - 1, drawn=drawn))
        del items
        await asyncio.sleep(0)
        if drawn is not None:
            await asyncio.wait_for(drawn.wait(), FIRST_FRAME_WAIT)


async def fetch_pages(app: BenchApp, server: Server, started: asyncio.Future[float]) -> None:
    """Page through `GET /v1/conversations` and post each page as it comes (the worker).

    `started` gets the time the first page was handed over.
    """
    async with server.client() as client:
        cursor, limit = None, FIRST_PAGE
        while True:
            page = await client.list_conversations(limit=limit, cursor=cursor)
            if not started.done():
                started.set_result(time.perf_counter())
            drawn = asyncio.Event() if cursor is None else None
            app.post_message(PageArrived(page.items, last=page.next_cursor is None, drawn=drawn))
            if page.next_cursor is None:
                return
            if drawn is not None:
                await asyncio.wait_for(drawn.wait(), FIRST_FRAME_WAIT)
            cursor, limit = page.next_cursor, PAGE


async def run_one(kind: str, rows: int, epoch: float, loopback: bool, result: Result) -> None:
    """Everything measured for one widget at one size."""
    server: Server | None = None
    pages: list[bytes] = []
    if loopback:
        server = await Server.start(rows, epoch)
    else:
        # The JSON the API would send, built before the baseline and kept
        # until RSS is read: what the bench holds is not the widget's.
        pages = wire_pages(rows, epoch)
        result.rss_data = sum(len(page) for page in pages) / 2**20
        gc.collect()
        reset_peak_rss()
    baseline, _ = rss_mb()
    target = TARGETS[kind]()
    gc.callbacks.append(pauses := GcPauses())
    app = BenchApp(target)
    try:
        async with app.run_test(size=SIZE):
            await asyncio.sleep(0.2)
            first = app.frame_when(target.fully_drawn)
            whole = app.frame_when(lambda: app.snapshot_in)
            if server is None:
                # From the first page's JSON: parsing it is the console's work.
                start = time.perf_counter()
                fetching = asyncio.create_task(post_pages(app, pages))
            else:
                started: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                fetching = asyncio.create_task(fetch_pages(app, server, started))
                # From the first page handed over, as in-process.
                start = await asyncio.wait_for(started, LOAD_BUDGET)
            try:
                when = await asyncio.wait_for(first, LOAD_BUDGET)
                result.first_frame = (when - start) * 1000
                when = await asyncio.wait_for(whole, LOAD_BUDGET)
                result.snapshot_in = (when - start) * 1000
            except TimeoutError:
                result.note = f"not measurable (snapshot not in within {LOAD_BUDGET:.0f} s)"
                return
            await fetching
            rss, _ = rss_mb()
            result.rss_first = rss - baseline
            pages.clear()

            if not loopback:
                result.down = await presses(app, "down", 1)
                result.pagedown = await presses(app, "pagedown", target.visible_lines())
            target.home()
            await asyncio.sleep(0.3)
            if kind == "floor":
                return  # keys only: it has no rows to update

            count = int(RATE * RUN.event_seconds)
            if server is None:
                plan, source = producer_plan(rows, epoch, target.visible_lines(), count)
                await asyncio.sleep(0.3)
                await drive_events(app, plan, source)
            else:
                await server.stream(app, count)
            result.events_sent = count
            deadline = time.monotonic() + DRAIN
            while app.pending and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            result.event = [latency * 1000 for latency in app.event_latencies]
            result.events_visible = len(app.event_latencies) + len(app.pending)
            result.events_not_drawn = len(app.pending)
            result.frames = app.frames
    finally:
        gc.callbacks.remove(pauses)
        result.gc_longest = pauses.longest * 1000
        if server is not None:
            server.stop()
        _, peak = rss_mb()
        result.rss_peak = peak - baseline
