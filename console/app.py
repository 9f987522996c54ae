"""The console app: wires the backend client, the queue state and the screens.

All I/O runs in workers that post past-tense messages (`console.messages`);
the handlers here apply them to `self.queue` and call the screens' methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from datetime import UTC, datetime
from pathlib import PurePath
from typing import ClassVar

import httpx
from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.worker import Worker, WorkerState

from backend_client import (
    AIState,
    AsyncBackendClient,
    BackendError,
    ConnectionLostError,
    ConnectionState,
    ConversationStatus,
    Event,
    EventType,
    ForbiddenError,
    Operator,
    Role,
    UnauthorizedError,
)
from console.commands import ConsoleCommands
from console.config import ConsoleConfig
from console.idle_gc import IdleCollectingApp
from console.messages import (
    AIStateLoaded,
    ConnectionChanged,
    EventReceived,
    OperatorLoaded,
    OperatorsLoaded,
    QueuePageLoaded,
)
from console.queue_state import QueueFilter, QueueRow, QueueState
from console.screens.help import HelpScreen
from console.screens.queue import QueueScreen
from console.widgets.queue_list import format_waiting

__all__ = ["HitlApp", "make_app"]

SLA_CHECK_SECONDS = 1.0
"""How often drafts are checked against `sla_seconds`."""
FIRST_PAGE = 500
"""Conversations in a snapshot's first page: enough to fill any screen, quick to fetch."""
PAGE = 1_000
"""Conversations in each later page (the most the backend sends at once)."""
AUDIT_LOG = "audit-log"
"""The name the override log's screen is installed under (one for the session)."""
FIRST_FRAME_WAIT = 1.0
"""The longest the snapshot worker waits for its first page to be drawn (seconds)."""


class HitlApp(IdleCollectingApp[None]):
    """The hitl console: the live queue, conversations, and the AI's stop button."""

    TITLE = "hitl"
    # The screens' stylesheets too, read once at start: a screen's own
    # CSS_PATH is read when it is first shown, and Textual then restyles every
    # node (~30 ms of opening the override log).
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        "app.tcss",
        "screens/conversation.tcss",
        "screens/supervision.tcss",
    ]
    COMMANDS = App.COMMANDS | {ConsoleCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark",
            "help",
            "Help",
            tooltip="Every key of this screen",
            id="app.help",
        ),
        Binding(
            "n",
            "next_draft",
            "Next draft",
            tooltip="Open the conversation whose draft has waited longest",
            id="app.next_draft",
        ),
        Binding(
            "f6",
            "open_audit_log",
            "Override log",
            tooltip="Supervisor: every human decision, the chain's state, export",
            id="app.audit_log",
        ),
        Binding(
            "f7",
            "open_replay",
            "Replay",
            tooltip="Step through a past conversation and its decisions",
            id="app.replay",
        ),
        Binding(
            "f8",
            "open_metrics",
            "Metrics",
            tooltip="Supervisor: override rates, review times, fast approvals",
            id="app.metrics",
        ),
    ]

    def __init__(self, config: ConsoleConfig, client: AsyncBackendClient) -> None:
        """An app for `config` that talks to the backend through `client`."""
        super().__init__()
        self.config = config
        self.client = client
        self.theme = config.theme
        self.me: Operator | None = None
        """Who is at the console (None until the backend said)."""
        self.operator_names: dict[str, str] = {}
        """Operator id → name, from the backend's directory."""
        self._directory_asked: set[str] = set()
        """Ids not in the directory that it was loaded again for (once each)."""
        self.ai_state: AIState | None = None
        """Whether AI sending is paused (None until the backend said)."""
        self.connection: ConnectionState | None = None
        """The live stream's state (None before its first report)."""
        self.queue = QueueState()
        """Every open conversation, kept current by the live stream."""
        self.queue_screen = QueueScreen()
        """The home screen, always at the bottom of the stack."""
        self._loaded_once = False
        # Which snapshot request is current: pages of one it replaced (after
        # a reconnect or a reset) are dropped.
        self._snapshot_generation = 0
        self._loading = False
        self._received = 0
        self._sla_warned: set[str] = set()

    # -- lifecycle -----------------------------------------------------------

    def on_mount(self) -> None:
        """Follow the live stream; the snapshot loads once it is live, so nothing falls between."""
        self.follow_events()
        self.load_operator()
        self.set_interval(SLA_CHECK_SECONDS, self.check_sla)

    def get_default_screen(self) -> QueueScreen:
        """The queue is home."""
        return self.queue_screen

    async def on_unmount(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()

    # -- workers (the only place that awaits the network) -------------------

    @work(exclusive=True, group="events", exit_on_error=False)
    async def follow_events(self) -> None:
        """Post every live event; the client reconnects and reports its state."""

        def report(state: ConnectionState) -> None:
            self.post_message(ConnectionChanged(state))

        async for event in self.client.events(on_state=report):
            self.post_message(EventReceived(event))

    @work(exclusive=True, group="operator", exit_on_error=False)
    async def load_operator(self) -> None:
        """Learn who the token belongs to."""
        self.post_message(OperatorLoaded(await self.client.me()))

    def load_snapshot(self) -> None:
        """(Re)load the AI state and the whole queue, page by page; live events go on meanwhile."""
        self._snapshot_generation += 1
        self._loading = True
        self._received = 0
        self.queue_screen.show_loading(0)
        # From here on a live event may be newer than the page that carries
        # its conversation; the queue's version rule keeps the newer.
        self.queue.begin_reload()
        self._fetch_snapshot(self._snapshot_generation)

    @work(exclusive=True, group="snapshot", exit_on_error=False)
    async def _fetch_snapshot(self, generation: int) -> None:
        self.post_message(OperatorsLoaded(await self.client.operators()))
        self.post_message(AIStateLoaded(await self.client.ai_state()))
        # Page by page rather than all at once: the first page (the longest
        # waiting, the top of the list) is drawn while the rest is on the wire.
        cursor: str | None = None
        limit = FIRST_PAGE
        while True:
            page = await self.client.list_conversations(limit=limit, cursor=cursor)
            last = page.next_cursor is None
            # The first page is drawn before the next is parsed: parsing a
            # page holds the loop ~10 ms, and the frame needs a few turns of it.
            drawn = asyncio.Event() if cursor is None else None
            self.post_message(
                QueuePageLoaded(page.items, generation=generation, last=last, drawn=drawn)
            )
            if page.next_cursor is None:
                return
            if drawn is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(drawn.wait(), FIRST_FRAME_WAIT)
            cursor, limit = page.next_cursor, PAGE

    @work(exclusive=True, group="ai", exit_on_error=False)
    async def set_ai_paused(self, paused: bool) -> None:
        """Pause or resume all AI sending (the backend lets only supervisors)."""
        state = await (self.client.pause_ai() if paused else self.client.resume_ai())
        self.post_message(AIStateLoaded(state))
        self.notify("AI paused: nothing the AI writes goes out." if paused else "AI resumed.")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Turn a failed worker into something a person sees."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group == "events":
            self._show_connection(ConnectionState.OFFLINE)  # it gave up: say so
        if event.worker.group == "snapshot" and not self._snapshot_running():
            # Keep what was loaded; the next reconnect loads it all again.
            self._loading = False
            self.queue.abandon_reload()
            self.queue_screen.show_loading(None)
        if isinstance(error, UnauthorizedError):
            self.notify(
                f"The token was refused by {self.config.url}: {error}. Check --token / HITL_TOKEN.",
                title="Not signed in",
                severity="error",
                timeout=30,
                markup=False,
            )
        elif isinstance(error, ConnectionLostError):
            self._show_connection(ConnectionState.OFFLINE)
            self.notify(str(error), title="Backend unreachable", severity="error", markup=False)
        elif isinstance(error, ForbiddenError):
            self.notify(str(error), title="Not allowed", severity="error", markup=False)
        elif isinstance(error, BackendError):
            self.notify(str(error), title="Backend error", severity="error", markup=False)
        else:
            self.notify(
                f"{type(error).__name__}: {error}",
                title=f"{event.worker.name} failed",
                severity="error",
                timeout=30,
                markup=False,
            )

    # -- results coming back -----------------------------------------------

    def on_operators_loaded(self, message: OperatorsLoaded) -> None:
        """Learn everyone's name; the queue and any open conversation show them."""
        self.operator_names = {op.id: op.name for op in message.operators}
        self.queue_screen.show_operator_names(self.operator_names)
        from console.screens.conversation import ConversationScreen

        for screen in self.screen_stack:
            if isinstance(screen, ConversationScreen):
                screen.names_changed()

    def operator_name(self, operator_id: str | None) -> str | None:
        """An operator's name, if the directory has it.

        An id it does not have (an operator added since it was loaded) makes
        the app load the directory again, once per id; whoever asked is told
        through `on_operators_loaded`.
        """
        if not operator_id:
            return None
        name = self.operator_names.get(operator_id)
        if name is None and operator_id not in self._directory_asked:
            self._directory_asked.add(operator_id)
            self._fetch_operators()
        return name

    @work(exclusive=True, group="operators", exit_on_error=False)
    async def _fetch_operators(self) -> None:
        self.post_message(OperatorsLoaded(await self.client.operators()))

    def on_operator_loaded(self, message: OperatorLoaded) -> None:
        """Show who is signed in; the Mine filter now knows whose rows are mine."""
        self.me = message.operator
        self.queue_screen.show_operator(message.operator)

    @on(AIStateLoaded)
    def show_loaded_ai_state(self, message: AIStateLoaded) -> None:
        """Show whether the AI may send."""
        self._show_ai_state(message.state)

    def on_queue_page_loaded(self, message: QueuePageLoaded) -> None:
        """Fold a page of the snapshot into the queue and draw it.

        After the last page, the rows the snapshot did not have leave the queue.
        """
        if message.generation != self._snapshot_generation:
            return  # a replaced request's page: the current one covers it
        queue = self.queue
        # Only a reload notifies, and only for rows that became escalated.
        before = (
            {
                summary.id: queue.get(summary.id)
                for summary in message.items
                if summary.status is ConversationStatus.ESCALATED
            }
            if self._loaded_once
            else {}
        )
        changed = queue.add_page(message.items)
        for conversation_id, row in before.items():
            if conversation_id in changed:
                self._notify_if_escalated(row, queue.get(conversation_id))
        self._received += len(message.items)
        if message.last:
            changed |= queue.end_reload()
            self._loading = False
            self._loaded_once = True
        # Take everything alive now (the rows, the widgets) out of the
        # collector's sight: at 100,000 rows each full collection walked them
        # all, a pause of hundreds of ms at a random key press or event. Rows
        # are tuples without cycles, freed by reference counting when they
        # are replaced, so none of them needs the collector to die; only
        # cyclic garbage that exists at this moment is kept for good. After
        # every page, so the collections between pages walk only that page.
        gc.freeze()
        self.queue_screen.show_loading(None if message.last else self._received)
        # A page is a batch already: drawn in the next frame, not coalesced.
        self.queue_screen.queue_changed(changed, now=True)
        if message.drawn is not None:
            self.call_after_refresh(message.drawn.set)

    def on_event_received(self, message: EventReceived) -> None:
        """Apply one live event and tell whoever shows it."""
        event = message.event
        if event.type is EventType.RESET:
            self.load_snapshot()
            return
        if event.type in (EventType.AI_PAUSED, EventType.AI_RESUMED):
            self._show_ai_state(AIState.model_validate(event.data))
        cid = event.conversation_id
        before = self.queue.get(cid) if cid is not None else None
        changed = self.queue.apply(event)
        if changed:
            for changed_id in changed:
                row = self.queue.get(changed_id)
                self._notify_if_escalated(before, row)
                if row is not None and row.holder is not None:
                    self.operator_name(row.holder)  # someone new: load the directory again
            self.queue_screen.queue_changed(changed)
        self._forward_to_conversation(event)
        if event.type is EventType.AUDIT_APPENDED:
            self._forward_to_audit_log(event)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        """Show the stream's state; after a gap, reload what may have been missed."""
        previous = self.connection
        if message.state is previous:
            return
        self._show_connection(message.state)
        if message.state is ConnectionState.LIVE:
            if previous is not None:
                self.notify("Connection to the backend is back.")
            # Events between the last snapshot and this connection were not seen.
            self.load_snapshot()
        elif previous is ConnectionState.LIVE:
            self.notify(
                "Connection to the backend lost; reconnecting…",
                severity="warning",
                markup=False,
            )

    # -- what screens call ---------------------------------------------------

    def open_conversation(self, conversation_id: str) -> None:
        """Show one conversation on top of the queue."""
        from console.screens.conversation import ConversationScreen

        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ConversationScreen(conversation_id))

    def open_next_draft(self, exclude: str | None = None) -> bool:
        """Open the conversation whose draft has waited longest (not `exclude`)."""
        for index in range(min(2, self.queue.len_of(QueueFilter.REVIEW))):
            summary = self.queue.row_at(index, QueueFilter.REVIEW)
            if summary.id != exclude:
                self.open_conversation(summary.id)
                return True
        self.notify("No drafts waiting.")
        return False

    def show_filter(self, queue_filter: QueueFilter) -> None:
        """Go back to the queue and show `queue_filter`."""
        while self.screen is not self.queue_screen and len(self.screen_stack) > 1:
            self.pop_screen()
        self.queue_screen.show_filter(queue_filter)

    @property
    def loading(self) -> bool:
        """True while a snapshot of the queue is on its way (some pages may be in)."""
        return self._loading

    @property
    def is_supervisor(self) -> bool:
        """True if the operator may pause the AI (unknown counts as may: the backend decides)."""
        return self.me is None or self.me.role in (Role.SUPERVISOR, Role.ADMIN)

    # -- actions -----------------------------------------------------------

    def action_help(self) -> None:
        """Show every key of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_next_draft(self) -> None:
        """Open the draft that has waited longest."""
        current = getattr(self.screen, "conversation_id", None)
        self.open_next_draft(exclude=current if isinstance(current, str) else None)

    def action_pause_ai(self) -> None:
        """Stop all AI sending (supervisor)."""
        self.set_ai_paused(True)

    def action_resume_ai(self) -> None:
        """Let the AI send again (supervisor)."""
        self.set_ai_paused(False)

    async def action_open_audit_log(self) -> None:
        """Show the override log (the backend refuses it to agents and trainers).

        One screen for the session: left with escape, it is kept as it was
        (filters, position, an export in progress) and brought up to date
        when it is shown again. Opening it again is then a screen switch
        (~40 ms at 1M entries), not composing ~40 widgets (~95 ms).
        """
        from console.screens.audit_log import AuditLogScreen

        if isinstance(self.screen, AuditLogScreen):
            return
        if not self.is_screen_installed(AUDIT_LOG):
            self.install_screen(AuditLogScreen(), AUDIT_LOG)
        else:
            screen = self.get_screen(AUDIT_LOG)
            assert isinstance(screen, AuditLogScreen)
            screen.refresh_view()
            # Let the fetch's worker send its request before the screen switch
            # takes the loop (~15 ms): the backend answers while it is drawn.
            await asyncio.sleep(0)
        self.push_screen(AUDIT_LOG)

    def action_open_replay(self) -> None:
        """Show replay."""
        from console.screens.replay import ReplayScreen

        if not isinstance(self.screen, ReplayScreen):
            self.push_screen(ReplayScreen())

    def action_open_metrics(self) -> None:
        """Show the metrics (the backend refuses them to agents and trainers)."""
        from console.screens.metrics import MetricsScreen

        if not isinstance(self.screen, MetricsScreen):
            self.push_screen(MetricsScreen())

    # -- timers ------------------------------------------------------------

    def check_sla(self) -> None:
        """Warn once per draft that has waited longer than `sla_seconds`.

        Drafts that cross the line in the same second share one notification,
        so a console opened on an old queue does not bury the screen in toasts.
        """
        now = datetime.now(UTC).timestamp()
        limit = self.config.sla_seconds
        late: list[QueueRow] = []
        for summary in self.queue.rows(QueueFilter.REVIEW):
            if summary.waiting_since is None:
                continue
            if now - summary.waiting_since < limit:
                break  # longest waiting first: the rest waited less
            key = summary.draft_id or summary.id
            if key not in self._sla_warned:
                self._sla_warned.add(key)
                late.append(summary)
        if not late:
            return
        names = [summary.name for summary in late]  # sanitised in the row
        if len(late) == 1:
            message = f"{names[0]} has waited over {format_waiting(limit)} for a reviewed reply."
        else:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            message = f"{len(late)} drafts have waited over {format_waiting(limit)}: {shown}."
        self.notify(message, title="Draft waiting", severity="warning", markup=False)

    # -- helpers -----------------------------------------------------------

    def _notify_if_escalated(self, before: QueueRow | None, after: QueueRow | None) -> None:
        if after is None or after.status is not ConversationStatus.ESCALATED:
            return
        if before is not None and before.status is ConversationStatus.ESCALATED:
            return
        reason = (after.escalation_reason or "needs a person").replace("_", " ")
        self.notify(
            f"{after.name} — {reason}",  # sanitised in the row
            title="Escalated",
            severity="warning",
            timeout=10,
            markup=False,
        )

    def _snapshot_running(self) -> bool:
        return any(worker.group == "snapshot" and not worker.is_finished for worker in self.workers)

    def _show_connection(self, state: ConnectionState) -> None:
        self.connection = state
        self.queue_screen.show_connection(state)

    def _show_ai_state(self, state: AIState) -> None:
        self.ai_state = state
        self.queue_screen.show_ai_state(state)

    def _forward_to_audit_log(self, event: Event) -> None:
        from console.screens.audit_log import AuditLogScreen

        # The chain's state is re-verified only while someone looks at it.
        if isinstance(self.screen, AuditLogScreen):
            self.screen.backend_event(event)

    def _forward_to_conversation(self, event: Event) -> None:
        if event.conversation_id is None:
            return
        try:
            from console.screens.conversation import ConversationScreen
        except ImportError:
            return  # the conversation screen is not there yet
        for screen in self.screen_stack:
            if (
                isinstance(screen, ConversationScreen)
                and screen.conversation_id == event.conversation_id
            ):
                screen.backend_event(event)


def make_app(
    config: ConsoleConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> HitlApp:
    """The console for `config`; `transport` lets tests talk to a backend in-process."""
    client = AsyncBackendClient(config.url, config.require_token(), transport=transport)
    return HitlApp(config, client)
