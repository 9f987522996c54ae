"""The live event stream as Server-Sent Events (the hub in `backend.hub` feeds it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from ..domain import policy
from ..domain.policy import Permission
from ..errors import Invalid
from ..hub import SEND_TIMEOUT, EventHub
from ..service import Hitl
from ..service.operator_admin import OperatorAdmin
from ..store import INT_MAX, OperatorRecord
from .deps import current_operator, service_of

router = APIRouter()

RECHECK_SECONDS = 0.5
"""How often an idle stream looks whether an operator changed (an in-memory read)."""


@router.get("/v1/events", tags=["events"])
async def events(
    request: Request, since: int | None = Query(None, ge=0, le=INT_MAX)
) -> EventSourceResponse:
    """Live events as Server-Sent Events; resume with `Last-Event-ID` or `?since=`.

    A `reset` event means the asked-for position is no longer kept: reload
    the queue, then keep reading (the stream continues from the newest id).
    """
    operator = current_operator(request)
    policy.require(operator.role, Permission.READ)
    header = (request.headers.get("last-event-id") or "").strip()
    start = since
    if header:
        # Twenty digits are past INT_MAX already: no int() of thousands of them.
        if not header.isdigit() or int(header[:20]) > INT_MAX:
            raise Invalid("Last-Event-ID", "must be an event id (a whole number)")
        start = int(header)
    hub: EventHub = request.app.state.hub
    keepalive: float = request.app.state.settings.keepalive_seconds
    masked = not policy.may(operator.role, Permission.UNMASKED)
    token = request.headers["authorization"].partition(" ")[2].strip()
    stream = hub.stream(start, keepalive, role=operator.role, masked=masked)
    return EventSourceResponse(
        _while_active(stream, service_of(request), operator, token),
        ping=keepalive,
        send_timeout=SEND_TIMEOUT,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _while_active(
    stream: AsyncIterator[ServerSentEvent | bytes],
    service: Hitl,
    operator: OperatorRecord,
    token: str,
) -> AsyncIterator[ServerSentEvent | bytes]:
    """The stream, ended as soon as its operator is disabled, their token rotated or expired.

    Disabling (here, or by `hitl operator disable` in another process, which
    the backend's sweep notices) bumps a generation; each stream looks at it
    between events and every `RECHECK_SECONDS` while idle, and asks the
    database about its operator only when it moved.
    """
    seen = OperatorAdmin.operator_generation
    expires = service.token_expiry(token)
    pending: asyncio.Task[ServerSentEvent | bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next(stream))
            done, _ = await asyncio.wait({pending}, timeout=RECHECK_SECONDS)
            if expires is not None and service.has_passed(expires):
                return  # the client reconnects and hears why: this token expired
            if OperatorAdmin.operator_generation != seen:
                seen = OperatorAdmin.operator_generation
                if not service.still_active(operator.id, token):
                    return
            if not done:
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield item
    finally:
        if pending is not None:
            pending.cancel()


async def _next(stream: AsyncIterator[ServerSentEvent | bytes]) -> ServerSentEvent | bytes:
    return await anext(stream)
