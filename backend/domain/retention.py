"""What is due for erasure now (GDPR art. 5(1)(e)): plain arithmetic on the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..settings import RetentionSettings


@dataclass(frozen=True)
class Cutoffs:
    """Conversations closed before `personal_before` lose their personal data; journal
    entries older than `journal_before` lose their copies of texts."""

    personal_before: datetime
    journal_before: datetime


def cutoffs(now: datetime, retention: RetentionSettings) -> Cutoffs:
    """The two moments before which data is kept no longer."""
    now = now.astimezone(UTC)
    return Cutoffs(
        personal_before=now - timedelta(days=retention.personal_data_days),
        journal_before=now - timedelta(days=retention.journal_text_days),
    )


def stored(moment: datetime) -> str:
    """A moment as the store writes times, so the two compare as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
