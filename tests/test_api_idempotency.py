"""Idempotency-Key: the record commits with the decision, and a failed decision frees its key."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence

import httpx
import psycopg
import pytest

from backend.app import create_app
from backend.bots.base import BotReply, Turn
from backend.bots.builtin import BuiltinBot
from backend.settings import Settings
from backend_client import Action, Author, ConversationDetail, StaleVersionError
from tests.helpers import (
    BASE,
    Backend,
    eventually,
    fail_inserts,
    pending_draft,
    seed_operators,
    stop_failing,
)

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


def _raw(backend: Backend, name: str = "alice") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=backend.transport,
        base_url=backend.url,
        headers={"Authorization": f"Bearer {backend.tokens[name]}"},
    )


async def _journal(backend: Backend, action: Action) -> int:
    async with backend.client("sam") as sam:
        page = await sam.list_audit(action=action.value)
    return len(page.items)


async def test_a_failure_after_the_effect_rolls_it_back_and_the_retry_applies_once(
    backend: Backend,
) -> None:
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    headers = {"Idempotency-Key": "approve-once", "If-Match": f'"{draft.version}"'}
    # The last write of a keyed decision fails, after its effect, inside its transaction.
    fail_inserts(backend.store, "idempotency")
    async with _raw(backend) as raw:
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error)):
            await raw.post(f"/v1/drafts/{draft.id}/approve", headers=headers)
        # Nothing of the decision stayed: the draft still waits, the customer saw nothing.
        assert (await pending_draft(backend, chat)).id == draft.id
        assert await _journal(backend, Action.APPROVE) == 0

        stop_failing(backend.store, "idempotency")
        first = await raw.post(f"/v1/drafts/{draft.id}/approve", headers=headers)
        again = await raw.post(f"/v1/drafts/{draft.id}/approve", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    detail = ConversationDetail.model_validate(first.json())
    assert [m.text for m in detail.messages if m.author is Author.AI] == [draft.text]
    assert await _journal(backend, Action.APPROVE) == 1


async def test_a_decision_that_raises_frees_its_key(backend: Backend) -> None:
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        with pytest.raises(StaleVersionError):
            await alice.approve(draft.id, draft.version + 5, idempotency_key="k1")
        assert backend.app.state.hitl._key_locks == {}
        # The refusal was not remembered: the same key now decides.
        detail = await alice.approve(draft.id, draft.version, idempotency_key="k1")
    assert detail.draft is None and detail.messages[-1].text == draft.text
    assert backend.app.state.hitl._key_locks == {}


class HeldRegenerations:
    """The built-in bot, except that a regeneration waits until the test lets it go."""

    identity = BuiltinBot.identity

    def __init__(self) -> None:
        self.inner = BuiltinBot()
        self.gate = asyncio.Event()

    async def draft(self, history: Sequence[Turn], instruction: str | None = None) -> BotReply:
        if instruction is not None:
            await self.gate.wait()
        return await self.inner.draft(history, instruction)


@pytest.fixture
async def held_backend(settings: Settings) -> AsyncIterator[tuple[Backend, HeldRegenerations]]:
    """The real backend in-process with a bot whose regenerations the test releases."""
    bot = HeldRegenerations()
    app = create_app(settings, bot=bot)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        yield seed_operators(Backend(app=app, url=BASE, transport=transport)), bot
    app.state.store.close()


async def test_a_second_request_with_a_key_in_flight_waits_for_the_first_answer(
    held_backend: tuple[Backend, HeldRegenerations],
) -> None:
    backend, bot = held_backend
    hitl = backend.app.state.hitl
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    body = {"instruction": "shorter", "reason_code": "tone"}
    headers = {"Idempotency-Key": "regen-2"}
    key = (backend.operator_ids["alice"], "regen-2")
    async with _raw(backend) as raw:
        path = f"/v1/drafts/{draft.id}/regenerate"
        first = asyncio.create_task(raw.post(path, json=body, headers=headers))

        # The decision applied; the first request now waits for the bot, holding the key.
        def rejected() -> bool:
            stored = backend.store.draft(draft.id)
            assert stored is not None
            return stored.status.value == "rejected"

        await eventually(rejected)
        second = asyncio.create_task(raw.post(path, json=body, headers=headers))
        await eventually(lambda: hitl._key_locks[key].users == 2)
        bot.gate.set()
        answers = await asyncio.gather(first, second)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    new = ConversationDetail.model_validate(answers[0].json()).draft
    assert new is not None and new.id != draft.id
    assert await _journal(backend, Action.REGENERATE) == 1
    assert hitl._key_locks == {}


async def test_a_retried_regenerate_gets_the_new_draft_it_first_answered_with(
    backend: Backend,
) -> None:
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    async with _raw(backend) as raw:
        body = {"instruction": "shorter", "reason_code": "tone"}
        headers = {"Idempotency-Key": "regen-1"}
        first = await raw.post(f"/v1/drafts/{draft.id}/regenerate", json=body, headers=headers)
        again = await raw.post(f"/v1/drafts/{draft.id}/regenerate", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    new = ConversationDetail.model_validate(first.json()).draft
    assert new is not None and new.id != draft.id and new.instruction == "shorter"
