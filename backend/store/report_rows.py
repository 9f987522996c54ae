"""What the oversight figures are computed from, read in one go for a period."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.oversight_figures import ReviewRow
from .common import Connection

_REAL = "c.calibration_id IS NULL"
"""Calibration conversations are no customer's: volumes leave them out."""


@dataclass
class ReportData:
    """The rows of a period, before any arithmetic."""

    reviews: list[ReviewRow] = field(default_factory=list)
    conversations: int = 0
    messages: dict[str, int] = field(default_factory=dict)
    drafts: dict[str, int] = field(default_factory=dict)
    escalations: list[tuple[str, datetime, datetime | None]] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)
    """Erasures, retention runs and calibration seeds: seq, at, action, note."""


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class ReportRows(Connection):
    """Reads for the reviewers' metrics and the oversight report."""

    def review_rows(self, since: str, until: str) -> list[ReviewRow]:
        """Human decisions on drafts in [since, until), oldest first."""
        rows = self.db.execute(
            "SELECT a.at, a.actor, a.action, a.reason_code, d.created_at, d.text, d.flags, "
            "c.calibration_id IS NOT NULL, c.customer_language FROM audit a "
            "JOIN drafts d ON d.id = a.draft_id JOIN conversations c ON c.id = d.conversation_id "
            "WHERE a.action IN ('approve', 'edit', 'reject', 'regenerate') "
            "AND a.at >= ? AND a.at < ? ORDER BY a.seq",
            [since, until],
        )
        return [
            ReviewRow(
                at=_at(at),
                actor=actor,
                action=action,
                reason_code=reason,
                draft_created_at=_at(created),
                draft_words=len(text.split()),
                flags=tuple(json.loads(flags)),
                calibration=bool(calibration),
                language=language,
            )
            for at, actor, action, reason, created, text, flags, calibration, language in rows
        ]

    def report_data(self, since: str, until: str) -> ReportData:
        """Everything the oversight report counts, for [since, until)."""
        period = [since, until]
        data = ReportData(reviews=self.review_rows(since, until))
        data.conversations = self.db.execute(
            f"SELECT count(*) FROM conversations c WHERE {_REAL} AND c.created_at >= ? "
            "AND c.created_at < ?",
            period,
        ).fetchone()[0]
        data.messages = dict(
            self.db.execute(
                "SELECT m.author, count(*) FROM messages m JOIN conversations c "
                f"ON c.id = m.conversation_id WHERE {_REAL} AND m.created_at >= ? "
                "AND m.created_at < ? GROUP BY m.author",
                period,
            ).fetchall()
        )
        data.drafts = dict(
            self.db.execute(
                "SELECT d.status, count(*) FROM drafts d JOIN conversations c "
                f"ON c.id = d.conversation_id WHERE {_REAL} AND d.created_at >= ? "
                "AND d.created_at < ? GROUP BY d.status",
                period,
            ).fetchall()
        )
        data.escalations = [
            (reason, _at(at), _at(taken) if taken else None)
            for reason, at, taken in self.db.execute(
                "SELECT e.reason, e.at, e.taken_at FROM escalations e JOIN conversations c "
                f"ON c.id = e.conversation_id WHERE {_REAL} AND e.at >= ? AND e.at < ? "
                "ORDER BY e.seq",
                period,
            )
        ]
        data.journal = list(
            self.db.query(
                "SELECT seq, at, action, note FROM audit WHERE action IN ('erase', 'retention') "
                "AND at >= ? AND at < ? ORDER BY seq",
                period,
            )
        )
        return data
