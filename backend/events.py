"""The live event stream: one in-process hub wakes every open stream.

Events are written to the `events` table in the same transaction as the
change they describe; once it commits, the store hands them to the hub,
which keeps the newest in memory and wakes every waiting stream. A stream
reads from memory; only a client resuming from further back reads the table.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from backend_client import Event, EventType

from .deps import current_operator
from .store import Store


class EventHub:
    """Fans committed events out to every open stream without polling the database."""

    def __init__(self, store: Store, *, memory: int = 10_000) -> None:
        self.store = store
        self.recent: deque[Event] = deque(maxlen=memory)
        self._wakeup = asyncio.Event()
        store.listeners.append(self.publish)

    def publish(self, events: list[Event]) -> None:
        """Called by the store after a commit: remember the events, wake the streams."""
        self.recent.extend(events)
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def after(self, last_id: int) -> list[Event]:
        """Events after `last_id`: from memory when we have them, else from the table."""
        if self.recent and self.recent[0].id <= last_id + 1:
            return [e for e in self.recent if e.id > last_id]
        return self.store.events_after(last_id)

    async def wait(self, timeout: float) -> None:
        """Sleep until the next publish, or `timeout` seconds."""
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        except TimeoutError:
            pass

    async def stream(self, since: int | None, keepalive: float) -> AsyncIterator[ServerSentEvent]:
        """Every event after `since` (or from now), then live ones, as SSE."""
        low, high = self.store.event_bounds()
        last = high if since is None else since
        if since is not None and low and since < low - 1:
            yield ServerSentEvent(event=EventType.RESET.value, id=str(high), data="{}")
            last = high
        while True:
            batch = self.after(last)
            for event in batch:
                yield ServerSentEvent(
                    event=event.type.value, id=str(event.id), data=event.model_dump_json()
                )
                last = event.id
            if not batch:
                await self.wait(keepalive)


router = APIRouter()


@router.get("/v1/events", tags=["events"])
async def events(request: Request, since: int | None = None) -> EventSourceResponse:
    """Live events as Server-Sent Events; resume with `Last-Event-ID` or `?since=`."""
    current_operator(request)
    header = request.headers.get("last-event-id")
    start = int(header) if header and header.isdigit() else since
    hub: EventHub = request.app.state.hub
    keepalive = request.app.state.settings.keepalive_seconds
    return EventSourceResponse(hub.stream(start, keepalive), ping=int(keepalive))
