"""The rules of an agent's working day, as plain functions the service and the tests call.

Who may be assigned a conversation, whether a note or a saved reply's variables are
acceptable, and who else is viewing a conversation. Whether an escalated customer waited
past the promise of a person is the protocol's `over_sla`, which the console shares.
"""

from __future__ import annotations

from collections.abc import Mapping

from backend_client import REPLY_VARIABLES, Role, reply_variables

from . import policy
from .policy import Permission

__all__ = [
    "PRESENCE_SECONDS",
    "assignment_refusal",
    "note_refusal",
    "unknown_variables",
    "viewers_now",
]

PRESENCE_SECONDS = 15.0
"""A viewer who has not said "still here" for this long has left."""


def assignment_refusal(target_role: Role | None, target_active: bool) -> str | None:
    """Why a conversation cannot be assigned to this operator (None: it can).

    Only someone who may answer customers can be assigned one: not a trainer,
    not a disabled operator.
    """
    if target_role is None:
        return "no such operator"
    if not target_active:
        return "this operator is disabled"
    if not policy.may(target_role, Permission.DECIDE):
        return f"a {target_role.value} cannot answer customers"
    return None


def note_refusal(text: str, limit: int) -> str | None:
    """Why a note cannot be kept (None: it can)."""
    if not text.strip():
        return "write something"
    if len(text) > limit:
        return f"at most {limit} characters"
    return None


def unknown_variables(text: str) -> list[str]:
    """The `{…}` variables of a saved reply that nothing fills in."""
    return [name for name in reply_variables(text) if name not in REPLY_VARIABLES]


def viewers_now(seen: Mapping[str, float], now: float, me: str) -> list[str]:
    """Who else still has the conversation open: seen within `PRESENCE_SECONDS`, not `me`."""
    return sorted(
        operator for operator, at in seen.items() if operator != me and now - at < PRESENCE_SECONDS
    )
