"""Who each conversation is assigned to, as the live stream says, and when it became me."""

from __future__ import annotations

from backend_client import ConversationSummary, Event, EventType, Operator
from console.render.sanitize import untrusted

__all__ = ["AssignmentWatch"]


class AssignmentWatch:
    """Remembers assignees (only of assigned conversations) to tell a person "now yours"."""

    def __init__(self) -> None:
        self._assignee: dict[str, str] = {}

    def newly_mine(self, event: Event, me: Operator | None) -> tuple[str, str] | None:
        """(conversation id, words) when `event` assigns a conversation to `me`, else None."""
        if event.type not in (EventType.CONVERSATION_CREATED, EventType.CONVERSATION_UPDATED):
            return None
        summary = ConversationSummary.model_validate(event.data)
        before = self._assignee.get(summary.id)
        if summary.assignee is None or summary.status.value == "closed":
            self._assignee.pop(summary.id, None)
            return None
        self._assignee[summary.id] = summary.assignee
        if me is None or summary.assignee != me.id or before == me.id:
            return None
        name = untrusted(summary.customer.name)
        return summary.id, f"{name}'s conversation is now assigned to you."
