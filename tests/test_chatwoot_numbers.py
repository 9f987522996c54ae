"""Which number names a Chatwoot conversation in its webhooks: the one its REST paths take.

Upstream's event data carries the conversation's `display_id` as `id`; Chatwoot's
documented webhook sample names `display_id` itself, and a payload may then carry
the database's row id as `id`. Replies go to `/conversations/<number>/messages`,
so the display id must win wherever it is named.
"""

from __future__ import annotations

from typing import Any

from backend.channels.chatwoot import ChatwootMessage, customer_message, resolved_conversation
from tests.stubs import ChatwootStub

DATABASE_ID = 9_001
DISPLAY_ID = 42


def test_a_message_names_its_conversation_by_the_display_id_when_given() -> None:
    with ChatwootStub("secret") as chatwoot:
        payload: dict[str, Any] = chatwoot.message_created(DATABASE_ID, "Where is my order?")
    payload["conversation"]["display_id"] = DISPLAY_ID
    message = customer_message(payload, account_id=1)
    assert isinstance(message, ChatwootMessage)
    assert message.chatwoot_id == DISPLAY_ID


def test_a_message_without_a_display_id_is_named_by_its_id() -> None:
    with ChatwootStub("secret") as chatwoot:
        payload = chatwoot.message_created(DISPLAY_ID, "Where is my order?")
    message = customer_message(payload, account_id=1)
    assert isinstance(message, ChatwootMessage) and message.chatwoot_id == DISPLAY_ID


def test_a_resolution_names_its_conversation_by_the_display_id_when_given() -> None:
    with ChatwootStub("secret") as chatwoot:
        payload: dict[str, Any] = chatwoot.conversation_resolved(DATABASE_ID)
    assert resolved_conversation(payload, account_id=1) == (1, DATABASE_ID)
    payload["display_id"] = DISPLAY_ID
    assert resolved_conversation(payload, account_id=1) == (1, DISPLAY_ID)
