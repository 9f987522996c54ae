"""Which keys a role is offered: the console hides what the backend would refuse.

The backend stays the only authority (it refuses anyway); this is only so a
trainer's footer, `?` and palette do not offer Approve, and an agent's do not
offer the override log. An unknown operator (not loaded yet) is offered
everything, and the backend decides.
"""

from __future__ import annotations

from backend_client import Operator, Role

__all__ = ["role_may"]

DECIDING = frozenset(
    {
        "approve",
        "edit",
        "reject",
        "regenerate",
        "takeover",
        "handback",
        "close_conversation",
        "next_draft",
        "send_message",
        "add_note",
        "assign",
        "saved_replies",
    }
)
"""Actions that decide drafts or hold conversations (agents, supervisors, admins)."""

SUPERVISING = frozenset({"open_audit_log", "open_metrics", "pause_ai", "resume_ai"})
"""Actions for supervisors and admins only."""

TRAINING = frozenset({"export_pairs"})
"""Actions for trainers, supervisors and admins (the backend's "export training data")."""

_DECIDERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
_SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
_TRAINERS = frozenset({Role.TRAINER, Role.SUPERVISOR, Role.ADMIN})


def role_may(me: Operator | None, action: str) -> bool:
    """True if the person at the console may be offered `action` (unknown: yes)."""
    if me is None:
        return True
    action = action.removeprefix("app.")
    if action in DECIDING:
        return me.role in _DECIDERS
    if action in SUPERVISING:
        return me.role in _SUPERVISORS
    if action in TRAINING:
        return me.role in _TRAINERS
    return True
