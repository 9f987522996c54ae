"""Everything a working day does at once, on three real `hitl serve` processes.

Opening chats, customers' messages and complaints, internal notes, assignments and
decisions run side by side on PostgreSQL (each scoped to what it decides on). Here
they do, spread over three processes, and what must hold still holds: the first
chats of a fresh deployment journal the disclosure once, the chain verifies with no
gap, and every process's stream carries exactly the table's events, in id order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from backend.store import Store, connect
from backend_client import (
    Action,
    AsyncBackendClient,
    ChannelClient,
    ChatStarted,
)
from tests.helpers import ServeProcess, streamed

CHATS = 9
"""Chats of the first storm (three per process); each then gets a decision."""
QUESTION = "Where is my parcel?"


async def _open(url: str, name: str, text: str) -> ChatStarted:
    async with ChannelClient(url) as channel:
        chat = await channel.start_chat(name)
        await channel.say(chat, text)
        return chat


async def _drafts(
    client: AsyncBackendClient, chats: list[ChatStarted]
) -> dict[str, tuple[str, int]]:
    """Each chat's pending draft (id, version), once all are written."""
    for _ in range(400):
        found = {}
        for chat in chats:
            draft = (await client.get_conversation(chat.id)).draft
            if draft is not None:
                found[chat.id] = (draft.id, draft.version)
        if len(found) == len(chats):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the drafts did not arrive")


def _events(store: Store, since: int, newest: int) -> list[int]:
    return [e.id for e in store.events_after(since, 100_000) if e.id <= newest]


def test_a_working_day_on_three_processes_keeps_the_chain_and_every_stream_whole(
    pg_url: str, three: list[ServeProcess], tokens: dict[str, str]
) -> None:
    store = connect(pg_url)
    try:
        asyncio.run(_day(store, three, tokens))
    finally:
        store.close()


async def _day(store: Store, three: list[ServeProcess], tokens: dict[str, str]) -> None:
    def on(i: int) -> str:
        return three[i % len(three)].url

    # The first chats of a fresh deployment open at once on every process.
    chats = list(
        await asyncio.gather(*(_open(on(i), f"Customer {i}", QUESTION) for i in range(CHATS)))
    )
    async with AsyncBackendClient(on(0), tokens["sup"]) as sup:
        drafts = await _drafts(sup, chats)

        async def approve(i: int, chat: ChatStarted) -> None:
            did, version = drafts[chat.id]
            async with AsyncBackendClient(on(i + 1), tokens[f"agent{i}"]) as agent:
                await agent.approve(did, version)

        async def note_and_assign(i: int, chat: ChatStarted) -> None:
            async with AsyncBackendClient(on(i + 2), tokens["sup"]) as client:
                await client.add_note(chat.id, f"note {i}")
                await client.assign(chat.id, None, f"agent{i}")

        async def arrive_and_complain(i: int) -> None:
            chat = await _open(on(i), f"Later {i}", "I want to talk to a real person")
            async with ChannelClient(on(i + 1)) as channel:
                await channel.complain(chat, "Nobody answers me")

        work: list[Awaitable[object]] = []
        for i, chat in enumerate(chats):
            work += [approve(i, chat), note_and_assign(i, chat), arrive_and_complain(i)]
        since = store.event_bounds()[1]
        _, newest, seen = await streamed(
            [server.url for server in three],
            tokens["sup"],
            since,
            asyncio.gather(*work),
            lambda: store.event_bounds()[1],
        )
        table = _events(store, since, newest)
        assert len(table) >= 5 * CHATS
        for ids in seen:
            assert ids == table

        verdict = await sup.verify_audit()
        assert verdict.ok, verdict
        entries, cursor = [], None
        while True:
            page = await sup.list_audit(limit=200, cursor=cursor)
            entries += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert sorted(e.seq for e in entries) == list(range(1, len(entries) + 1))
    actions = [e.action for e in entries]
    assert actions.count(Action.DISCLOSURE) == 1
    assert actions.count(Action.APPROVE) == CHATS
    assert actions.count(Action.ASSIGN) == CHATS
