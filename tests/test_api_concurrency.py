"""A decision applies exactly once: racing operators, stale versions, retried requests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import pytest

from backend_client import (
    Action,
    Author,
    ChatStarted,
    ConflictError,
    ConversationDetail,
    ConversationStatus,
    InvalidRequestError,
    ReasonCode,
    StaleVersionError,
)
from tests.helpers import Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"


async def ai_messages(backend: Backend, chat: ChatStarted) -> list[str]:
    async with backend.channel() as channel:
        return [m.text for m in await channel.messages(chat) if m.author is Author.AI]


async def journal(backend: Backend, chat: ChatStarted) -> list[Action]:
    async with backend.client("sam") as sam:
        return [e.action for e in (await sam.list_audit(conversation=chat.id)).items]


def split(results: Sequence[object]) -> tuple[list[ConversationDetail], list[BaseException]]:
    wins = [r for r in results if isinstance(r, ConversationDetail)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) + len(losses) == len(results)
    return wins, losses


async def test_two_operators_approving_one_draft_one_wins(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice, backend.client("bob") as bob:
        results = await asyncio.gather(
            alice.approve(draft.id, draft.version),
            bob.approve(draft.id, draft.version),
            return_exceptions=True,
        )

    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1
    loss = losses[0]
    assert isinstance(loss, ConflictError)
    current = loss.problem.current
    assert current is not None
    assert current["status"] == ConversationStatus.BOT.value
    assert current["draft"] is None
    assert [m["author"] for m in current["messages"]][-1] == Author.AI.value
    assert await ai_messages(backend, chat) == [draft.text]
    assert await journal(backend, chat) == [Action.APPROVE]


async def test_approve_racing_edit_sends_exactly_one_reply(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice, backend.client("bob") as bob:
        results = await asyncio.gather(
            bob.edit(draft.id, draft.version, "Two to four days.", ReasonCode.TONE),
            alice.approve(draft.id, draft.version),
            return_exceptions=True,
        )

    wins, losses = split(results)
    assert len(wins) == 1
    assert len(losses) == 1 and isinstance(losses[0], ConflictError)
    assert "no longer pending" in str(losses[0])
    sent = await ai_messages(backend, chat)
    assert len(sent) == 1
    assert sent[0] in (draft.text, "Two to four days.")
    assert len(await journal(backend, chat)) == 1


async def test_two_operators_racing_to_take_over_one_wins(backend: Backend) -> None:
    chat = await backend.chat("human")
    async with backend.client("alice") as alice, backend.client("bob") as bob:
        detail = await alice.get_conversation(chat.id)
        results = await asyncio.gather(
            alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST),
            bob.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST),
            return_exceptions=True,
        )

    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1
    loss = losses[0]
    assert isinstance(loss, ConflictError)
    assert loss.problem.holder == wins[0].holder
    assert loss.problem.current is not None
    assert loss.problem.current["holder"] == wins[0].holder
    assert await journal(backend, chat) == [Action.TAKEOVER]


@pytest.mark.parametrize("stale", [0, 2, 99])
async def test_stale_draft_version_is_refused(backend: Backend, stale: int) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    assert stale != draft.version

    async with backend.client("alice") as alice:
        with pytest.raises(StaleVersionError) as caught:
            await alice.approve(draft.id, stale)

    assert caught.value.problem.status == 412
    assert await ai_messages(backend, chat) == []
    assert (await pending_draft(backend, chat)).id == draft.id


async def test_stale_conversation_version_is_refused_on_close(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    async with backend.client("alice") as alice:
        old = await alice.get_conversation(chat.id)
        async with backend.channel() as channel:
            await channel.say(chat, "What payment methods do you accept?")
            await backend.drafted()
        with pytest.raises(StaleVersionError):
            await alice.close(chat.id, old.version)
        assert (await alice.get_conversation(chat.id)).status is not ConversationStatus.CLOSED


async def test_a_retry_with_the_same_key_returns_the_first_result(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        first = await alice.approve(draft.id, draft.version, idempotency_key="approve-1")
        again = await alice.approve(draft.id, draft.version, idempotency_key="approve-1")

    assert again == first
    assert await ai_messages(backend, chat) == [draft.text]
    assert await journal(backend, chat) == [Action.APPROVE]


async def test_concurrent_retries_with_the_same_key_apply_once(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        results = await asyncio.gather(
            *(
                alice.edit(draft.id, draft.version, "Soon!", ReasonCode.TONE, idempotency_key="k")
                for _ in range(3)
            )
        )

    assert results[0] == results[1] == results[2]
    assert await ai_messages(backend, chat) == ["Soon!"]
    assert await journal(backend, chat) == [Action.EDIT]


async def test_a_retry_of_a_regenerate_makes_one_new_draft(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        first = await alice.regenerate(
            draft.id, draft.version, "shorter", ReasonCode.TONE, idempotency_key="regen"
        )
        again = await alice.regenerate(
            draft.id, draft.version, "shorter", ReasonCode.TONE, idempotency_key="regen"
        )
        timeline = await alice.timeline(chat.id)

    assert again == first
    assert sum(1 for item in timeline.items if item.kind == "draft") == 2
    assert await journal(backend, chat) == [Action.REGENERATE]


async def test_same_key_with_another_body_is_refused(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        await alice.edit(draft.id, draft.version, "First.", ReasonCode.TONE, idempotency_key="k")
        with pytest.raises(InvalidRequestError) as caught:
            await alice.edit(
                draft.id, draft.version, "Second.", ReasonCode.TONE, idempotency_key="k"
            )

    assert caught.value.problem.status == 422
    assert [e.field for e in caught.value.problem.errors] == ["Idempotency-Key"]
    assert await ai_messages(backend, chat) == ["First."]


async def test_same_key_on_another_draft_is_refused(backend: Backend) -> None:
    one = await backend.chat(CONFIDENT)
    two = await backend.chat(CONFIDENT)
    first, second = await pending_draft(backend, one), await pending_draft(backend, two)

    async with backend.client("alice") as alice:
        await alice.approve(first.id, first.version, idempotency_key="k")
        with pytest.raises(InvalidRequestError):
            await alice.approve(second.id, second.version, idempotency_key="k")

    assert await ai_messages(backend, two) == []


async def test_keys_belong_to_one_operator(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice, backend.client("bob") as bob:
        await alice.approve(draft.id, draft.version, idempotency_key="shared")
        with pytest.raises(ConflictError):
            await bob.approve(draft.id, draft.version, idempotency_key="shared")


async def test_an_overlong_key_is_refused(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        with pytest.raises(InvalidRequestError) as caught:
            await alice.approve(draft.id, draft.version, idempotency_key="k" * 201)

    assert [e.field for e in caught.value.problem.errors] == ["Idempotency-Key"]
    assert await ai_messages(backend, chat) == []


async def test_raw_retry_without_if_match_still_applies_once(backend: Backend) -> None:
    """A client that sends only an Idempotency-Key (no If-Match) is still safe to retry."""
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    headers = {"Authorization": f"Bearer {backend.tokens['alice']}", "Idempotency-Key": "raw"}

    async with httpx.AsyncClient(base_url=backend.url, transport=backend.transport) as http:
        responses = [
            await http.post(f"/v1/drafts/{draft.id}/approve", headers=headers) for _ in range(2)
        ]

    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert await ai_messages(backend, chat) == [draft.text]
