"""When a live event is news to the conversation on screen, and when it is not.

The conversation screen fetches the conversation again only for news
(`console.live.detail.knows_already`): the response to its own decision
already told it the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend_client import (
    Author,
    ConversationDetail,
    ConversationStatus,
    Customer,
    Draft,
    DraftStatus,
    Event,
    EventType,
    Message,
)
from console.live.detail import knows_already

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def draft(draft_id: str = "d_1") -> Draft:
    """A pending draft."""
    return Draft(
        id=draft_id,
        conversation_id="c_1",
        text="Your order is on its way.",
        confidence=0.9,
        rationale="",
        status=DraftStatus.PENDING,
        version=1,
        created_at=T0,
    )


def detail(*, version: int = 3, pending: Draft | None = None) -> ConversationDetail:
    """The conversation as the screen shows it: one customer message."""
    return ConversationDetail(
        id="c_1",
        status=ConversationStatus.AWAITING_REVIEW if pending else ConversationStatus.BOT,
        version=version,
        customer=Customer(name="Jo"),
        messages=[
            Message(
                id="m_1",
                conversation_id="c_1",
                author=Author.CUSTOMER,
                text="Where is it?",
                created_at=T0,
            )
        ],
        draft=pending,
        created_at=T0,
        updated_at=T0,
    )


def event(kind: EventType, **data: Any) -> Event:
    """An event about conversation c_1 carrying `data`."""
    return Event(id=1, type=kind, at=T0, conversation_id="c_1", data=data)


def test_nothing_is_known_before_the_conversation_is() -> None:
    assert not knows_already(None, event(EventType.AUDIT_APPENDED))


def test_an_update_is_news_only_when_newer_than_the_version_shown() -> None:
    shown = detail(version=3)
    assert knows_already(shown, event(EventType.CONVERSATION_UPDATED, version=3))
    assert knows_already(shown, event(EventType.CONVERSATION_UPDATED, version=2))
    assert not knows_already(shown, event(EventType.CONVERSATION_UPDATED, version=4))


def test_a_message_is_news_unless_it_is_on_screen() -> None:
    shown = detail()
    assert knows_already(shown, event(EventType.MESSAGE_CREATED, id="m_1"))
    assert not knows_already(shown, event(EventType.MESSAGE_CREATED, id="m_2"))


def test_a_draft_is_news_unless_it_is_the_one_shown() -> None:
    assert knows_already(detail(pending=draft("d_1")), event(EventType.DRAFT_CREATED, id="d_1"))
    assert not knows_already(detail(pending=draft("d_1")), event(EventType.DRAFT_CREATED, id="d_2"))
    assert not knows_already(detail(), event(EventType.DRAFT_CREATED, id="d_2"))


def test_a_decided_draft_is_news_only_while_it_is_still_shown_pending() -> None:
    decided = event(EventType.DRAFT_DECIDED, id="d_1", status="approved")
    assert not knows_already(detail(pending=draft("d_1")), decided)
    assert knows_already(detail(), decided)
    assert knows_already(detail(pending=draft("d_2")), decided)


def test_journal_entries_are_not_part_of_the_conversation() -> None:
    assert knows_already(detail(), event(EventType.AUDIT_APPENDED, seq=7))
