"""The oversight figures for a period: reviewers' metrics and the oversight report's numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend_client import (
    JournalEvent,
    OversightReport,
    ReviewerReport,
)

from ..domain import oversight_figures as figures
from ..domain import policy
from ..domain.metrics import _quantile
from ..domain.policy import Permission
from ..domain.retention import stored
from ..errors import Invalid
from ..store import OperatorRecord
from .reading import Reading

DEFAULT_DAYS = 30
"""The report's period when no start is given: the last 30 days."""
NOT_RECORDED = figures.NOT_RECORDED
"""The language row of chats whose channel did not give the customer's language."""


class OversightFigures(Reading):
    """What a supervisor and a compliance officer read about the review itself."""

    def _period(self, since: datetime | None, until: datetime | None) -> tuple[str, str]:
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise Invalid(name, "must carry a time zone, like 2026-01-05T00:00:00Z")
        end = until or self._now()
        if since is not None and since >= end:
            raise Invalid("since", "must be before until")
        return (stored(since) if since else "", stored(end))

    def _names(self) -> dict[str, str]:
        return {o.id: o.name for o in self.store.list_operators()}

    def reviewer_report(
        self, op: OperatorRecord, since: datetime | None, until: datetime | None
    ) -> ReviewerReport:
        """Supervisor: every reviewer's speed, fast approvals, catches and overrides, by day."""
        policy.require(op.role, Permission.METRICS)
        start, end = self._period(since, until)
        rows = self.store.review_rows(start, end)
        pace, fast = self.settings.reading_words_per_second, self.settings.fast_approval_seconds
        return ReviewerReport(
            since=since,
            until=datetime.fromisoformat(end),
            words_per_second=pace,
            fast_seconds=fast,
            reviewers=figures.reviewer_metrics(rows, self._names(), pace, fast),
        )

    def checkpoint_verdict(self, entries: int, head: str) -> str:
        """Whether the journal still holds a checkpoint kept outside the database."""
        found = self.store.audit_hash_at(entries) if entries else None
        if entries and found is None:
            return f"FAILED: the checkpoint has {entries} entries, the journal fewer"
        if entries and found != head:
            return f"FAILED: entry {entries} differs from the checkpoint (history rewritten)"
        return f"holds: entry {entries} has the checkpoint's head"

    async def oversight_report(
        self,
        op: OperatorRecord,
        since: datetime | None,
        until: datetime | None,
        checkpoint: tuple[int, str] | None = None,
    ) -> OversightReport:
        """Supervisor: the figures of the oversight report, with the journal's verification."""
        policy.require(op.role, Permission.AUDIT)
        if since is None:
            since = (until or self._now()) - timedelta(days=DEFAULT_DAYS)
        start, end = self._period(since, until)
        data = self.store.report_data(start, end)
        pace, fast = self.settings.reading_words_per_second, self.settings.fast_approval_seconds
        real = [r for r in data.reviews if not r.calibration]
        overrides = sum(r.action in figures.OVERRIDES for r in real)
        approvals = [r for r in real if r.action == "approve"]
        calibration = [r for r in data.reviews if r.calibration]
        journal = [JournalEvent.model_validate(e) for e in data.journal]
        return OversightReport(
            since=since,
            until=datetime.fromisoformat(end),
            generated_at=self._now(),
            conversations=data.conversations,
            messages=figures.counts(data.messages),
            drafts=figures.counts(data.drafts),
            decisions=len(real),
            overrides=overrides,
            override_rate=round(overrides / len(real), 4) if real else 0.0,
            override_reasons=figures.counts(figures.reason_counts(real)),
            override_trend=figures.trend(real, pace, fast),
            by_flag=figures.rate_rows(real, lambda r: r.flags or ("unflagged",)),
            by_language=figures.rate_rows(real, lambda r: (figures.language_of(r),)),
            review_seconds_p50=_quantile([figures.seconds_taken(r) for r in real], 0.5),
            review_seconds_p90=_quantile([figures.seconds_taken(r) for r in real], 0.9),
            approvals=len(approvals),
            fast_approvals=sum(figures.is_fast(r, pace, fast) for r in approvals),
            reviewers=figures.reviewer_metrics(data.reviews, self._names(), pace, fast),
            calibration_decided=len(calibration),
            calibration_caught=sum(r.action in figures.OVERRIDES for r in calibration),
            calibration_missed=sum(r.action == "approve" for r in calibration),
            sla_minutes=self.settings.complaint_reply_minutes,
            escalations=figures.escalation_rows(
                data.escalations, self.settings.complaint_reply_minutes, self._now()
            ),
            erasures=[e for e in journal if e.action == "erase"],
            retention_runs=[e for e in journal if e.action == "retention"],
            journal=await self.verify_journal(op),
            checkpoint=self.checkpoint_verdict(*checkpoint) if checkpoint else None,
        )
