"""Who may see which event of the live stream: the same permission as the route serving it.

An event carries the content a route would serve (an `audit.appended` event
is an override-log entry), so the stream must not hand a reader what that
route refuses them. Each event type names its permission once, here; the hub
filters every reader's stream through `may_see`, and the tests walk every
role against every event type and the route behind it.
"""

from __future__ import annotations

from backend_client import EventType, Role

from . import policy
from .policy import Permission

EVENT_PERMISSION: dict[EventType, Permission] = {
    EventType.CONVERSATION_CREATED: Permission.READ,  # GET /v1/conversations
    EventType.CONVERSATION_UPDATED: Permission.READ,  # GET /v1/conversations
    EventType.MESSAGE_CREATED: Permission.READ,  # GET /v1/conversations/{cid}
    EventType.DRAFT_CREATED: Permission.READ,  # GET /v1/conversations/{cid}
    EventType.DRAFT_DECIDED: Permission.READ,  # GET /v1/conversations/{cid}
    EventType.AUDIT_APPENDED: Permission.AUDIT,  # GET /v1/audit
    EventType.AI_PAUSED: Permission.READ,  # GET /v1/ai
    EventType.AI_RESUMED: Permission.READ,  # GET /v1/ai
    EventType.NOTE_CREATED: Permission.READ,  # GET /v1/conversations/{cid}/notes
    EventType.RESET: Permission.READ,  # the stream itself
}
"""The permission each event type needs: that of the route that serves its content."""


def may_see(role: Role, event_type: EventType) -> bool:
    """Whether a reader with `role` may be sent events of `event_type`.

    A type missing from the table is seen by nobody: a new event type stays
    private until someone decides who may read it.
    """
    permission = EVENT_PERMISSION.get(event_type)
    return permission is not None and policy.may(role, permission)
