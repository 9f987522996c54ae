"""The override log's filter fields: who, which action and reason, when, and free text."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input

from backend_client import Action, ReasonCode
from console.export_view import AuditFilters
from console.render.labels import spoken
from console.widgets.choice import Choice

__all__ = ["AuditFilterBar"]


NARROW_BELOW = 120
"""Narrower than this, the filters take two lines of three."""


class AuditFilterBar(Horizontal):
    """One line of filter fields; posts `Changed` with all of them when one is applied.

    Enter in a text field applies them all; each step of the action or reason
    choice applies at once (a newer step cancels the fetch of the last).
    """

    class Changed(Message):
        """The person applied the filters (they may equal the ones shown)."""

        def __init__(self, filters: AuditFilters) -> None:
            super().__init__()
            self.filters = filters

    def compose(self) -> ComposeResult:
        """Operator, action, reason, since, until, search."""
        yield Input(placeholder="operator (name or id)", id="filter-actor", classes="filter")
        actions = [(action.value, action.value) for action in Action]
        yield Choice([("any action", None), *actions], id="filter-action", classes="filter")
        reasons = [(spoken(reason), reason.value) for reason in ReasonCode]
        yield Choice([("any reason", None), *reasons], id="filter-reason", classes="filter")
        yield Input(placeholder="since (ISO)", id="filter-since", classes="filter")
        yield Input(placeholder="until (ISO)", id="filter-until", classes="filter")
        yield Input(placeholder="/ search notes and texts", id="filter-q", classes="filter")

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self) -> None:
        self._fit(self.app.size.width)

    def _fit(self, width: int) -> None:
        """Below `NARROW_BELOW` columns, two lines of three borderless fields: on one line
        at 80 columns the operator field was 4 cells wide and "since" showed one letter."""
        narrow = width < NARROW_BELOW
        if narrow == self.has_class("-narrow"):
            return
        self.set_class(narrow, "-narrow")
        for field in self.query(Input):
            field.compact = narrow

    @property
    def filters(self) -> AuditFilters:
        """What the fields say now."""

        def text(widget_id: str) -> str | None:
            return self.query_one(f"#{widget_id}", Input).value.strip() or None

        def chosen(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Choice).value
            return None if value is None else str(value)

        return AuditFilters(
            actor=text("filter-actor"),
            action=chosen("filter-action"),
            reason_code=chosen("filter-reason"),
            since=text("filter-since"),
            until=text("filter-until"),
            q=text("filter-q"),
        )

    @on(Input.Submitted, ".filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Changed(self.filters))

    @on(Choice.Changed, ".filter")
    def _chosen(self, event: Choice.Changed) -> None:
        self.post_message(self.Changed(self.filters))

    def focus_search(self) -> None:
        """Focus the free-text search."""
        self.query_one("#filter-q", Input).focus()

    def focus_next(self) -> None:
        """Focus the next field after the focused one (wrapping; the first if none is)."""
        fields: list[Widget] = list(self.query(".filter").results(Widget))
        focused = self.screen.focused
        index = fields.index(focused) if focused in fields else -1
        fields[(index + 1) % len(fields)].focus()
