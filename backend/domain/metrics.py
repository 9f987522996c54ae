"""Override and review metrics, computed from decision rows by plain functions."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend_client import Action, Metrics, RateRow

DRAFT_ACTIONS = (Action.APPROVE, Action.EDIT, Action.REJECT, Action.REGENERATE)
OVERRIDES = frozenset({Action.EDIT, Action.REJECT, Action.REGENERATE})
MINUTES = 30


@dataclass(frozen=True)
class DecisionRow:
    """One human decision on a draft, with what the metrics need."""

    at: datetime
    actor: str
    action: Action
    reason_code: str | None
    draft_created_at: datetime
    flags: tuple[str, ...]


def _rate_rows(totals: Counter[str], hits: Counter[str]) -> list[RateRow]:
    rows = [
        RateRow(
            key=key,
            decisions=total,
            overrides=hits[key],
            rate=round(hits[key] / total, 4) if total else 0.0,
        )
        for key, total in totals.items()
    ]
    return sorted(rows, key=lambda r: (-r.overrides, -r.decisions, r.key))


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 3)


def compute_metrics(
    rows: Iterable[DecisionRow],
    *,
    queue: Mapping[str, int],
    now: datetime,
    fast_seconds: float,
    operator_names: Mapping[str, str],
) -> Metrics:
    """Override rate overall and by reason, operator and flag; review time; fast approvals."""
    decisions = overrides = 0
    reason_hits: Counter[str] = Counter()
    op_total: Counter[str] = Counter()
    op_hits: Counter[str] = Counter()
    flag_total: Counter[str] = Counter()
    flag_hits: Counter[str] = Counter()
    approvals: Counter[str] = Counter()
    fast: Counter[str] = Counter()
    review: list[float] = []
    per_minute = [0] * MINUTES
    window_start = now - timedelta(minutes=MINUTES)
    for row in rows:
        name = operator_names.get(row.actor, row.actor)
        overridden = row.action in OVERRIDES
        seconds = max(0.0, (row.at - row.draft_created_at).total_seconds())
        decisions += 1
        overrides += overridden
        op_total[name] += 1
        op_hits[name] += overridden
        review.append(seconds)
        if overridden:
            reason_hits[row.reason_code or "none"] += 1
        for flag in row.flags or ("unflagged",):
            flag_total[flag] += 1
            flag_hits[flag] += overridden
        if row.action is Action.APPROVE:
            approvals[name] += 1
            fast[name] += seconds < fast_seconds
        if row.at >= window_start:
            minute = int((row.at - window_start).total_seconds() // 60)
            per_minute[min(minute, MINUTES - 1)] += 1
    by_reason = [
        RateRow(
            key=reason,
            decisions=decisions,
            overrides=count,
            rate=round(count / decisions, 4) if decisions else 0.0,
        )
        for reason, count in reason_hits.most_common()
    ]
    return Metrics(
        decisions=decisions,
        overrides=overrides,
        override_rate=round(overrides / decisions, 4) if decisions else 0.0,
        by_reason=by_reason,
        by_operator=_rate_rows(op_total, op_hits),
        by_flag=_rate_rows(flag_total, flag_hits),
        review_seconds_p50=_quantile(review, 0.5),
        review_seconds_p90=_quantile(review, 0.9),
        fast_approval_seconds=fast_seconds,
        fast_approvals=_rate_rows(approvals, fast),
        queue=dict(queue),
        decisions_per_minute=per_minute,
    )
