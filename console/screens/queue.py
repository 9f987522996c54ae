"""The home screen: the live queue under a header and filter tabs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Label, Tab, Tabs

from backend_client import AIState, ConnectionState, Operator
from console.host import ConsoleHost, host
from console.live.escalation_sla import EscalationWatch
from console.live.queue_state import QueueFilter
from console.widgets.alert_line import AlertLine
from console.widgets.demo_line import DemoLine
from console.widgets.fit_footer import FitFooter
from console.widgets.header import ConsoleHeader
from console.widgets.paused_banner import PausedBanner
from console.widgets.queue_find import QueueColumns, QueueFind
from console.widgets.queue_list import QueueList
from console.widgets.sla_badge import SlaBadge

__all__ = ["QueueScreen"]

_FILTERS: tuple[QueueFilter, ...] = (
    QueueFilter.ALL,
    QueueFilter.REVIEW,
    QueueFilter.ESCALATED,
    QueueFilter.MINE,
)

_EMPTY_HINTS: dict[QueueFilter, str] = {
    QueueFilter.ALL: "No open conversations.",
    QueueFilter.REVIEW: "No drafts waiting for review.",
    QueueFilter.ESCALATED: "Nobody is waiting for a person.",
    QueueFilter.MINE: "You hold no conversations, and none is assigned to you.",
}


class FilterTabs(Tabs, can_focus=False):
    """The filter tabs; the list keeps the focus, the screen's keys switch tabs."""


class FilterTab(Tab):
    """A filter tab, whose count widens and narrows it as the queue changes.

    `Tabs` moves its underline when a tab is relabelled, measuring the tabs after
    the next refresh. A relabel handled while the app batches its updates (a
    screen or widgets being mounted) is measured before the new width is laid
    out, and the underline stays under the old width. A resize comes after the
    layout: the underline is moved again then, as for a relabel.
    """

    def on_resize(self) -> None:
        """Laid out at a new width: have the tab bar move its underline."""
        self.post_message(self.Relabelled(self))


class QueueScreen(Screen[None]):
    """The queue, longest waiting first, filtered by the selected tab."""

    HELP_TITLE = "Queue"
    """What `?` calls this screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                str(number),
                f"show_filter('{queue_filter}')",
                queue_filter.title(),
                show=False,
                tooltip=f"Show the {queue_filter.title()} tab",
                id=f"queue.filter_{queue_filter}",
            )
            for number, queue_filter in enumerate(_FILTERS, start=1)
        ),
        Binding(
            "tab,right",
            "cycle_filter(1)",
            "Next tab",
            show=False,
            priority=True,
            tooltip="Show the next filter tab",
            id="queue.next_filter",
        ),
        Binding(
            "shift+tab,left",
            "cycle_filter(-1)",
            "Previous tab",
            show=False,
            priority=True,
            tooltip="Show the previous filter tab",
            id="queue.previous_filter",
        ),
        Binding(
            "slash", "find", "Find", tooltip="Find by name, email, words or flag", id="queue.find"
        ),
    ]

    @property
    def hitl(self) -> ConsoleHost:
        """The app, as a screen may use it."""
        return host(self.app)

    def compose(self) -> ComposeResult:
        """Header, tabs, the list, and the keys at the bottom."""
        yield ConsoleHeader()
        yield DemoLine(self.hitl.chat_url)
        yield PausedBanner()
        yield FilterTabs(
            *(
                FilterTab(queue_filter.title(), id=f"filter-{queue_filter}")
                for queue_filter in _FILTERS
            )
        )
        yield QueueFind(id="queue-find")
        yield QueueColumns(id="queue-columns")
        yield QueueList(self.hitl.queue, clock=self.hitl.clock, id="queue-list")
        yield Label("", id="queue-empty")
        yield AlertLine(id="alert-line")
        yield FitFooter()

    def on_mount(self) -> None:
        """Start where the operator will act: in the list."""
        self.query_one(QueueList).focus()
        # Whatever the app learned before this screen was mounted (the show_*
        # methods below ignore calls until then).
        header = self.query_one(ConsoleHeader)
        header.connection = self.hitl.connection
        header.ai_state = self.hitl.ai_state
        header.operator = self.hitl.me
        header.snapshot_progress = 0 if self.hitl.loading else None  # the next page says how far
        if self.hitl.me is not None:
            self.query_one(QueueList).me = self.hitl.me.id
        if self.hitl.operator_names:
            self.query_one(QueueList).show_names(self.hitl.operator_names)
        watch = EscalationWatch()  # the promise of a person: the header counts, rows are marked
        header.mount(SlaBadge(watch, id="header-sla"), before=header.query_one("#header-alerts"))
        self.query_one(QueueList).show_sla(watch.over)
        self.call_after_refresh(self.queue_changed, None)

    # -- what the app calls --------------------------------------------------

    @property
    def showing(self) -> bool:
        """Mounted with its widgets: not before mount, nor while the app takes it down.

        The empty-queue hint is composed after the list and the rest the updates
        touch, and taken down before them: while it is there, they all are.
        """
        return self.is_mounted and bool(self.query(QueueList)) and bool(self.query("#queue-empty"))

    def queue_changed(self, ids: set[str] | None, *, now: bool = False) -> None:
        """The queue state changed for `ids` (None: all of it); update list, counts, tabs.

        `now`: repaint the list in the next frame rather than coalescing (see
        `QueueList.changed`).
        """
        if not self.showing:
            return
        queue = self.hitl.queue
        self.query_one(QueueList).changed(ids, now=now)
        self.query_one(QueueFind).queue_changed()
        self.query_one(ConsoleHeader).counts = queue.counts()
        me = self.hitl.me.id if self.hitl.me is not None else None
        tabs = self.query_one(FilterTabs)
        for queue_filter in _FILTERS:
            tab = tabs.query_one(f"#filter-{queue_filter}", Tab)
            tab.label = f"{queue_filter.title()} {queue.len_of(queue_filter, me)}"
        self._show_empty_hint()

    def show_operator(self, operator: Operator) -> None:
        """The operator is known: the Mine tab can show their rows."""
        if not self.showing:
            return
        self.query_one(ConsoleHeader).operator = operator
        self.query_one(QueueList).me = operator.id
        self.queue_changed(None)

    def show_operator_names(self, names: Mapping[str, str]) -> None:
        """Names for the holder column."""
        if self.showing:
            self.query_one(QueueList).show_names(names)

    def show_loading(self, received: int | None) -> None:
        """A snapshot is on its way and `received` conversations of it are in (None: done)."""
        if self.showing:
            self.query_one(ConsoleHeader).snapshot_progress = received

    def show_connection(self, state: ConnectionState) -> None:
        """Show the live stream's state."""
        if not self.showing:
            return
        self.query_one(ConsoleHeader).connection = state
        self._show_empty_hint()

    def show_alerts(self, unseen: int) -> None:
        """How many alerts the person has not looked at yet (in the header)."""
        if self.showing:
            self.query_one(ConsoleHeader).alerts = unseen

    def show_ai_state(self, state: AIState) -> None:
        """Show whether the AI may send."""
        if not self.showing:
            return
        self.query_one(ConsoleHeader).ai_state = state

    def show_filter(self, queue_filter: QueueFilter) -> None:
        """Select the tab of `queue_filter` (the list follows the tab)."""
        self.query_one(FilterTabs).active = f"filter-{queue_filter}"

    @property
    def current_filter(self) -> QueueFilter:
        """The filter the list shows now."""
        return self.query_one(QueueList).filter

    # -- events ------------------------------------------------------------

    @on(Tabs.TabActivated)
    def _filter_selected(self, event: Tabs.TabActivated) -> None:
        """A tab was chosen (by key or click): the list shows that filter."""
        if event.tab.id is None:
            return
        self.query_one(QueueList).filter = QueueFilter(event.tab.id.removeprefix("filter-"))
        self._show_empty_hint()

    @on(QueueList.Opened)
    def _open(self, event: QueueList.Opened) -> None:
        """Enter or double click on a row opens the conversation."""
        self.hitl.open_conversation(event.conversation_id)

    @on(QueueFind.Found)
    def _found(self, event: QueueFind.Found) -> None:
        """A find came back (or ended): the list shows only what it matched."""
        self.query_one(QueueList).narrow(event.ids)
        self._show_empty_hint()

    @on(QueueFind.Left)
    def _left_find(self) -> None:
        self.query_one(QueueList).focus()

    def _show_empty_hint(self) -> None:
        queue_list = self.query_one(QueueList)
        empty = queue_list.total_rows() == 0
        hint = self.query_one("#queue-empty", Label)
        words = _EMPTY_HINTS[queue_list.filter]
        finding = self.query_one(QueueFind).words
        if finding:
            words = f"Nothing here matches “{finding}” (escape in the find line shows all)."
        connection = self.hitl.connection
        if connection is not ConnectionState.LIVE:
            # Not an empty healthy queue: say we do not know, and that we keep trying.
            url = self.hitl.backend_url
            words = (
                f"Connecting to the backend at {url}…"
                if connection is None
                else f"Cannot reach the backend at {url} — retrying every few seconds. "
                "Is it running? (hitl serve, or --url / HITL_URL)"
            )
        hint.update(words if empty else "")
        hint.display = empty

    # -- actions -----------------------------------------------------------

    def action_show_filter(self, queue_filter: str) -> None:
        """Show the tab of `queue_filter`."""
        self.show_filter(QueueFilter(queue_filter))

    def action_find(self) -> None:
        """Open the find line (or go back to it)."""
        self.query_one(QueueFind).start()

    def action_cycle_filter(self, step: int) -> None:
        """Show the tab `step` places to the right (wrapping around)."""
        index = _FILTERS.index(self.current_filter)
        self.show_filter(_FILTERS[(index + step) % len(_FILTERS)])
