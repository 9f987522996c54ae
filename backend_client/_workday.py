"""Wire objects of an agent's working day: internal notes, assignment, saved replies,
who else is viewing a conversation, and the escalation SLA.

`fill_reply` and `reply_variables` are the one definition of a saved reply's
variables: the backend refuses a reply naming an unknown one, the console fills them.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field

from ._enums import EscalationReason
from ._wire import NAME_MAX, NOTE_MAX, TEXT_MAX, WireModel

__all__ = [
    "REPLY_VARIABLES",
    "AssignRequest",
    "Note",
    "NoteRequest",
    "Presence",
    "SavedReply",
    "SavedReplyRequest",
    "WorkdaySettings",
    "fill_reply",
    "over_sla",
    "reply_variables",
    "sla_minutes",
]


class Note(WireModel):
    """An internal note on a conversation: colleagues see it, the customer never does."""

    id: str
    conversation_id: str
    author: str
    """The operator (id) who wrote it."""
    text: str
    created_at: datetime


class NoteRequest(WireModel):
    """Write an internal note."""

    text: str = Field(min_length=1, max_length=NOTE_MAX)


class AssignRequest(WireModel):
    """Assign a conversation to an operator (id or name), or to nobody (None)."""

    operator: str | None = Field(None, max_length=NAME_MAX)


class SavedReply(WireModel):
    """A reply from the team's library; `{customer.first_name}` and the like are filled in."""

    id: str
    title: str
    text: str
    updated_at: datetime
    updated_by: str
    """The operator (id) who last wrote it."""


class SavedReplyRequest(WireModel):
    """Create or replace a saved reply (supervisors)."""

    title: str = Field(min_length=1, max_length=NAME_MAX)
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class Presence(WireModel):
    """Who else has a conversation open right now (operator ids, not the caller)."""

    conversation_id: str
    viewers: list[str] = Field(default_factory=list)


class WorkdaySettings(WireModel):
    """The team's promises the console shows: how long an escalated customer may wait."""

    escalation_sla_minutes: int
    """An escalated conversation waiting longer than this is over its SLA."""
    complaint_reply_minutes: int
    """A complaint's own promise (what the customer was told): its SLA."""


REPLY_VARIABLES: dict[str, str] = {
    "customer.name": "the customer's name",
    "customer.first_name": "the customer's first name",
    "agent.name": "the name of the operator sending it",
}
"""The variables a saved reply may use, and what each becomes."""

_VARIABLE = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


def reply_variables(text: str) -> list[str]:
    """The `{…}` variables `text` names, in order (known or not)."""
    return _VARIABLE.findall(text)


def fill_reply(text: str, *, customer_name: str, agent_name: str) -> str:
    """`text` with its variables filled in (an unknown one is left as written)."""
    first = customer_name.split()[0] if customer_name.split() else customer_name
    values = {
        "customer.name": customer_name,
        "customer.first_name": first,
        "agent.name": agent_name,
    }
    return _VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def sla_minutes(reason: EscalationReason | None, promises: WorkdaySettings) -> int:
    """How long an escalated customer may wait for a person: a complaint's own promise (what
    the customer was told), else the team's escalation SLA."""
    if reason is EscalationReason.COMPLAINT:
        return promises.complaint_reply_minutes
    return promises.escalation_sla_minutes


def over_sla(
    reason: EscalationReason | None, waited_seconds: float, promises: WorkdaySettings
) -> bool:
    """Whether an escalated customer who has waited `waited_seconds` waited past the promise."""
    return waited_seconds > sla_minutes(reason, promises) * 60
