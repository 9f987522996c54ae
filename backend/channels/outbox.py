"""The outbox: deliveries written in the decision's transaction, sent by one worker with backoff.

An event hook runs inside every transaction that appends an event and
writes the deliveries it calls for (webhooks, Chatwoot) into the outbox
table, so a delivery exists exactly when the change it announces committed.
The worker sends due deliveries in order, marks each sent once the other
side said 2xx, and retries a failure later (doubling the wait), so a
restart resends only what was not confirmed. A receiver may still see a
repeat if hitl stops between the other side's 2xx and the commit: each
delivery carries a stable id (`Webhook-Id`) for that.

The stop button reaches the outbox too: a delivery written for a message
the AI wrote is marked (whichever channel's enqueuer writes it), and while
the AI is paused the worker leaves it, and the later deliveries of its chat
to the same target, waiting. They go out, in order, after the resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import httpx
from fastapi import FastAPI

from backend_client import Event, EventType

from ..domain import policy
from ..hub import call_on_loop
from ..settings import Settings
from ..store import Store
from ..store.outbox import AI_WRITTEN, Delivery
from .webhooks import announcements, enqueue_webhooks, webhook_request

log = logging.getLogger("hitl.outbox")

POLL_SECONDS = 0.1
"""How often the worker looks for due deliveries when it was not woken."""
SEND_TIMEOUT = 10.0
"""The longest one delivery attempt may take."""


class DeliveryFailed(Exception):
    """The other side did not take a delivery; `str()` says why (shown as "not delivered")."""


Sender = Callable[[httpx.AsyncClient, Delivery], Awaitable[None]]
Enqueuer = Callable[[Store, Settings, Event, list[tuple[str, dict[str, Any]]]], None]


def reaches_a_customer(row: dict[str, Any] | None) -> bool:
    """Whether a conversation has a customer on the other side of the channels.

    A calibration conversation has none: its known-bad draft, and the notice
    that tells the reviewer about it, are announced to no channel at all.
    """
    return row is not None and row.get("calibration_id") is None


def carries_ai_text(event: Event) -> bool:
    """Whether what an event announces is text the AI wrote (held while the AI is paused)."""
    return event.type is EventType.MESSAGE_CREATED and bool(event.data.get("ai_generated"))


def backoff(attempts: int, settings: Settings) -> float:
    """Seconds to wait after the `attempts`-th failure: doubling, capped."""
    first = settings.outbox.first_retry_seconds
    return float(min(first * 2 ** max(attempts - 1, 0), settings.outbox.max_retry_seconds))


class Outbox:
    """The hook that fills the outbox and the worker that empties it."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.enqueuers: list[Enqueuer] = []
        self.senders: dict[str, Sender] = {}
        self._wakeup = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        if settings.webhooks:
            self.enqueuers.append(enqueue_webhooks)
            self.senders["webhook"] = self._send_webhook

    def hook(self, event: Event) -> None:
        """Inside the event's transaction: write the deliveries it calls for."""
        if not self.enqueuers:
            return
        cid = event.conversation_id
        if cid is not None and not reaches_a_customer(self.store.conversation_row(cid)):
            return
        said = announcements(self.store, event)
        if not said:
            return
        marked = AI_WRITTEN.set(carries_ai_text(event))
        try:
            for enqueue in self.enqueuers:
                enqueue(self.store, self.settings, event, said)
        finally:
            AI_WRITTEN.reset(marked)

    def paused(self) -> bool:
        """Whether the stop button holds now (the service's gate reads the same values)."""
        meta = self.store.get_meta
        return policy.pause_in_force(meta("ai_paused"), meta("ai_paused_until"), self.store.clock())

    def install(self) -> None:
        """Start writing deliveries for every event from now on."""
        if self.enqueuers:
            self.store.event_hooks.append(self.hook)
            self.store.listeners.append(self._wake)

    def _wake(self, _events: list[Event]) -> None:
        """After a commit, on whichever thread announces it (PostgreSQL: its listening one)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # the worker is not running: it sends everything due when it starts
        call_on_loop(loop, self._wakeup.set)

    async def _send_webhook(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        try:
            url, body, headers = webhook_request(
                self.settings, delivery.target, delivery.key, delivery.body, int(time.time())
            )
        except KeyError:
            raise DeliveryFailed("this webhook is no longer configured") from None
        await post(client, url, content=body, headers=headers)

    async def send_due(self, client: httpx.AsyncClient) -> int:
        """Try every due delivery once; returns how many went out."""
        sent = 0
        blocked: set[tuple[str | None, str]] = set()
        for delivery in self.store.due_deliveries(hold_ai_written=self.paused()):
            lane = (delivery.conversation_id, delivery.target)
            if delivery.conversation_id is not None and lane in blocked:
                self.store.release_delivery(delivery.id)
                continue
            if delivery.ai_written and self.paused():
                # Paused during this round: it waits, and so does the rest of its lane.
                self.store.release_delivery(delivery.id)
                blocked.add(lane)
                continue
            sender = self.senders.get(delivery.channel)
            try:
                if sender is None:
                    raise DeliveryFailed(f"no {delivery.channel} channel is configured")
                await sender(client, delivery)
            except DeliveryFailed as exc:
                attempts = delivery.attempts + 1
                give_up = attempts >= self.settings.outbox.max_attempts
                delay = backoff(attempts, self.settings)
                self.store.retry_later(delivery.id, str(exc), delay, give_up)
                log.warning("delivery %s failed (attempt %d): %s", delivery.key, attempts, exc)
                # Later deliveries of this conversation to this target wait: order matters.
                blocked.add(lane)
                continue
            self.store.delivered(delivery.id)
            sent += 1
        return sent

    async def run(self) -> None:
        """The worker: send what is due, then sleep until woken or the next poll."""
        self._loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT) as client:
            while True:
                try:
                    await self.send_due(client)
                except Exception:  # keep delivering: one bad row must not stop the rest
                    log.exception("the outbox worker failed a round")
                self._wakeup.clear()
                # Not wait_for: on Python 3.11 a wake-up landing with the shutdown's
                # cancel made it swallow the cancel, and the worker ran on for ever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_SECONDS):
                        await self._wakeup.wait()


async def post(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """POST and turn anything but a 2xx into `DeliveryFailed` with a short reason."""
    try:
        response = await client.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: cannot reach {url}") from None
    if not response.is_success:
        raise DeliveryFailed(f"HTTP {response.status_code} from {url}")
    return response


@contextlib.asynccontextmanager
async def outbox_lifespan(
    app: FastAPI, plug_ins: Sequence[Callable[[Outbox], None]] = ()
) -> AsyncIterator[None]:
    """Run the outbox for as long as the app runs (only when a channel is configured).

    `plug_ins` add channels of their own (enqueuer and sender) before it starts.
    """
    outbox = Outbox(app.state.store, app.state.settings)
    for plug_in in plug_ins:
        plug_in(outbox)
    app.state.outbox = outbox
    outbox.install()
    worker = asyncio.create_task(outbox.run()) if outbox.senders else None
    try:
        yield
    finally:
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
