"""Each reviewer's review quality on the metrics screen, with its trend by day as sparklines."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from backend_client import BackendError, ReviewerMetrics, ReviewerReport
from console.host import host
from console.render.sanitize import safe_text

__all__ = ["ReviewerTrends", "reviewer_label"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def reviewer_label(m: ReviewerMetrics) -> Text:
    """One reviewer's figures in one line; the name is the operator's own text, sanitised."""
    speed = m.median_seconds_per_100_words
    text = safe_text(m.name, single_line=True, max_length=16)
    text.append(
        f"  {'—' if speed is None else f'{speed:.0f}'} s/100 words · fast {_pct(m.fast_share)}"
        f" · caught {m.calibration_caught}/{m.calibration_seen} · overrides "
        f"{_pct(m.override_rate)}"
    )
    return text


class _Row(Horizontal):
    """A reviewer: figures, then override rate and seconds per 100 words by day."""

    DEFAULT_CSS = """
    _Row { height: 1; }
    _Row > Static { width: 72; }
    _Row > Sparkline { width: 1fr; margin-left: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(classes="reviewer-label")
        yield Sparkline([], classes="reviewer-overrides")
        yield Sparkline([], classes="reviewer-speed")

    def show(self, m: ReviewerMetrics) -> None:
        self.query_one(".reviewer-label", Static).update(reviewer_label(m))
        self.query_one(".reviewer-overrides", Sparkline).data = [p.override_rate for p in m.trend]
        self.query_one(".reviewer-speed", Sparkline).data = [
            p.median_seconds_per_100_words or 0.0 for p in m.trend
        ]


class ReviewerTrends(Vertical):
    """Per reviewer: seconds per 100 words, fast approvals, calibration catches, overrides."""

    DEFAULT_CSS = """
    ReviewerTrends { height: auto; margin-top: 1; }
    ReviewerTrends > #reviewers-title { text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            "Reviewers  (sparklines by day: override rate · seconds per 100 words)",
            id="reviewers-title",
        )

    async def load(self) -> None:
        """Fetch and show the reviewers' figures (called from the screen's worker); a
        backend without them leaves the section empty."""
        try:
            report = await host(self.app).client.reviewer_metrics()
        except BackendError:
            return
        await self.show(report)

    async def show(self, report: ReviewerReport) -> None:
        """One row per reviewer, updated in place on each refresh."""
        rows = {row.name: row for row in self.query(_Row) if row.name}
        for m in report.reviewers:
            key = f"reviewer-{m.operator_id}"
            row = rows.pop(key, None)
            if row is None:
                row = _Row(name=key)
                await self.mount(row)
            row.show(m)
        for stale in rows.values():
            await stale.remove()
