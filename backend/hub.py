"""The live event stream: one in-process hub wakes every open stream.

Events are written to the `events` table in the same transaction as the
change they describe; once it commits, the store hands them to the hub,
which keeps the newest in memory and wakes every waiting stream. A stream
reads from memory; only a client resuming from further back reads the table.
Nothing polls the database per client: an idle stream sleeps until a publish
or its keep-alive is due.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from sse_starlette import ServerSentEvent

from backend_client import (
    AIState,
    AuditEntry,
    ConversationSummary,
    Draft,
    Event,
    EventType,
    Message,
    Note,
    Role,
)

from .domain.pii import mask_model
from .domain.visibility import may_see
from .store import StoreProtocol

MEMORY = 10_000
"""Events kept in memory: a client this close behind never touches the table."""
BATCH = 500
"""Most events one stream sends before it lets the others run."""
RESET_ID = 0
"""The id of every `reset` event: no real event has it (they start at 1)."""
SEND_TIMEOUT = 30.0
"""A client that takes longer than this to accept one event is cut off; it
reconnects with Last-Event-ID and catches up, instead of pinning memory."""

_PAYLOAD_MODELS: dict[EventType, type[BaseModel]] = {
    EventType.CONVERSATION_CREATED: ConversationSummary,
    EventType.CONVERSATION_UPDATED: ConversationSummary,
    EventType.MESSAGE_CREATED: Message,
    EventType.DRAFT_CREATED: Draft,
    EventType.DRAFT_DECIDED: Draft,
    EventType.AUDIT_APPENDED: AuditEntry,
    EventType.AI_PAUSED: AIState,
    EventType.AI_RESUMED: AIState,
    EventType.NOTE_CREATED: Note,
}
"""The wire model each event type carries in `data`, so it can be masked like the API."""


def mask_event_data(event: Event, names: Iterable[str] = ()) -> dict[str, Any]:
    """`event.data` with personal data masked the way the API masks its models.

    `names` are the conversation's customer's, masked wherever they appear. An
    event type without a known model, or a payload that does not fit it,
    yields `{}`: a trainer sees less rather than someone's email.
    """
    model = _PAYLOAD_MODELS.get(event.type)
    if model is None:
        return {} if event.type is not EventType.RESET else dict(event.data)
    try:
        masked = mask_model(model.model_validate(event.data), names)
    except ValidationError:
        return {}
    data: dict[str, Any] = masked.model_dump(mode="json")
    return data


class _Entry:
    """One event with its SSE bytes, encoded once however many streams send it."""

    __slots__ = ("event", "_plain", "_masked")

    def __init__(self, event: Event) -> None:
        self.event = event
        self._plain: bytes | None = None
        self._masked: bytes | None = None

    def encoded(
        self, masked: bool, names: Callable[[str | None], list[str]] | None = None
    ) -> bytes:
        """The event as SSE bytes, for a reader who may (not) see personal data;
        `names` finds the customer's names of a conversation, to mask them in free text."""
        if masked:
            if self._masked is None:
                found = names(self.event.conversation_id) if names is not None else []
                data = mask_event_data(self.event, found)
                self._masked = self._encode(self.event.model_copy(update={"data": data}))
            return self._masked
        if self._plain is None:
            self._plain = self._encode(self.event)
        return self._plain

    @staticmethod
    def _encode(event: Event) -> bytes:
        return ServerSentEvent(
            event=event.type.value, id=str(event.id), data=event.model_dump_json()
        ).encode()


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the calling thread, if one is running."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def call_on_loop(
    loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: Any
) -> None:
    """`callback(*args)` on `loop`: at once when called from it, else handed over thread-safely
    (asyncio objects belong to their loop; the store may announce from another thread)."""
    if running_loop() is loop:
        callback(*args)
    else:
        loop.call_soon_threadsafe(callback, *args)


class EventHub:
    """Fans committed events out to every open stream without polling the database.

    `publish` only appends to a ring and sets a flag, so a slow stream never
    holds up the store or the other streams: each stream reads the ring at
    its own pace, and one that falls out of it reads the table instead.
    """

    def __init__(self, store: StoreProtocol, *, memory: int = MEMORY) -> None:
        self.store = store
        self.recent: deque[_Entry] = deque(maxlen=memory)
        self._wakeup = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        store.listeners.append(self.publish)
        store.erasure_listeners.append(self.forget)

    def _names(self, conversation_id: str | None) -> list[str]:
        """The customer's name in a conversation (to mask it in the stream's free text)."""
        row = self.store.conversation_row(conversation_id) if conversation_id else None
        return [row["customer_name"]] if row else []

    def forget(self, conversation_id: str) -> None:
        """Drop an erased conversation's events from memory (the table dropped them too)."""
        self.recent = deque(
            (e for e in self.recent if e.event.conversation_id != conversation_id),
            maxlen=self.recent.maxlen,
        )

    def publish(self, events: list[Event]) -> None:
        """Called by the store after a commit: remember the events, wake the streams.

        Sync routes run in a thread pool, so this may be called off the event
        loop; asyncio objects are not thread-safe, so the work hops onto the
        loop. It must never raise: the change it announces is already committed.
        """
        running = running_loop()
        if running is not None and (self._loop is None or self._loop.is_closed()):
            self._loop = running
        loop = self._loop
        if loop is None or loop.is_closed():
            # No loop has run a stream yet, so nobody is waiting: just remember.
            self._remember(events)
        else:
            call_on_loop(loop, self._publish_on_loop, events)

    def _publish_on_loop(self, events: list[Event]) -> None:
        self._remember(events)
        self._wake()

    def _remember(self, events: list[Event]) -> None:
        for event in events:
            if self.recent and event.id <= self.recent[-1].event.id:
                # Out of order (a commit from another thread overtook this one):
                # rebuild in id order so that `after` may keep trusting the ring.
                merged = sorted([*self.recent, _Entry(event)], key=lambda entry: entry.event.id)
                self.recent = deque(merged, maxlen=self.recent.maxlen)
            else:
                self.recent.append(_Entry(event))

    def _wake(self) -> None:
        # Waiters hold the old Event; swapping first means a stream that reads
        # the ring after this wake-up and then waits again sleeps on a fresh one.
        wakeup, self._wakeup = self._wakeup, asyncio.Event()
        wakeup.set()

    def after(self, last_id: int, limit: int = BATCH) -> list[_Entry]:
        """Up to `limit` events after `last_id`: from memory when we have them, else the table."""
        recent = self.recent
        if recent and recent[0].event.id <= last_id + 1:
            if recent[-1].event.id <= last_id:
                return []
            # Streams are nearly always close to the newest event: walk back from the end.
            newer: list[_Entry] = []
            for entry in reversed(recent):
                if entry.event.id <= last_id:
                    break
                newer.append(entry)
            newer.reverse()
            return newer[:limit]
        return [_Entry(e) for e in self.store.events_after(last_id, limit)]

    async def wait(self, timeout: float) -> None:
        """Sleep until the next publish, or `timeout` seconds."""
        # Not wait_for: on Python 3.11 it swallows a cancel that lands with a publish.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wakeup.wait()

    def _reset(self, low: int, high: int, last: int) -> ServerSentEvent:
        """Tell a client its position is gone: reload a snapshot, then follow from `high`.

        The event's own id is 0, never a real event's: its SSE `id:` line (and
        `data.newest`) carries the position to resume from.
        """
        if last > high:
            reason = "your last id is beyond the newest event: this log was not the one you read"
        else:
            reason = "the events after your last id are no longer kept"
        event = Event(
            id=RESET_ID,
            type=EventType.RESET,
            at=self.store.clock(),
            data={
                "reason": reason,
                "oldest": low,
                "newest": high,
                "snapshot": "/v1/conversations",
            },
        )
        return ServerSentEvent(event=event.type.value, id=str(high), data=event.model_dump_json())

    def _gone(self, last: int) -> tuple[int, int] | None:
        """(low, high) when the events after `last` can no longer all be sent, else None."""
        low, high = self.store.event_bounds()
        if last > high or (low and last < low - 1):
            return low, high
        return None

    async def stream(
        self, since: int | None, keepalive: float, *, role: Role, masked: bool = False
    ) -> AsyncIterator[ServerSentEvent | bytes]:
        """Every event after `since` (or from now on) that `role` may see, then live ones, as SSE.

        Idle, it sleeps until a publish; the keep-alive comments come from
        sse-starlette's ping, so this only wakes when there is work. An event
        the reader may not see is left out, but its id still moves the
        reader's position (a data-less `id:` line), so a resume starts after it.
        """
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        if since is None:
            last = self.store.event_bounds()[1]
        else:
            last = since
            gone = self._gone(last)
            if gone is not None:
                yield self._reset(*gone, last)
                last = gone[1]
        # A data-less event carrying only the position: a client that connected
        # "from now" learns where now is, so a drop before the first event loses nothing.
        yield ServerSentEvent(id=str(last))
        while True:
            batch = self.after(last)
            if batch and batch[0].event.id > last + 1 and self._gone(last) is not None:
                # Trimmed while this client was reading the table: it would skip a gap.
                low, high = self.store.event_bounds()
                yield self._reset(low, high, last)
                last = high
                continue
            if batch:
                # One write per batch, of bytes encoded once for every stream:
                # per-event sends would cost each stream a syscall per event.
                chunks = [
                    e.encoded(masked, self._names) for e in batch if may_see(role, e.event.type)
                ]
                if not may_see(role, batch[-1].event.type):
                    chunks.append(ServerSentEvent(id=str(batch[-1].event.id)).encode())
                yield b"".join(chunks)
                last = batch[-1].event.id
                # Let other streams (and the store) run between batches of a backlog.
                await asyncio.sleep(0)
            else:
                await self.wait(keepalive)
