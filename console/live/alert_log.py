"""Alerts as a place: what the console warned about, kept for the person to look at.

A warning (a conversation escalated, a draft waited past the SLA) goes into
the log; the header counts the unseen ones, `f9` lists them, and at most one
shows briefly on the alert line. A role that cannot act on a warning does
not get it (a trainer decides no drafts).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from backend_client import Operator, Role

__all__ = ["Alert", "AlertKind", "AlertLog", "alert_for"]

KEEP = 200
"""Alerts kept for the list (the oldest go first)."""


class AlertKind(StrEnum):
    """What an alert is about."""

    ESCALATED = "escalated"
    SLA = "sla"
    ASSIGNED = "assigned"
    """A conversation was assigned to the person at the console."""
    ESCALATION_SLA = "escalation_sla"
    """An escalated customer has waited past the promise of a person."""


@dataclass(frozen=True)
class Alert:
    """One warning: when, what about, in words (sanitised by whoever wrote them)."""

    at: datetime
    kind: AlertKind
    title: str
    text: str
    conversation_id: str | None = None


_ACTS_ON: dict[AlertKind, frozenset[Role]] = {
    AlertKind.ESCALATED: frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    AlertKind.SLA: frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    AlertKind.ASSIGNED: frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
    AlertKind.ESCALATION_SLA: frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN}),
}


def alert_for(me: Operator | None, kind: AlertKind) -> bool:
    """True if the person at the console can act on an alert of `kind` (unknown: yes)."""
    return me is None or me.role in _ACTS_ON[kind]


class AlertLog:
    """The alerts of this session, newest last, and how many are unseen."""

    def __init__(self) -> None:
        self.items: deque[Alert] = deque(maxlen=KEEP)
        """The kept alerts, oldest first."""
        self.unseen = 0
        """Alerts added since the list was last opened."""

    def add(self, alert: Alert) -> None:
        """Keep `alert`; it counts as unseen."""
        self.items.append(alert)
        self.unseen = min(self.unseen + 1, len(self.items))

    def seen(self) -> None:
        """The person opened the list."""
        self.unseen = 0

    def newest_first(self) -> list[Alert]:
        """The alerts, newest first (as the list shows them)."""
        return list(reversed(self.items))
