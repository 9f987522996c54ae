"""Metrics (supervisor): how often people override the AI, why, and how carefully.

Loaded in a worker when shown and every few seconds while shown. Approvals
faster than the backend's threshold are called out: a human who approves in
under two seconds may not have read the draft, and GDPR art. 22 expects a
meaningful human review, not a rubber stamp.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Digits, Sparkline, Static

from backend_client import ForbiddenError, Metrics, RateRow
from console.host import ConsoleHost, host
from console.render.sanitize import safe_text
from console.widgets.fit_footer import FitFooter
from console.widgets.paused_banner import PausedBanner
from console.widgets.reviewer_trends import ReviewerTrends

__all__ = ["MetricsLoaded", "MetricsRefused", "MetricsScreen", "rate_bar"]

REFRESH_SECONDS = 5.0
"""How often the numbers are fetched again while the screen is shown."""
BAR_WIDTH = 12


def rate_bar(rate: float, width: int = BAR_WIDTH) -> str:
    """A rate from 0 to 1 as a bar of `width` cells."""
    filled = round(max(0.0, min(1.0, rate)) * width)
    return "█" * filled + "░" * (width - filled)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


class MetricsLoaded(Message):
    """Fresh metrics arrived."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.metrics = metrics


class MetricsRefused(Message):
    """The backend will not show this operator the metrics."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class MetricsScreen(Screen[None]):
    """Override rates, review times, fast approvals, queue sizes, decisions per minute."""

    HELP_TITLE = "Metrics"
    """What `?` calls this screen."""

    CSS_PATH = "supervision.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", tooltip="Fetch the numbers now", id="metrics.refresh"),
        Binding("escape", "back", "Back", tooltip="Leave the metrics", id="metrics.back"),
    ]

    metrics: reactive[Metrics | None] = reactive(None, init=False)
    """The numbers as last fetched (None until then)."""

    def __init__(self) -> None:
        """Empty until the first fetch."""
        super().__init__()
        self._timer: Timer | None = None

    @property
    def hitl(self) -> ConsoleHost:
        """The app, typed."""
        return host(self.app)

    def compose(self) -> ComposeResult:
        """Big rate, times, three rate tables, fast approvals, queue, sparkline."""
        yield PausedBanner()
        with Horizontal(id="metrics-header", classes="supervision-header"):
            yield Static("Metrics", classes="supervision-title")
            yield Static("Loading…", id="metrics-updated")
        with VerticalScroll(id="metrics-body"):
            with Horizontal(id="metrics-top"):
                with Vertical(id="metrics-rate-box"):
                    yield Digits("--", id="metrics-rate")
                    yield Static("% of decisions overrode the AI", id="metrics-rate-label")
                with Vertical(id="metrics-side"):
                    yield Static(id="metrics-times")
                    yield Static(id="metrics-queue")
                    yield Static(id="metrics-fast")
            with Grid(id="metrics-tables"):
                yield Static(id="metrics-by-reason", classes="metrics-table")
                yield Static(id="metrics-by-operator", classes="metrics-table")
                yield Static(id="metrics-by-flag", classes="metrics-table")
            yield Static(id="metrics-spark-label")
            yield Sparkline([], id="metrics-spark")
            yield ReviewerTrends(id="metrics-reviewers")
        yield Static(id="metrics-refusal", classes="refusal")
        yield FitFooter()

    def on_resize(self) -> None:
        """Below 120 columns the three rate tables stack (side by side at 80 their columns
        and bars were cut to a few cells); the body scrolls."""
        self.set_class(self.app.size.width < 120, "-narrow")

    def on_mount(self) -> None:
        """Fetch now and every few seconds while shown."""
        self._timer = self.set_interval(REFRESH_SECONDS, self.load_metrics)
        self.load_metrics()

    def on_screen_suspend(self) -> None:
        """Hidden: stop fetching."""
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        """Shown again: fetch now and keep fetching."""
        if self._timer is not None and not self.has_class("-refused"):
            self._timer.resume()
            self.load_metrics()

    # -- workers -------------------------------------------------------------

    @work(exclusive=True, group="metrics", exit_on_error=False)
    async def load_metrics(self) -> None:
        """Fetch the metrics."""
        try:
            metrics = await self.hitl.client.metrics()
        except ForbiddenError as error:
            self.post_message(MetricsRefused(str(error)))
            return
        # The reviewers' rows first, so the numbers and the trends appear together.
        await self.query_one(ReviewerTrends).load()
        self.post_message(MetricsLoaded(metrics))

    # -- results -------------------------------------------------------------

    def on_metrics_loaded(self, message: MetricsLoaded) -> None:
        """Show the new numbers."""
        self.metrics = message.metrics

    def on_metrics_refused(self, message: MetricsRefused) -> None:
        """Show the server's words; asking again every few seconds would not change them."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.query_one("#metrics-refusal", Static).update(
            Text.assemble("The metrics are for supervisors: ", safe_text(message.reason))
        )
        self.set_class(True, "-refused")

    def watch_metrics(self, metrics: Metrics | None) -> None:
        """Render every part from the new numbers."""
        if metrics is None:
            return
        self.query_one("#metrics-rate", Digits).update(f"{metrics.override_rate * 100:.0f}")
        self.query_one("#metrics-rate-label", Static).update(
            f"% of decisions overrode the AI ({metrics.overrides} of {metrics.decisions})"
        )
        self.query_one("#metrics-times", Static).update(
            Text.assemble(
                ("Draft to decision  ", "bold"),
                f"median {_seconds(metrics.review_seconds_p50)} · "
                f"p90 {_seconds(metrics.review_seconds_p90)}",
            )
        )
        queue = " · ".join(
            f"{status.replace('_', ' ')} {count}" for status, count in sorted(metrics.queue.items())
        )
        self.query_one("#metrics-queue", Static).update(
            Text.assemble(("Queue now  ", "bold"), queue or "empty")
        )
        self._show_fast(metrics)
        self._show_table("#metrics-by-reason", "Overrides by reason", "reason", metrics.by_reason)
        self._show_table(
            "#metrics-by-operator", "Overrides by operator", "operator", metrics.by_operator
        )
        self._show_table("#metrics-by-flag", "Overrides by draft flag", "flag", metrics.by_flag)
        per_minute = metrics.decisions_per_minute
        self.query_one("#metrics-spark-label", Static).update(
            Text.assemble(
                ("Decisions per minute", "bold"),
                f", last {len(per_minute)} minutes (peak {max(per_minute, default=0)}, "
                f"now {per_minute[-1] if per_minute else 0})",
            )
        )
        self.query_one("#metrics-spark", Sparkline).data = [float(v) for v in per_minute]
        self.query_one("#metrics-updated", Static).update(
            f"{metrics.decisions} decisions · refreshed every {REFRESH_SECONDS:.0f} s · r now"
        )

    def _show_fast(self, metrics: Metrics) -> None:
        fast = [row for row in metrics.fast_approvals if row.overrides > 0]
        label = self.query_one("#metrics-fast", Static)
        label.set_class(bool(fast), "-warning")
        limit = f"{metrics.fast_approval_seconds:g} s"
        if not fast:
            label.update(Text.assemble(("Fast approvals  ", "bold"), f"none under {limit}"))
            return
        text = Text.assemble(
            ("Fast approvals  ", "bold"),
            f"approvals faster than {limit} — may not be meaningful review (GDPR art. 22)\n",
        )
        for row in fast:
            text.append("  ")
            text.append_text(safe_text(row.key, single_line=True, max_length=24))
            text.append(f": {row.overrides} of {row.decisions} approvals\n")
        text.rstrip()
        label.update(text)

    def _show_table(self, widget_id: str, title: str, key_name: str, rows: list[RateRow]) -> None:
        variables = self.app.get_css_variables()
        bar_style = Style.parse(variables.get("accent", "blue"))
        table = Table(
            title=title,
            title_justify="left",
            title_style="bold",
            box=None,
            expand=True,
            pad_edge=False,
        )
        table.add_column(key_name)
        table.add_column("overrides", justify="right")
        table.add_column("rate")
        for row in rows:
            table.add_row(
                safe_text(row.key.replace("_", " "), single_line=True, max_length=20),
                f"{row.overrides}/{row.decisions}",
                Text.assemble((rate_bar(row.rate), bar_style), f" {row.rate:.0%}"),
            )
        if not rows:
            table.add_row(Text("none yet", style="italic"), "", "")
        self.query_one(widget_id, Static).update(table)

    # -- actions -------------------------------------------------------------

    def action_refresh(self) -> None:
        """Fetch the numbers now."""
        self.load_metrics()

    def action_back(self) -> None:
        """Leave the metrics."""
        self.app.pop_screen()
