"""What a live event tells about a conversation the console already shows."""

from __future__ import annotations

from backend_client import ConversationDetail, Event, EventType

__all__ = ["knows_already"]


def knows_already(detail: ConversationDetail | None, event: Event) -> bool:
    """True when `detail` already shows what `event` says (so there is nothing to fetch)."""
    if detail is None:
        return False
    data = event.data
    if event.type in (EventType.CONVERSATION_CREATED, EventType.CONVERSATION_UPDATED):
        version = data.get("version")
        return isinstance(version, int) and version <= detail.version
    if event.type is EventType.MESSAGE_CREATED:
        return any(message.id == data.get("id") for message in detail.messages)
    if event.type is EventType.DRAFT_CREATED:
        return detail.draft is not None and detail.draft.id == data.get("id")
    if event.type is EventType.DRAFT_DECIDED:
        # Decided: it is either gone from the detail already, or the detail is stale.
        return detail.draft is None or detail.draft.id != data.get("id")
    # The journal's entries and internal notes are not part of the conversation's detail.
    return event.type in (EventType.AUDIT_APPENDED, EventType.NOTE_CREATED)
