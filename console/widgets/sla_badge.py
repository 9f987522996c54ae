"""The header's count of escalated customers waiting past the promise of a person."""

from __future__ import annotations

from textual import work
from textual.widgets import Static

from backend_client import BackendError
from console.host import host
from console.live.alert_log import AlertKind
from console.live.escalation_sla import EscalationWatch
from console.live.queue_state import QueueFilter

__all__ = ["PROMISES_EVERY", "SlaBadge"]

PROMISES_EVERY = 60.0
"""Seconds between asking the backend for its promises again (settings rarely change)."""


class SlaBadge(Static):
    """`⏰ 2 over SLA` in the header (hidden when none); each newly late one is an alert."""

    DEFAULT_CSS = """
    SlaBadge { width: auto; padding: 0 1; background: $error; color: $text; text-style: bold;
               display: none; }
    """

    def __init__(self, watch: EscalationWatch, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.watch_ = watch
        self.late = 0
        """How many escalated customers wait past the promise now."""

    def on_mount(self) -> None:
        """Learn the promises, then look every second."""
        self._load()
        self.set_interval(PROMISES_EVERY, self._load)
        self.set_interval(1.0, self.check)

    @work(exclusive=True, group="promises")
    async def _load(self) -> None:
        try:
            self.watch_.promises = await host(self.app).client.workday_settings()
        except BackendError:
            return  # offline: the header says so; the next round asks again
        self.check()

    def check(self) -> None:
        """Count the late ones; raise an alert for each newly late one."""
        app = host(self.app)
        now = app.clock().timestamp()
        late = self.watch_.overdue(app.queue.view(QueueFilter.ESCALATED), now)
        for row in self.watch_.newly_over(late):
            app.raise_alert(AlertKind.ESCALATION_SLA, "Over SLA", self.watch_.words(row), row.id)
        self.late = len(late)
        self.update(f"⏰ {self.late} over SLA")
        self.display = self.late > 0
