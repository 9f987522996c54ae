"""Every role × every event type: the live stream shows a reader only what the routes would.

The stream is read raw over loopback (no client-side filtering can hide a
leak), and each event type is compared with the route that serves the same
content: a role sees the event exactly when it may read that route.
"""

from __future__ import annotations

import httpx
import pytest
from httpx_sse import aconnect_sse

from backend.domain.visibility import may_see
from backend_client import Event, EventType, ReasonCode, Role
from tests.helpers import SEED_OPERATORS, Backend, pending_draft

ROUTE_OF: dict[EventType, str] = {
    EventType.CONVERSATION_CREATED: "/v1/conversations",
    EventType.CONVERSATION_UPDATED: "/v1/conversations",
    EventType.MESSAGE_CREATED: "/v1/conversations/{cid}",
    EventType.DRAFT_CREATED: "/v1/conversations/{cid}",
    EventType.DRAFT_DECIDED: "/v1/conversations/{cid}",
    EventType.AUDIT_APPENDED: "/v1/audit",
    EventType.AI_PAUSED: "/v1/ai",
    EventType.AI_RESUMED: "/v1/ai",
}
"""The route that serves each event type's content."""

ONE_OF_EACH_ROLE = {role: name for name, role in reversed(SEED_OPERATORS.items())}


async def _every_event_type(backend: Backend) -> str:
    chat = await backend.chat("Where is my parcel?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice, backend.client("sam") as sam:
        await alice.edit(draft.id, draft.version, "It ships today.", ReasonCode.TONE)
        await sam.pause_ai()
        await sam.resume_ai()
    return chat.id


async def _types_seen(backend: Backend, name: str, newest: int) -> set[EventType]:
    """Every event type the stream sends `name` from the start, read until `newest`."""
    seen: set[EventType] = set()
    headers = {"Authorization": f"Bearer {backend.tokens[name]}"}
    async with httpx.AsyncClient(base_url=backend.url, headers=headers, timeout=10) as raw:
        async with aconnect_sse(raw, "GET", "/v1/events", params={"since": 0}) as source:
            async for sse in source.aiter_sse():
                if sse.data:
                    seen.add(Event.model_validate_json(sse.data).type)
                if sse.id.isdigit() and int(sse.id) >= newest:
                    return seen
    raise AssertionError("the stream ended early")


@pytest.mark.parametrize("role", list(ONE_OF_EACH_ROLE), ids=str)
async def test_each_role_sees_exactly_the_event_types_its_routes_serve(
    live_backend: Backend, role: Role
) -> None:
    cid = await _every_event_type(live_backend)
    newest = live_backend.store.event_bounds()[1]
    name = ONE_OF_EACH_ROLE[role]
    seen = await _types_seen(live_backend, name, newest)

    headers = {"Authorization": f"Bearer {live_backend.tokens[name]}"}
    async with httpx.AsyncClient(base_url=live_backend.url, headers=headers) as raw:
        for event_type, route in ROUTE_OF.items():
            readable = (await raw.get(route.replace("{cid}", cid))).status_code == 200
            assert (event_type in seen) == readable == may_see(role, event_type), (
                role,
                event_type,
            )
    if role in (Role.AGENT, Role.TRAINER):
        assert EventType.AUDIT_APPENDED not in seen
