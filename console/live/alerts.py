"""What the console warns about: drafts waiting past the SLA, conversations that escalated."""

from __future__ import annotations

from collections.abc import Iterable

from backend_client import ConversationStatus, EscalationReason
from console.live.queue_rows import DRAFT_ID, ID, QueueRow, Row, waiting_since
from console.render.labels import format_waiting, spoken

__all__ = ["SlaWatch", "escalation_notice"]


class SlaWatch:
    """Drafts that waited longer than `limit` seconds, each reported once."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        """Seconds a draft may wait for a reviewed reply."""
        self._warned: set[str] = set()

    def newly_late(self, review_rows: Iterable[Row], now: float) -> list[QueueRow]:
        """The drafts past the limit not reported before (rows longest waiting first)."""
        late: list[QueueRow] = []
        for row in review_rows:
            since = waiting_since(row)
            if since is None:
                continue
            if now - since < self.limit:
                break  # longest waiting first: the rest waited less
            key = row[DRAFT_ID] or row[ID]
            if key not in self._warned:
                self._warned.add(key)
                late.append(QueueRow.of(row))
        return late

    def message(self, late: list[QueueRow]) -> str:
        """One notification for drafts that crossed the line together."""
        names = [row.name for row in late]  # sanitised in the row
        limit = format_waiting(self.limit)
        if len(late) == 1:
            return f"{names[0]} has waited over {limit} for a reviewed reply."
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"{len(late)} drafts have waited over {limit}: {shown}."


def escalation_notice(
    before: QueueRow | None, after: QueueRow | None, complaint_minutes: int | None = None
) -> str | None:
    """What to tell the person when a conversation has just escalated (None: it has not).

    A complaint says what the customer was told: within how many minutes a person replies.
    """
    if after is None or after.status is not ConversationStatus.ESCALATED:
        return None
    if before is not None and before.status is ConversationStatus.ESCALATED:
        return None
    reason = spoken(after.escalation_reason or "needs a person")
    if after.escalation_reason is EscalationReason.COMPLAINT and complaint_minutes is not None:
        reason += f" — the customer was told a person replies within {complaint_minutes} min"
    return f"{after.name} — {reason}"  # sanitised in the row
