"""Erasing a customer's personal data (GDPR art. 17): gone everywhere, the chain intact."""

from __future__ import annotations

import asyncio

import pytest

from backend_client import Action, Author, ForbiddenError, ReasonCode
from tests.helpers import Backend, everything_in_the_database, get_paths

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

EMAIL = "jo.smith+orders@example.co.uk"
CARD = "4111 1111 1111 1111"
NAME = "Josephine Smith"
SAID = f"My card {CARD} was charged twice, write to {EMAIL}"
REPLY = "Josephine, the second charge on that card is refunded today."


async def _conversation(backend: Backend) -> str:
    async with backend.channel() as channel:
        chat = await channel.start_chat(NAME, EMAIL)
        await channel.say(chat, SAID)
        await backend.drafted()
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        assert detail.draft is not None
        await alice.edit(detail.draft.id, detail.draft.version, REPLY, ReasonCode.INCOMPLETE)
    async with backend.channel() as channel:
        await channel.say(chat, "thanks! and my phone is +44 20 7946 0958")
        await backend.drafted()
    return chat.id


async def test_an_admin_erases_a_customer_everywhere_and_the_chain_still_verifies(
    backend: Backend,
) -> None:
    cid = await _conversation(backend)
    db = backend.app.state.settings
    assert EMAIL in everything_in_the_database(db)  # the check below can fail

    async with backend.client("ada") as admin:
        erased = await admin.erase(cid)
        assert erased.status.value == "closed"
        assert erased.customer.name == "[erased]" and erased.customer.email is None
        assert erased.messages[0].author is Author.SYSTEM
        assert "AI assistant" in erased.messages[0].text  # the disclosure is not personal data
        assert {m.text for m in erased.messages[1:]} <= {"[erased]"} | {
            m.text for m in erased.messages if m.author is Author.SYSTEM
        }
        timeline = await admin.timeline(cid)
        decisions = [i.decision for i in timeline.items if i.decision is not None]
        assert decisions[-1].action is Action.ERASE and decisions[-1].actor_name == "ada"
        assert all(d.ai_text is None and d.final_text is None for d in decisions)
        assert (await admin.verify_audit()).ok

        for route_path in get_paths(backend.app):
            if route_path.startswith("/v1/") and "channel" not in route_path:
                if route_path == "/v1/events":
                    continue
                path = route_path.replace("{cid}", cid)
                response = await admin._http.get(path)
                for secret in (EMAIL, CARD, NAME, REPLY, "7946 0958"):
                    assert secret not in response.text, (path, secret)

    everything = everything_in_the_database(db)
    for secret in (EMAIL, CARD, NAME, REPLY, "7946 0958"):
        assert secret not in everything, secret


async def test_only_an_admin_may_erase(backend: Backend) -> None:
    cid = await _conversation(backend)
    for name in ("alice", "sam", "tina"):
        async with backend.client(name) as client:
            with pytest.raises(ForbiddenError):
                await client.erase(cid)


async def test_the_live_stream_forgets_an_erased_conversation(live_backend: Backend) -> None:
    cid = await _conversation(live_backend)
    async with live_backend.client("ada") as admin, live_backend.client("sam") as watcher:
        live: list[str] = []
        connected = asyncio.Event()

        async def listen() -> None:
            async for event in watcher.events(on_state=lambda state: connected.set()):
                live.append(event.model_dump_json())
                if event.type.value == "conversation.updated" and "[erased]" in live[-1]:
                    return

        listening = asyncio.create_task(listen())
        await asyncio.wait_for(connected.wait(), timeout=10)
        await admin.erase(cid)
        await asyncio.wait_for(listening, timeout=10)

        newest = live_backend.store.event_bounds()[1]
        replayed: list[str] = []

        async def replay() -> None:
            async for event in admin.events(since=0):
                replayed.append(event.model_dump_json())
                if event.id >= newest:
                    return

        await asyncio.wait_for(replay(), timeout=10)
    # A console watching live hears of the erasure, and nothing of what was erased.
    assert any(cid in line and "[erased]" in line for line in live)
    for stream in (live, replayed):
        text = "\n".join(stream)
        for secret in (EMAIL, CARD, NAME, REPLY):
            assert secret not in text, secret
