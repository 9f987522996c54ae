"""The live event stream as Server-Sent Events (the hub in `backend.hub` feeds it)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from sse_starlette import EventSourceResponse

from ..domain import policy
from ..domain.policy import Permission
from ..errors import Invalid
from ..hub import SEND_TIMEOUT, EventHub
from .deps import current_operator

router = APIRouter()


@router.get("/v1/events", tags=["events"])
async def events(request: Request, since: int | None = Query(None, ge=0)) -> EventSourceResponse:
    """Live events as Server-Sent Events; resume with `Last-Event-ID` or `?since=`.

    A `reset` event means the asked-for position is no longer kept: reload
    the queue, then keep reading (the stream continues from the newest id).
    """
    operator = current_operator(request)
    policy.require(operator.role, Permission.READ)
    header = request.headers.get("last-event-id")
    start = since
    if header is not None and header.strip():
        if not header.strip().isdigit():
            raise Invalid("Last-Event-ID", "must be an event id (a whole number)")
        start = int(header.strip())
    hub: EventHub = request.app.state.hub
    keepalive: float = request.app.state.settings.keepalive_seconds
    masked = not policy.may(operator.role, Permission.UNMASKED)
    return EventSourceResponse(
        hub.stream(start, keepalive, role=operator.role, masked=masked),
        ping=keepalive,
        send_timeout=SEND_TIMEOUT,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
