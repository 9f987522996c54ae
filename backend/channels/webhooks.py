"""Signed webhooks (Standard Webhooks): what hitl announces, and how each POST is signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from backend_client import (
    Author,
    ConversationStatus,
    ConversationSummary,
    Event,
    EventType,
    Message,
)

from ..settings import Settings
from ..store import Store
from .customer_stream import message_marks

DELIVERED_AUTHORS = frozenset({Author.AI, Author.HUMAN, Author.SYSTEM})
"""Messages hitl delivers to the customer (a customer's own message is not announced)."""
ANNOUNCED = {
    ConversationStatus.ESCALATED: "conversation.escalated",
    ConversationStatus.CLOSED: "conversation.closed",
}


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """`Webhook-Signature`: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body` (whsec_ key)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one signed POST."""
    return {
        "Content-Type": "application/json",
        "Webhook-Id": webhook_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret, webhook_id, timestamp, body),
    }


def announcements(store: Store, event: Event) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) for what an event announces to the outside, if anything.

    A delivered message is `message.delivered`; a conversation that becomes
    escalated or closed is announced once per change (the store remembers
    what each conversation last announced).
    """
    if event.conversation_id is None:
        return []
    if event.type is EventType.MESSAGE_CREATED:
        message = Message.model_validate(event.data)
        if message.author not in DELIVERED_AUTHORS:
            return []
        data = {
            "conversation_id": message.conversation_id,
            "message_id": message.id,
            "author": message.author.value,
            "text": message.text,
            "created_at": message.created_at.isoformat(),
            **message_marks(store, message),
        }
        return [("message.delivered", data)]
    if event.type in (EventType.CONVERSATION_UPDATED, EventType.CONVERSATION_CREATED):
        summary = ConversationSummary.model_validate(event.data)
        before = store.swap_channel_status(summary.id, summary.status.value)
        if before == summary.status.value:
            return []
        result: list[tuple[str, dict[str, Any]]] = [
            (
                "conversation.status",
                {
                    "conversation_id": summary.id,
                    "status": summary.status.value,
                    "before": before,
                    "reason": summary.escalation_reason,
                },
            )
        ]
        kind = ANNOUNCED.get(summary.status)
        if kind is not None:
            result.append(
                (kind, {"conversation_id": summary.id, "reason": summary.escalation_reason})
            )
        return result
    return []


def enqueue_webhooks(
    store: Store, settings: Settings, event: Event, said: list[tuple[str, dict[str, Any]]]
) -> None:
    """One outbox row per configured webhook that wants each announcement."""
    for index, hook in enumerate(settings.webhooks):
        for kind, data in said:
            if kind not in hook.events:
                continue
            key = f"msg_{event.id}_{index}_{kind.replace('.', '_')}"
            body = {"type": kind, "timestamp": event.at.isoformat(), "data": data}
            store.enqueue(key, "webhook", hook.url, event.conversation_id, kind, body)


def webhook_request(
    settings: Settings, target: str, key: str, body: dict[str, Any], now: int
) -> tuple[str, bytes, dict[str, str]]:
    """(url, body, headers) of one delivery attempt, signed at `now` (Unix seconds).

    KeyError when the webhook is no longer configured.
    """
    hook = (
        next(h for h in settings.webhooks if h.url == target)
        if any(h.url == target for h in settings.webhooks)
        else None
    )
    if hook is None:
        raise KeyError(target)
    raw = json.dumps(body, separators=(",", ":")).encode()
    return hook.url, raw, signed_headers(hook.secret, key, now, raw)
