"""A trainer's token reads no unmasked personal data anywhere in the API.

Rather than listing routes by hand, the test walks every GET route the app
serves (so a route added later is covered too), fills in a conversation id,
and checks that none of a customer's personal data appears in any answer a
trainer gets — and that the same data does reach an agent, so the check can
fail.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from backend_client import EventType, ReasonCode
from tests.helpers import Backend, get_paths

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


EMAIL = "jo.smith+orders@example.co.uk"
PHONE = "+44 20 7946 0958"
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
SECRETS = (EMAIL, PHONE, CARD, IBAN, "Josephine Smith")


async def _personal_conversation(backend: Backend) -> str:
    """A conversation full of personal data, decided by people who quote it."""
    async with backend.channel() as channel:
        chat = await channel.start_chat("Josephine Smith", EMAIL)
        await channel.say(chat, f"My card {CARD} was charged twice, call me on {PHONE}")
        await backend.drafted()
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        assert detail.draft is not None
        detail = await alice.regenerate(
            detail.draft.id,
            detail.draft.version,
            f"refund to IBAN {IBAN} and confirm by email to {EMAIL}",
            ReasonCode.INCOMPLETE,
            note=f"customer {EMAIL} asked twice",
        )
        assert detail.draft is not None
        await alice.edit(
            detail.draft.id,
            detail.draft.version,
            f"We'll refund the charge on {CARD} and call you on {PHONE}.",
            ReasonCode.PRIVACY,
            note=f"called {PHONE}",
        )
    return chat.id


def _get_paths(backend: Backend, cid: str) -> list[str]:
    paths = []
    for route_path in get_paths(backend.app):
        if not route_path.startswith("/v1/") or route_path.startswith("/v1/channel/"):
            continue
        if route_path == "/v1/events":
            continue  # a stream: read separately below
        paths.append(route_path.replace("{cid}", cid))
    return paths


async def _read(backend: Backend, name: str, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.url) as raw:
        return await raw.get(
            path,
            params={"include_closed": "true"} if path == "/v1/conversations" else None,
            headers={"Authorization": f"Bearer {backend.tokens[name]}"},
        )


async def test_no_get_route_shows_a_trainer_personal_data(backend: Backend) -> None:
    cid = await _personal_conversation(backend)
    paths = _get_paths(backend, cid)
    assert {"/v1/conversations", f"/v1/conversations/{cid}", "/v1/training/pairs"} <= set(paths)
    readable = 0
    for path in paths:
        response = await _read(backend, "tina", path)
        if response.status_code == 403:
            continue  # the override log and metrics are not a trainer's to read
        assert response.status_code == 200, (path, response.text)
        readable += 1
        for secret in SECRETS:
            assert secret not in response.text, (path, secret)
    assert readable >= 6

    # The same data does reach an agent: the check above could have failed.
    agent_view = (await _read(backend, "alice", f"/v1/conversations/{cid}/timeline")).text
    assert all(secret in agent_view for secret in (EMAIL, PHONE, CARD, "Josephine Smith"))


async def test_the_live_stream_shows_a_trainer_no_personal_data(live_backend: Backend) -> None:
    cid = await _personal_conversation(live_backend)
    # The conversation's last change (the journal's entries are not a trainer's to see).
    newest = max(
        e.id
        for e in live_backend.store.events_after(0)
        if e.type is EventType.CONVERSATION_UPDATED and e.conversation_id == cid
    )
    seen: list[str] = []

    async def read_stream() -> None:
        async with live_backend.client("tina") as tina:
            async for event in tina.events(since=0):
                seen.append(json.dumps(event.data))
                if event.id >= newest:
                    return

    await asyncio.wait_for(read_stream(), timeout=15)
    stream = "\n".join(seen)
    assert cid in stream
    assert len(seen) >= 10  # every change of the conversation, not just the first
    for secret in SECRETS:
        assert secret not in stream, secret
