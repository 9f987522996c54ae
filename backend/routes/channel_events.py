"""The customer's live stream: `GET /v1/channel/conversations/{id}/events` (SSE)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from sse_starlette import EventSourceResponse

from ..channels.customer_stream import CustomerStream
from ..errors import Invalid, NotFound, Unauthorized
from ..hub import SEND_TIMEOUT, EventHub
from .deps import service_of

router = APIRouter(tags=["channel"])


def customer_token(request: Request, token: str | None) -> str:
    """The customer token from `Authorization: Bearer` or, for EventSource, `?token=`."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if token:
        return token
    raise Unauthorized("send the customer_token as 'Authorization: Bearer <token>' or ?token=")


def resume_position(request: Request, since: int | None) -> int | None:
    """Where to resume: `Last-Event-ID` (what EventSource sends back) or `?since=`."""
    header = request.headers.get("last-event-id", "").strip()
    if not header:
        return since
    if not header.isdigit():
        raise Invalid("Last-Event-ID", "must be an event id (a whole number)")
    return int(header)


@router.get("/v1/channel/conversations/{cid}/events")
async def customer_events(
    cid: str,
    request: Request,
    token: str | None = Query(None, max_length=200),
    since: int | None = Query(None, ge=0),
) -> EventSourceResponse:
    """Customer side: delivered messages and status notices, live, as Server-Sent Events.

    Events: `message` (a delivered message with its `marking`) and `status`
    (`person_will_reply`, `closed`). Never a pending draft. Without a
    position the stream starts with every delivered message of the chat.
    """
    service = service_of(request)
    if not service.store.customer_token_matches(cid, customer_token(request, token)):
        raise NotFound(f"no conversation {cid!r} for this token")
    hub: EventHub = request.app.state.hub
    keepalive: float = request.app.state.settings.keepalive_seconds
    stream = CustomerStream(hub, service.store, cid)
    return EventSourceResponse(
        stream.run(resume_position(request, since), keepalive),
        ping=keepalive,
        send_timeout=SEND_TIMEOUT,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
