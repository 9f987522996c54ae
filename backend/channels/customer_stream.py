"""The customer-side live stream: one conversation's delivered messages and status notices.

It reads the same hub as the operators' stream, filtered to one conversation
and to what a customer may see: delivered messages (never a draft) and a
plain status notice (never who holds it or why it escalated). Event ids are
the hub's, so `Last-Event-ID` resumes; a client that connects without one,
or whose position is no longer kept, first gets every delivered message
again, and dedupes by message id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import ServerSentEvent

from backend_client import (
    Author,
    ConversationStatus,
    ConversationSummary,
    DraftStatus,
    EventType,
    Message,
)

from ..hub import EventHub
from ..store import StoreProtocol

RETRY_MS = 1000
"""How soon a browser's EventSource reconnects after the stream drops (a restart)."""

PERSON_STATUSES = frozenset({ConversationStatus.ESCALATED, ConversationStatus.HUMAN})
"""Statuses in which the customer waits for, or talks with, a person."""


def marking(message: Message, draft_status: DraftStatus | None) -> str:
    """How a delivered message is marked for the customer.

    `ai_reviewed`: the AI wrote it and a person approved it; `ai_edited`: a
    person edited the AI's draft; `ai`: the AI's draft went out without a
    person (review mode flagged/off); `person`: a person wrote it; `system`
    and `customer` as they say. The one place this is decided, so that
    machine-readable fields on the wire (issue 16) can replace its inputs.
    """
    if message.author is Author.AI:
        if draft_status is DraftStatus.EDITED:
            return "ai_edited"
        if draft_status is DraftStatus.APPROVED or (
            draft_status is None and message.operator is not None
        ):
            return "ai_reviewed"
        return "ai"
    if message.author is Author.HUMAN:
        return "person"
    return message.author.value


def message_marks(store: StoreProtocol, message: Message) -> dict[str, Any]:
    """The machine-readable marking of a delivered message (webhooks, Chatwoot, the web chat).

    `ai_generated`, `edited_by_person`, `reviewed_by` (the reviewer's operator id, as on
    the wire's `Message`), `correction_of` and `correction_reason` (a correction names the
    message it corrects, and why: art. 14(4)(d)), and `marking` for the page.
    """
    draft = store.draft(message.draft_id) if message.draft_id else None
    status = draft.status if draft else None
    return {
        "ai_generated": message.ai_generated,
        "edited_by_person": message.edited_by_person,
        "reviewed_by": message.reviewed_by,
        "correction_of": message.correction_of,
        "correction_reason": message.correction_reason.value if message.correction_reason else None,
        "marking": marking(message, status),
    }


def customer_message(store: StoreProtocol, message: Message) -> dict[str, Any]:
    """A delivered message as the customer's page gets it: text, author and marking."""
    return {
        "id": message.id,
        "author": message.author.value,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        **message_marks(store, message),
    }


def customer_status(status: ConversationStatus, holder: str | None) -> dict[str, Any]:
    """The status notice a customer sees: whether a person will reply; nothing internal."""
    return {
        "status": status.value,
        "person_will_reply": status in PERSON_STATUSES or holder is not None,
        "closed": status is ConversationStatus.CLOSED,
    }


def _sse(kind: str, position: int, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(event=kind, id=str(position), data=json.dumps(data), retry=RETRY_MS)


class CustomerStream:
    """One customer's stream over the hub: snapshot or resume, then live."""

    def __init__(self, hub: EventHub, store: StoreProtocol, cid: str) -> None:
        self.hub = hub
        self.store = store
        self.cid = cid
        self._status: dict[str, Any] | None = None

    def _snapshot(self, position: int) -> list[ServerSentEvent]:
        events = [
            _sse("message", position, customer_message(self.store, m))
            for m in self.store.messages(self.cid)
        ]
        row = self.store.conversation_row(self.cid) or {}
        status = ConversationStatus(row.get("status", ConversationStatus.CLOSED.value))
        events.append(
            self._status_event(position, status, row.get("holder")) or self._ping(position)
        )
        return events

    def _status_event(
        self, position: int, status_: ConversationStatus, holder: str | None
    ) -> ServerSentEvent | None:
        status = customer_status(status_, holder)
        if status == self._status:
            return None
        self._status = status
        return _sse("status", position, status)

    @staticmethod
    def _ping(position: int) -> ServerSentEvent:
        return ServerSentEvent(id=str(position), retry=RETRY_MS)

    def _translate(
        self, event_id: int, kind: EventType, data: dict[str, Any]
    ) -> ServerSentEvent | None:
        if kind is EventType.MESSAGE_CREATED:
            message = Message.model_validate(data)
            return _sse("message", event_id, customer_message(self.store, message))
        if kind in (EventType.CONVERSATION_UPDATED, EventType.CONVERSATION_CREATED):
            summary = ConversationSummary.model_validate(data)
            return self._status_event(event_id, summary.status, summary.holder)
        return None

    async def run(self, since: int | None, keepalive: float) -> AsyncIterator[ServerSentEvent]:
        """Every delivered message (or those after `since`), then live ones, as SSE."""
        low, high = self.store.event_bounds()
        if since is None or since > high or (low and since < low - 1):
            # A fresh page, or a position no longer kept: everything again, deduped by id.
            last = high
            for sse in self._snapshot(last):
                yield sse
        else:
            last = since
            yield self._ping(last)
        while True:
            batch = self.hub.after(last)
            if batch and batch[0].event.id > last + 1:
                low = self.store.event_bounds()[0]
                if low and last < low - 1:
                    # Trimmed while this client was away: it would skip a gap.
                    for sse in self._snapshot(batch[-1].event.id):
                        yield sse
            for entry in batch:
                event = entry.event
                if event.conversation_id != self.cid:
                    continue
                translated = self._translate(event.id, event.type, event.data)
                if translated is not None:
                    yield translated
            if batch:
                last = batch[-1].event.id
                await asyncio.sleep(0)
            else:
                await self.hub.wait(keepalive)
