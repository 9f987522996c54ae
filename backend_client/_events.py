"""The live event stream as an async iterator that survives dropped connections.

The backend sends Server-Sent Events with an `id:` on every event. This
iterator remembers the last id it yielded and, after any drop, reconnects
with capped, jittered exponential backoff and `Last-Event-ID`, so the caller
sees every event once, in order, however often the connection breaks.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
from httpx_sse import SSEError, aconnect_sse
from pydantic import ValidationError

from ._enums import (
    ConnectionState,
    EventType,
)
from ._exceptions import BackendError, error_from
from ._models import (
    Event,
)

EVENTS_PATH = "/v1/events"
BACKOFF_FIRST = 0.2
"""Seconds to wait before the first reconnect attempt."""
BACKOFF_MAX = 5.0
"""The backoff doubles up to this many seconds."""
OFFLINE_AFTER = 3
"""Consecutive failed attempts after which the state is `offline` (it keeps trying)."""
IDLE_TIMEOUT = 60.0
"""Seconds without a byte (events or keep-alives, every 15 s by default) before
the connection counts as dead; catches a peer that vanished without closing."""

StateCallback = Callable[[ConnectionState], None]

_RETRYABLE_STATUS = frozenset({408, 425, 429})
"""Client errors that are worth retrying; any other 4xx is raised."""


def backoff_delay(failures: int, first: float = BACKOFF_FIRST, cap: float = BACKOFF_MAX) -> float:
    """Seconds to wait after `failures` consecutive failures: doubling, capped, jittered.

    The jitter ("equal jitter": half fixed, half random) keeps many consoles
    that lost the same server from reconnecting in lock-step.
    """
    delay: float = min(cap, first * 2.0 ** max(failures - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


async def stream_events(
    http: httpx.AsyncClient,
    since: int | None = None,
    on_state: StateCallback | None = None,
    *,
    idle_timeout: float | None = IDLE_TIMEOUT,
    offline_after: int = OFFLINE_AFTER,
) -> AsyncIterator[Event]:
    """Every event after id `since` (or from now on, when None), across reconnects.

    Yields each event once, in id order. A `reset` event means the server no
    longer has the events after our position: reload a snapshot, then keep
    reading (the stream continues from the reset's id). `on_state` hears
    `live` on each connect, `reconnecting` after a drop and `offline` after
    `offline_after` failed attempts in a row. Raises `UnauthorizedError` or
    `ForbiddenError` (and other 4xx errors) instead of retrying forever, and
    `BackendError` when the server sends something that is not an event.
    """
    last = since
    failures = 0
    state: ConnectionState | None = None

    def report(new: ConnectionState) -> None:
        nonlocal state
        if new is not state:
            state = new
            if on_state is not None:
                on_state(new)

    timeout = httpx.Timeout(10.0, connect=5.0, read=idle_timeout)
    while True:
        headers = {} if last is None else {"Last-Event-ID": str(last)}
        try:
            async with aconnect_sse(
                http, "GET", EVENTS_PATH, headers=headers, timeout=timeout
            ) as source:
                response = source.response
                if not response.is_success:
                    await response.aread()
                    status = response.status_code
                    if 400 <= status < 500 and status not in _RETRYABLE_STATUS:
                        raise error_from(response)
                    raise httpx.HTTPStatusError(
                        f"{status} from {EVENTS_PATH}", request=response.request, response=response
                    )
                failures = 0
                report(ConnectionState.LIVE)
                async for sse in source.aiter_sse():
                    if not sse.data:
                        # A keep-alive comment (httpx-sse hands it over as an empty
                        # message), or the server's "you are here" marker on connect.
                        # Also the id of an event this reader may not see: resume after it.
                        if sse.id.isdigit() and (last is None or int(sse.id) > last):
                            last = int(sse.id)
                        continue
                    try:
                        event = Event.model_validate_json(sse.data)
                    except ValidationError as exc:
                        raise BackendError(f"the event stream sent a non-event: {exc}") from exc
                    if event.type is EventType.RESET:
                        # Our position is gone; the server continues from its newest id
                        # (the reset's own id is 0, no real event's).
                        newest = event.data.get("newest")
                        last = newest if isinstance(newest, int) else int(sse.id or 0)
                        yield event
                        continue
                    if last is not None and event.id <= last:
                        continue
                    last = event.id
                    yield event
        except (httpx.TransportError, httpx.HTTPStatusError, SSEError):
            # Dropped, refused, timed out, or a 5xx: all worth another try.
            pass
        failures += 1
        report(
            ConnectionState.OFFLINE if failures >= offline_after else ConnectionState.RECONNECTING
        )
        await anyio.sleep(backoff_delay(failures))
