"""The oversight figures as plain functions of rows: reviewers' metrics and the report's numbers.

Review quality (AI Act art. 14(4)(b)): how long a reviewer takes per 100 words,
how many approvals came faster than reading allows, how many calibration drafts
they caught, how often they overrode the AI, and how each moves day by day.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backend_client import CountRow, EscalationRow, RateRow, ReviewerMetrics, TrendPoint

OVERRIDES = frozenset({"edit", "reject", "regenerate"})


@dataclass(frozen=True)
class ReviewRow:
    """One human decision on a draft, with what review quality is measured from."""

    at: datetime
    actor: str
    action: str
    reason_code: str | None
    draft_created_at: datetime
    draft_words: int
    flags: tuple[str, ...]
    calibration: bool
    language: str | None = None
    """The customer's language tag as the channel gave it (None: not given)."""


def seconds_taken(row: ReviewRow) -> float:
    """How long the draft waited for this decision."""
    return max(0.0, (row.at - row.draft_created_at).total_seconds())


def is_fast(row: ReviewRow, words_per_second: float | None, fast_seconds: float) -> bool:
    """An approval faster than reading the draft takes (or than `fast_seconds` with no pace)."""
    if row.action != "approve":
        return False
    if words_per_second is not None:
        return seconds_taken(row) < row.draft_words / words_per_second
    return seconds_taken(row) < fast_seconds


def per_100_words(row: ReviewRow) -> float:
    """Seconds taken per 100 words of draft."""
    return seconds_taken(row) * 100 / max(row.draft_words, 1)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def day_of(moment: datetime) -> datetime:
    """The start (UTC midnight) of the day `moment` falls in."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def trend(
    rows: Iterable[ReviewRow], words_per_second: float | None, fast_seconds: float
) -> list[TrendPoint]:
    """Per day: decisions, overrides, median seconds per 100 words, fast-approval share."""
    days: dict[datetime, list[ReviewRow]] = defaultdict(list)
    for row in rows:
        days[day_of(row.at)].append(row)
    points = []
    for start in sorted(days):
        day = days[start]
        overrides = sum(r.action in OVERRIDES for r in day)
        approvals = [r for r in day if r.action == "approve"]
        fast = sum(is_fast(r, words_per_second, fast_seconds) for r in approvals)
        points.append(
            TrendPoint(
                start=start,
                decisions=len(day),
                overrides=overrides,
                override_rate=_rate(overrides, len(day)),
                median_seconds_per_100_words=_median([per_100_words(r) for r in day]),
                fast_share=_rate(fast, len(approvals)),
            )
        )
    return points


def reviewer_metrics(
    rows: Sequence[ReviewRow],
    names: Mapping[str, str],
    words_per_second: float | None,
    fast_seconds: float,
) -> list[ReviewerMetrics]:
    """Every reviewer's figures, most decisions first."""
    by_actor: dict[str, list[ReviewRow]] = defaultdict(list)
    for row in rows:
        by_actor[row.actor].append(row)
    result = []
    for actor, mine in by_actor.items():
        real = [r for r in mine if not r.calibration]
        calibration = [r for r in mine if r.calibration]
        approvals = [r for r in mine if r.action == "approve"]
        overrides = sum(r.action in OVERRIDES for r in real)
        fast = sum(is_fast(r, words_per_second, fast_seconds) for r in approvals)
        caught = sum(r.action in OVERRIDES for r in calibration)
        result.append(
            ReviewerMetrics(
                operator_id=actor,
                name=names.get(actor, actor),
                decisions=len(mine),
                approvals=len(approvals),
                overrides=overrides,
                override_rate=_rate(overrides, len(real)),
                median_seconds_per_100_words=_median([per_100_words(r) for r in mine]),
                fast_approvals=fast,
                fast_share=_rate(fast, len(approvals)),
                calibration_seen=len(calibration),
                calibration_caught=caught,
                catch_rate=_rate(caught, len(calibration)) if calibration else None,
                trend=trend(mine, words_per_second, fast_seconds),
            )
        )
    return sorted(result, key=lambda m: (-m.decisions, m.name))


def counts(values: Mapping[str, int]) -> list[CountRow]:
    """A mapping as rows, most frequent first."""
    return [CountRow(key=k, count=v) for k, v in sorted(values.items(), key=lambda kv: -kv[1])]


def escalation_rows(
    escalations: Iterable[tuple[str, datetime, datetime | None]],
    sla_minutes: int,
    now: datetime,
) -> list[EscalationRow]:
    """Per reason: how many, how many taken, the median wait, and how many broke the SLA."""
    sla = timedelta(minutes=sla_minutes)
    by_reason: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for reason, at, taken in escalations:
        by_reason[reason].append((at, taken))
    rows = []
    for reason, items in by_reason.items():
        waits = [(taken - at).total_seconds() for at, taken in items if taken is not None]
        over = sum(((taken or now) - at) > sla for at, taken in items)
        rows.append(
            EscalationRow(
                reason=reason,
                count=len(items),
                taken=len(waits),
                median_wait_seconds=_median(waits),
                over_sla=over,
            )
        )
    return sorted(rows, key=lambda r: (-r.count, r.reason))


def reason_counts(rows: Iterable[ReviewRow]) -> Counter[str]:
    """Why the AI was overridden, over real (not calibration) decisions."""
    return Counter(r.reason_code or "none" for r in rows if r.action in OVERRIDES)


NOT_RECORDED = "not recorded"
"""The language row of decisions on chats whose channel did not give the customer's language."""


def language_of(row: ReviewRow) -> str:
    """The report's language of a decision: the tag's primary subtag (`de` for `de-AT`)."""
    if not row.language:
        return NOT_RECORDED
    return row.language.split("-", 1)[0].lower()


def rate_rows(
    rows: Sequence[ReviewRow], key: Callable[[ReviewRow], Iterable[str]]
) -> list[RateRow]:
    """Decisions and overrides per key (a row may count under several), most decisions first."""
    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for row in rows:
        for k in key(row):
            total[k] += 1
            hits[k] += row.action in OVERRIDES
    return [
        RateRow(key=k, decisions=n, overrides=hits[k], rate=round(hits[k] / n, 4))
        for k, n in total.most_common()
    ]
