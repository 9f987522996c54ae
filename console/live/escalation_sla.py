"""The promise of a person: escalated conversations whose customer waited past it.

The rule is the protocol's `over_sla` (a complaint keeps its own promise, what the
customer was told); the promises come from the backend (`GET /v1/workday`).
"""

from __future__ import annotations

from collections.abc import Iterable

from backend_client import (
    ConversationStatus,
    EscalationReason,
    WorkdaySettings,
    over_sla,
    sla_minutes,
)
from console.live.queue_rows import ID, REASON, STATUS, QueueRow, Row, waiting_since

__all__ = ["EscalationWatch"]

_ESCALATED = ConversationStatus.ESCALATED.value


class EscalationWatch:
    """Which escalated rows are over their promise; each reported once per escalation."""

    def __init__(self) -> None:
        self.promises: WorkdaySettings | None = None
        """The team's promises (None until the backend said)."""
        self._warned: set[tuple[str, float]] = set()

    def over(self, row: Row, waited_seconds: float) -> bool:
        """Whether `row` is escalated and its customer waited past the promise."""
        promises = self.promises
        if promises is None or row[STATUS] != _ESCALATED:
            return False
        reason = row[REASON]
        return over_sla(
            None if reason is None else EscalationReason(reason), waited_seconds, promises
        )

    def overdue(self, escalated: Iterable[Row], now: float) -> list[Row]:
        """The escalated rows over their promise at `now` (POSIX seconds)."""
        late: list[Row] = []
        for row in escalated:
            since = waiting_since(row)
            if since is not None and self.over(row, now - since):
                late.append(row)
        return late

    def newly_over(self, late: Iterable[Row]) -> list[QueueRow]:
        """The rows of `late` not reported before (a new escalation is reported again)."""
        new: list[QueueRow] = []
        for row in late:
            key = (row[ID], waiting_since(row) or 0.0)
            if key not in self._warned:
                self._warned.add(key)
                new.append(QueueRow.of(row))
        return new

    def words(self, row: QueueRow) -> str:
        """`Ann Lee has waited over 15 min for a person (asked for human).`"""
        minutes = sla_minutes(row.escalation_reason, self.promises) if self.promises else 0
        why = (row.escalation_reason or "needs a person").replace("_", " ")
        return f"{row.name} has waited over {minutes} min for a person ({why})."
