"""The engine: scripted customers chatting through the customer channel, counted as they go.

Each customer starts a chat through `backend_client.ChannelClient`, says its
turns with pauses in between, and watches what it is shown: the AI
disclosure, then replies once a human approved them. It is a client of the
channel API and nothing else, so it runs against any hitl backend, in
process (a `transport=`) or over the network.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import httpx

from backend_client import (
    Author,
    BackendError,
    ChannelClient,
    ChatStarted,
    ConnectionLostError,
    Message,
)
from hitl.simulator.scenarios import Scenario, load_scenarios

T = TypeVar("T")

POLL_INTERVAL = 1.0
"""Seconds between two looks at the transcript while a customer waits."""
PROGRESS_INTERVAL = 0.5
"""Seconds between two `on_progress` reports."""
CONNECT_RETRIES = 4
"""How often one call is retried after the backend could not be reached."""
BACKOFF_FIRST = 0.5
"""Seconds before the first retry; each further retry waits twice as long."""


@dataclass
class SimulationStats:
    """What a simulation run did and saw; updated live while it runs."""

    chats_started: int = 0
    chats_finished: int = 0
    """Chats whose customer said every turn and stopped waiting."""
    chats_greeted: int = 0
    """Chats whose customer saw the AI disclosure (a system message)."""
    chats_answered: int = 0
    """Chats whose customer saw at least one reply (from the AI or a person)."""
    messages_sent: int = 0
    replies_seen: int = 0
    """Delivered `ai` and `human` messages the customers saw."""
    requests_ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    """Failed calls by exception type name; connection errors count every attempt."""
    last_error: dict[str, str] = field(default_factory=dict)
    """The most recent message of each error type, for the summary."""
    by_kind: Counter[str] = field(default_factory=Counter)
    """Chats started, by scenario kind."""
    first_reply_latencies: list[float] = field(default_factory=list)
    """Seconds from a customer's first message to the first reply they saw,
    give or take one poll interval."""
    elapsed: float = 0.0

    @property
    def all_failed(self) -> bool:
        """True when calls were made and not one of them succeeded."""
        return self.requests_ok == 0 and self.errors.total() > 0


class _ChatAbandoned(Exception):
    """A call failed for good; the customer gives up on this chat."""


class _Transcript:
    """What one customer has seen of their chat so far."""

    def __init__(self, chat: ChatStarted) -> None:
        self.chat = chat
        self.seen: set[str] = set()
        self.last_id: str | None = None
        self.first_sent_at: float | None = None
        self.greeted = False
        self.answered = False
        self.replies_since_last_turn = 0


async def simulate(
    url: str,
    *,
    customers: int = 20,
    rate: float = 1.0,
    duration: float | None = None,
    chats: int | None = None,
    seed: int = 0,
    transport: httpx.AsyncBaseTransport | None = None,
    on_progress: Callable[[SimulationStats], None] | None = None,
    turn_delay: tuple[float, float] = (2.0, 8.0),
    reply_wait: float | None = None,
) -> SimulationStats:
    """Run simulated customers against the backend at `url` and return what happened.

    At most `customers` chats run at once; new chats start at `rate` per
    second overall. Each chat plays a scenario chosen with `random.Random(seed)`,
    pausing a random `turn_delay` (seconds, low and high) between turns and
    then waiting up to `reply_wait` seconds for a reply (default: three times
    the longest turn delay). The run ends once `chats` chats have finished or
    `duration` seconds have passed, whichever comes first; with neither it
    runs until cancelled. Backend errors are counted in the stats, never
    raised; a call that cannot reach the backend is retried with backoff.
    `on_progress` gets the live stats object every half second and at the end.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if rate <= 0:
        raise ValueError("rate must be positive")
    low, high = turn_delay
    if not 0 <= low <= high:
        raise ValueError("turn_delay must be (low, high) with 0 <= low <= high")
    run = _Run(
        scenarios=load_scenarios(),
        stats=SimulationStats(),
        rng=random.Random(seed),
        turn_delay=turn_delay,
        reply_wait=3 * high if reply_wait is None else reply_wait,
        on_progress=on_progress,
    )
    async with ChannelClient(url, transport=transport) as client:
        await run.run(client, customers=customers, rate=rate, duration=duration, chats=chats)
    return run.stats


class _Run:
    """One simulation: the launcher, the customers and the shared stats."""

    def __init__(
        self,
        *,
        scenarios: Sequence[Scenario],
        stats: SimulationStats,
        rng: random.Random,
        turn_delay: tuple[float, float],
        reply_wait: float,
        on_progress: Callable[[SimulationStats], None] | None,
    ) -> None:
        self.scenarios = scenarios
        self.stats = stats
        self.rng = rng
        self.turn_delay = turn_delay
        self.reply_wait = reply_wait
        self.on_progress = on_progress
        self.started = time.monotonic()

    async def run(
        self,
        client: ChannelClient,
        *,
        customers: int,
        rate: float,
        duration: float | None,
        chats: int | None,
    ) -> None:
        self.started = time.monotonic()
        try:
            async with asyncio.TaskGroup() as outer:
                reporter = outer.create_task(self._report())
                try:
                    async with asyncio.timeout(duration), asyncio.TaskGroup() as group:
                        await self._launch(group, client, customers, rate, chats)
                except TimeoutError:
                    pass  # the duration is up: that is how a timed run ends
                reporter.cancel()
        finally:
            # Also on cancellation (Ctrl-C), so the caller's last report is complete.
            self._tick()

    async def _launch(
        self,
        group: asyncio.TaskGroup,
        client: ChannelClient,
        customers: int,
        rate: float,
        chats: int | None,
    ) -> None:
        slots = asyncio.Semaphore(customers)
        interval = 1.0 / rate
        next_start = time.monotonic()
        launched = 0
        while chats is None or launched < chats:
            await slots.acquire()
            delay = next_start - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # Pace from now when slots were the bottleneck, so a backlog does
            # not turn into a burst of chats the moment slots free up.
            next_start = max(next_start, time.monotonic()) + interval
            scenario = self.rng.choice(self.scenarios)
            # Each chat gets its own generator so the sequence of scenarios and
            # delays depends on the seed, not on how the tasks interleave.
            chat_rng = random.Random(self.rng.getrandbits(64))
            group.create_task(self._customer(client, scenario, chat_rng, slots))
            launched += 1

    async def _customer(
        self,
        client: ChannelClient,
        scenario: Scenario,
        rng: random.Random,
        slots: asyncio.Semaphore,
    ) -> None:
        try:
            await self._play(client, scenario, rng)
        except _ChatAbandoned:
            pass  # already counted in stats.errors
        except Exception as exc:
            # A load tool counts a failure it did not foresee and keeps going;
            # the summary names the exception type.
            self._count_error(exc)
        finally:
            slots.release()

    async def _play(self, client: ChannelClient, scenario: Scenario, rng: random.Random) -> None:
        customer = scenario.customer
        chat = await self._call(lambda: client.start_chat(customer.name, customer.email))
        self.stats.chats_started += 1
        self.stats.by_kind[scenario.kind] += 1
        transcript = _Transcript(chat)
        await self._poll(client, transcript)
        for number, text in enumerate(scenario.turns):
            if number:
                await self._watch(client, transcript, rng.uniform(*self.turn_delay))
            await self._call(partial(client.say, chat, text))
            self.stats.messages_sent += 1
            transcript.replies_since_last_turn = 0
            if transcript.first_sent_at is None:
                transcript.first_sent_at = time.monotonic()
        await self._watch(client, transcript, self.reply_wait, until_reply=True)
        self.stats.chats_finished += 1

    async def _watch(
        self,
        client: ChannelClient,
        transcript: _Transcript,
        seconds: float,
        *,
        until_reply: bool = False,
    ) -> None:
        """Look at the transcript now and then for `seconds`, at least once."""
        deadline = time.monotonic() + seconds
        while True:
            await self._poll(client, transcript)
            if until_reply and transcript.replies_since_last_turn:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(POLL_INTERVAL, remaining))

    async def _poll(self, client: ChannelClient, transcript: _Transcript) -> None:
        fresh = await self._call(lambda: client.messages(transcript.chat, after=transcript.last_id))
        for message in fresh:
            # Dedupe by id too: the simulator should count right even if a
            # backend ignores `after` and sends the whole transcript.
            if message.id in transcript.seen:
                continue
            transcript.seen.add(message.id)
            transcript.last_id = message.id
            self._saw(transcript, message)

    def _saw(self, transcript: _Transcript, message: Message) -> None:
        if message.author == Author.SYSTEM and not transcript.greeted:
            transcript.greeted = True
            self.stats.chats_greeted += 1
        if message.author not in (Author.AI, Author.HUMAN):
            return
        self.stats.replies_seen += 1
        transcript.replies_since_last_turn += 1
        if not transcript.answered:
            transcript.answered = True
            self.stats.chats_answered += 1
            if transcript.first_sent_at is not None:
                latency = time.monotonic() - transcript.first_sent_at
                self.stats.first_reply_latencies.append(latency)

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        """One call to the backend: counted, retried with backoff while unreachable."""
        backoff = BACKOFF_FIRST
        for attempt in range(CONNECT_RETRIES + 1):
            try:
                result = await make()
            except ConnectionLostError as exc:
                self._count_error(exc)
                if attempt == CONNECT_RETRIES:
                    raise _ChatAbandoned from exc
                await asyncio.sleep(backoff)
                backoff *= 2
            except (BackendError, httpx.HTTPError) as exc:
                self._count_error(exc)
                raise _ChatAbandoned from exc
            else:
                self.stats.requests_ok += 1
                return result
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _count_error(self, exc: BaseException) -> None:
        name = type(exc).__name__
        self.stats.errors[name] += 1
        self.stats.last_error[name] = str(exc)

    async def _report(self) -> None:
        while True:
            self._tick()
            await asyncio.sleep(PROGRESS_INTERVAL)

    def _tick(self) -> None:
        self.stats.elapsed = time.monotonic() - self.started
        if self.on_progress is not None:
            self.on_progress(self.stats)
