"""Wire models of the oversight figures: reviewers' metrics and the oversight report."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ._models import RateRow, VerifyResult, WireModel


class TrendPoint(WireModel):
    """One day of review: how much, how often overridden, how fast."""

    start: datetime
    decisions: int
    overrides: int
    override_rate: float
    median_seconds_per_100_words: float | None = None
    fast_share: float = 0.0


class ReviewerMetrics(WireModel):
    """How one reviewer reviews: speed per 100 words, fast approvals, calibration, overrides."""

    operator_id: str
    name: str
    decisions: int
    approvals: int
    overrides: int
    override_rate: float
    median_seconds_per_100_words: float | None = None
    fast_approvals: int
    fast_share: float
    """Approvals faster than reading the draft takes, as a share of approvals."""
    calibration_seen: int
    calibration_caught: int
    catch_rate: float | None = None
    """Caught calibration drafts / decided ones; None when they decided none."""
    trend: list[TrendPoint] = Field(default_factory=list)


class ReviewerReport(WireModel):
    """`GET /v1/metrics/reviewers`: every reviewer over a period."""

    since: datetime | None = None
    until: datetime
    words_per_second: float | None = None
    """The reading pace a fast approval is measured against (None: `fast_seconds` is)."""
    fast_seconds: float
    reviewers: list[ReviewerMetrics]


class CountRow(WireModel):
    """A key and how often it occurred."""

    key: str
    count: int


class EscalationRow(WireModel):
    """Escalations for one reason: how long people waited, against the SLA."""

    reason: str
    count: int
    taken: int
    median_wait_seconds: float | None = None
    over_sla: int
    """Taken later than the SLA, or still waiting longer than it."""


class JournalEvent(WireModel):
    """A journal entry the report lists by itself (erasures, retention runs)."""

    seq: int
    at: datetime
    action: str
    note: str | None = None


class OversightReport(WireModel):
    """`GET /v1/reports/oversight`: the figures of the oversight report for a period."""

    since: datetime
    until: datetime
    generated_at: datetime
    conversations: int
    messages: list[CountRow]
    drafts: list[CountRow]
    decisions: int
    overrides: int
    override_rate: float
    override_reasons: list[CountRow]
    override_trend: list[TrendPoint]
    by_flag: list[RateRow]
    by_language: list[RateRow]
    review_seconds_p50: float | None = None
    review_seconds_p90: float | None = None
    approvals: int
    fast_approvals: int
    reviewers: list[ReviewerMetrics]
    calibration_decided: int
    calibration_caught: int
    calibration_missed: int
    sla_minutes: int
    escalations: list[EscalationRow]
    erasures: list[JournalEvent]
    retention_runs: list[JournalEvent]
    journal: VerifyResult
    checkpoint: str | None = None
    """Whether the journal still holds the checkpoint given with the request, in words."""
