"""A backend restarted on the same database file has lost nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.settings import Settings
from backend_client import (
    Action,
    Author,
    ConflictError,
    ConversationStatus,
    ReasonCode,
)
from tests.helpers import BASE, Backend, seed_operators

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"


@asynccontextmanager
async def running(settings: Settings, tokens: Backend | None = None) -> AsyncIterator[Backend]:
    """A fresh app over `settings`' database; reuses the operators of `tokens` when given."""
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            backend = Backend(app=app, url=BASE, transport=httpx.ASGITransport(app=app))
            if tokens is None:
                seed_operators(backend)
            else:
                backend.tokens, backend.operator_ids = tokens.tokens, tokens.operator_ids
            yield backend
    finally:
        app.state.store.close()


@pytest.mark.parametrize("configured_secret", [True, False])
async def test_a_restart_loses_nothing(tmp_path: Path, configured_secret: bool) -> None:
    settings = Settings(
        db_path=tmp_path / "hitl.db", secret="restart-secret" if configured_secret else None
    )
    async with running(settings) as first:
        approved = await first.chat(CONFIDENT)
        held = await first.chat("I want to speak to a human")
        waiting = await first.chat("What payment methods do you accept?")
        async with first.client("alice") as alice:
            draft = (await alice.get_conversation(approved.id)).draft
            assert draft is not None
            await alice.approve(draft.id, draft.version, idempotency_key="approve-once")
            detail = await alice.get_conversation(held.id)
            await alice.takeover(held.id, detail.version, ReasonCode.CUSTOMER_REQUEST, "mine")
            await alice.send_message(held.id, "Hello, Alice here.")
        async with first.client("sam") as sam:
            await sam.pause_ai()
            before_audit = (await sam.list_audit()).items
            before_verify = await sam.verify_audit()
        async with first.client("alice") as alice:
            before = {c.id: await alice.get_conversation(c.id) for c in (approved, held, waiting)}
    assert before_verify.ok and before_verify.entries == 3

    async with running(settings, tokens=first) as second:
        async with second.client("alice") as alice:
            after = {cid: await alice.get_conversation(cid) for cid in before}
            # A retry after the restart still gets the first answer, and sends nothing again.
            again = await alice.approve(draft.id, draft.version, idempotency_key="approve-once")
            pending = after[waiting.id].draft
            assert pending is not None
            with pytest.raises(ConflictError, match="paused"):
                await alice.approve(pending.id, pending.version)
        async with second.client("bob") as bob:
            with pytest.raises(ConflictError):
                await bob.send_message(held.id, "Bob here")
        async with second.client("sam") as sam:
            assert (await sam.ai_state()).paused is True
            after_audit = (await sam.list_audit()).items
            after_verify = await sam.verify_audit()
        async with second.channel() as channel:
            seen = await channel.messages(approved)

    assert after == before
    assert again.messages == before[approved.id].messages
    assert after_audit == before_audit
    assert [e.action for e in after_audit] == [Action.PAUSE, Action.TAKEOVER, Action.APPROVE]
    assert after_verify == before_verify
    assert after[held.id].status is ConversationStatus.HUMAN
    assert after[waiting.id].status is ConversationStatus.AWAITING_REVIEW
    assert [m.author for m in seen] == [Author.SYSTEM, Author.CUSTOMER, Author.AI]
    assert [m.text for m in seen if m.author is Author.AI] == [draft.text]


async def test_decisions_after_a_restart_extend_the_same_chain(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "hitl.db")
    async with running(settings) as first:
        chat = await first.chat(CONFIDENT)
        async with first.client("alice") as alice:
            draft = (await alice.get_conversation(chat.id)).draft
            assert draft is not None
            await alice.edit(draft.id, draft.version, "Two to four days.", ReasonCode.TONE)
        async with first.client("sam") as sam:
            head = (await sam.verify_audit()).head

    async with running(settings, tokens=first) as second:
        async with second.client("alice") as alice:
            detail = await alice.get_conversation(chat.id)
            await alice.close(chat.id, detail.version)
        async with second.client("sam") as sam:
            result = await sam.verify_audit()
            entries = (await sam.list_audit()).items

    assert result.ok and result.entries == 2
    assert entries[0].action is Action.CLOSE
    assert entries[0].prev_hash == head
    assert entries[1].final_text == "Two to four days."
