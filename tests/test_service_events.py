"""The service decides which events exist; the store only persists what it is handed."""

from __future__ import annotations

import pytest

from backend.store import Store
from backend_client import (
    Author,
    BotIdentity,
    ConversationSummary,
    Customer,
    DraftStatus,
    EventType,
)
from tests.helpers import Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


def test_the_store_announces_nothing_it_was_not_handed(store: Store) -> None:
    with store.transaction():
        cid = store.create_conversation(Customer(name="Jo"), "token")
        store.add_message(cid, Author.CUSTOMER, "hello")
        draft = store.add_draft(
            cid,
            text="Hi!",
            confidence=0.9,
            rationale="greeting",
            sources=[],
            flags=[],
            bot=BotIdentity(name="test", model="none"),
            instruction=None,
            send_at=None,
        )
        store.decide_draft(draft.id, DraftStatus.APPROVED, decided_by=None, final_text="Hi!")
        store.touch_conversation(cid)
    assert store.events_after(0) == []
    with store.transaction():
        store.append_event(EventType.CONVERSATION_UPDATED, cid, {"id": cid})
    assert [e.type for e in store.events_after(0)] == [EventType.CONVERSATION_UPDATED]
    store.close()


async def test_a_decision_announces_each_change_and_the_new_summary(backend: Backend) -> None:
    """A console can apply these events instead of fetching the conversation again."""
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    position = backend.store.event_bounds()[1]
    async with backend.client("alice") as alice:
        detail = await alice.approve(draft.id, draft.version)
    events = backend.store.events_after(position)
    assert [e.type for e in events] == [
        EventType.DRAFT_DECIDED,
        EventType.MESSAGE_CREATED,
        EventType.CONVERSATION_UPDATED,
        EventType.AUDIT_APPENDED,
    ]
    decided, message, updated, entry = (e.data for e in events)
    assert decided["id"] == draft.id and decided["status"] == "approved"
    assert message["text"] == draft.text and message["author"] == "ai"
    assert entry["action"] == "approve" and entry["draft_id"] == draft.id
    summary = ConversationSummary.model_validate(updated)
    assert summary == ConversationSummary(**detail.model_dump(exclude={"messages", "draft"}))
