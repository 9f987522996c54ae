"""The console's shell: its screens, its own keys and palette, and where each goes.

`HitlApp` (console.app) builds on it with the live wiring: the shell knows
which screen shows what, the app knows what is true.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from functools import cached_property
from pathlib import PurePath
from typing import ClassVar

from textual.app import App
from textual.binding import BindingType
from textual.screen import ModalScreen
from textual.signal import Signal

from backend_client import AIState, ConnectionState, Event, EventType, Operator, Role
from console.commands import ConsoleCommands, app_commands
from console.config import ConsoleConfig
from console.host import Clock
from console.keys import APP_BINDINGS
from console.live.alert_log import Alert, AlertKind, AlertLog, alert_for
from console.live.alerts import SlaWatch
from console.live.assignments import AssignmentWatch
from console.live.link import LiveLink
from console.live.queue_state import QueueFilter, QueueState
from console.roles import role_may
from console.screens.alerts import AlertsScreen
from console.screens.audit_log import AuditLogScreen
from console.screens.conversation import ConversationScreen
from console.screens.help import HelpScreen
from console.screens.metrics import MetricsScreen
from console.screens.queue import QueueScreen
from console.screens.refused import TokenRefusedScreen
from console.screens.replay import ReplayScreen
from console.screens.saved_replies import insert_saved_reply
from console.widgets.alert_line import AlertLine

__all__ = ["AUDIT_LOG", "ConsoleShell"]

AUDIT_LOG = "audit-log"
"""The name the override log's screen is installed under (one for the session)."""


class ConsoleShell(App[None]):
    """The app's screens, its keys, and the moves between screens.

    The app provides who is signed in, the queue (for "next draft"), the home
    screen and its line to the backend (for the AI's stop button).
    """

    TITLE = "hitl"
    # The screens' stylesheets too, read once at start: a screen's own CSS_PATH
    # is read when it is first shown, and Textual then restyles every node.
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        "app.tcss",
        "screens/conversation.tcss",
        "screens/supervision.tcss",
    ]
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    me: Operator | None = None
    """Who is at the console (None until the backend said)."""
    ai_state: AIState | None = None
    """Whether AI sending is paused (None until the backend said)."""
    connection: ConnectionState | None = None
    """The live stream's state (None before its first report)."""
    queue: QueueState
    queue_screen: QueueScreen
    clock: Clock
    _sla: SlaWatch
    config: ConsoleConfig
    link: LiveLink

    def __init__(self) -> None:
        """No alerts yet."""
        super().__init__()
        self.alert_log = AlertLog()
        """What the console warned about this session (f9 lists it)."""
        self.assignments = AssignmentWatch()
        """Who conversations are assigned to: a new one for me is an alert."""

    def get_default_screen(self) -> QueueScreen:
        """The queue is home."""
        return self.queue_screen

    @property
    def is_supervisor(self) -> bool:
        """True if the operator may pause the AI (unknown counts as may: the backend decides)."""
        return self.me is None or self.me.role in (Role.SUPERVISOR, Role.ADMIN)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The app's keys this role may not use are not offered (footer, `?`, palette).

        `q` quits from every screen but a dialog, where it may be a letter
        being typed or a slip of the finger with a decision half made.
        """
        if action == "quit" and isinstance(self.screen, ModalScreen):
            return False
        return role_may(self.me, action)

    # -- what screens call ---------------------------------------------------

    def open_conversation(self, conversation_id: str) -> None:
        """Show one conversation on top of the queue."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(ConversationScreen(conversation_id))

    def open_next_draft(self, exclude: str | None = None) -> bool:
        """Open the conversation whose draft has waited longest (not `exclude`)."""
        for index in range(min(2, self.queue.len_of(QueueFilter.REVIEW))):
            row = self.queue.row_at(index, QueueFilter.REVIEW)
            if row.id != exclude:
                self.open_conversation(row.id)
                return True
        self.notify("No drafts waiting.")
        return False

    def show_filter(self, queue_filter: QueueFilter) -> None:
        """Go back to the queue and show `queue_filter`."""
        while self.screen is not self.queue_screen and len(self.screen_stack) > 1:
            self.pop_screen()
        self.queue_screen.show_filter(queue_filter)

    # -- warnings --------------------------------------------------

    def check_sla(self) -> None:
        """Warn once per draft that waited past `sla_seconds`; drafts late together share one."""
        now = self.clock().timestamp()
        late = self._sla.newly_late(self.queue.view(QueueFilter.REVIEW), now)
        if late:
            message = self._sla.message(late)
            self.raise_alert(AlertKind.SLA, "Draft waiting", message, late[0].id)

    def _notify_escalated(self, notice: str, conversation_id: str) -> None:
        self.raise_alert(AlertKind.ESCALATED, "Escalated", notice, conversation_id)

    # -- alerts --------------------------------------------------------------

    def raise_alert(
        self, kind: AlertKind, title: str, text: str, conversation_id: str | None = None
    ) -> None:
        """Keep an alert this role can act on, count it, and show it on the alert line.

        Never a pile of toasts: the line shows one (the newest) in its own row,
        and not at all while a dialog is up (the count in the header still grows).
        """
        if not alert_for(self.me, kind):
            return
        log = self.alert_log
        log.add(Alert(self.clock(), kind, title, text, conversation_id))
        self.queue_screen.show_alerts(log.unseen)
        if not self.screen_stack or isinstance(self.screen, ModalScreen):
            return  # shutting down (no screen), or a dialog is up
        for line in self.screen.query(AlertLine):
            line.show(title, text, log.unseen, conversation_id)

    def action_saved_replies(self) -> None:
        """Insert a saved reply where the person is writing (also inside the draft editor)."""
        insert_saved_reply(self)

    def action_open_alerts(self) -> None:
        """List the alerts; enter on one opens its conversation."""
        if isinstance(self.screen, AlertsScreen):
            return
        alerts = self.alert_log.newest_first()
        self.alert_log.seen()
        self.queue_screen.show_alerts(0)

        def chosen(conversation_id: str | None) -> None:
            if conversation_id is not None:
                self.open_conversation(conversation_id)

        self.push_screen(AlertsScreen(alerts), chosen)

    # -- actions -----------------------------------------------------------

    def action_help(self) -> None:
        """Show every key of the current screen."""
        if not isinstance(self.screen, HelpScreen):
            palette = [(name, text) for name, text, _ in app_commands(self)]
            self.push_screen(HelpScreen(self.screen, palette, self.about()))

    def about(self) -> str:
        """The backend's URL, who is signed in, the demo's words; and where alerts are."""
        who = f" as {self.me.name} ({self.me.role.value})" if self.me is not None else ""
        lines = [f"Connected to {self.config.url}{who}."]
        if self.config.about:
            lines.append(self.config.about)
        return "\n".join(lines)

    @property
    def backend_url(self) -> str:
        """The backend this console talks to."""
        return self.config.url

    @property
    def chat_url(self) -> str | None:
        """The demo's customer chat page (None outside the demo)."""
        return self.config.chat_url

    def show_refused(self, reason: str) -> None:
        """The token was refused: a whole screen says so; retry starts over."""
        if any(isinstance(screen, TokenRefusedScreen) for screen in self.screen_stack):
            return

        def retried(_: bool | None) -> None:
            self.link.follow_events()
            self.link.load_operator()

        self.push_screen(TokenRefusedScreen(self.config.url, reason), retried)

    def action_next_draft(self) -> None:
        """Open the draft that has waited longest."""
        current = getattr(self.screen, "conversation_id", None)
        self.open_next_draft(exclude=current if isinstance(current, str) else None)

    def action_pause_ai(self) -> None:
        """Stop all AI sending (supervisor)."""
        self.link.set_ai_paused(True)

    def action_resume_ai(self) -> None:
        """Let the AI send again (supervisor)."""
        self.link.set_ai_paused(False)

    async def action_open_audit_log(self) -> None:
        """Show the override log, one screen for the session (the backend refuses agents).

        Left with escape, it is kept as it was (filters, position, an export in
        progress) and brought up to date when shown again: a screen switch,
        not composing ~40 widgets.
        """
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
        if not isinstance(self.screen, ReplayScreen):
            self.push_screen(ReplayScreen())

    def action_open_metrics(self) -> None:
        """Show the metrics (the backend refuses them to agents and trainers)."""
        if not isinstance(self.screen, MetricsScreen):
            self.push_screen(MetricsScreen())

    def forward_to_screens(self, event: Event) -> None:
        """Hand an event to the screens that show what it is about."""
        if (assigned := self.assignments.newly_mine(event, self.me)) is not None:
            self.raise_alert(AlertKind.ASSIGNED, "Assigned to you", assigned[1], assigned[0])
        stack = self.screen_stack  # empty while the app shuts down
        if event.type is EventType.AUDIT_APPENDED and stack:
            top = stack[-1]
            if isinstance(top, AuditLogScreen):
                top.backend_event(event)  # the chain is re-verified only while shown
        if event.conversation_id is None:
            return
        for screen in stack:
            if isinstance(screen, ConversationScreen):
                if screen.conversation_id == event.conversation_id:
                    screen.backend_event(event)
                    screen.workday_event(event)

    def names_changed(self) -> None:
        """The operator directory was loaded again: open conversations show the new names."""
        for screen in self.screen_stack:
            if isinstance(screen, ConversationScreen):
                screen.names_changed()

    @contextlib.contextmanager
    def result_awaited(self) -> Iterator[None]:
        """Someone waits for what comes next (an opt-in collector holds off meanwhile)."""
        yield

    def show_connection(self, state: ConnectionState) -> None:
        """The live stream's state changed: keep it, and show it in the header."""
        self.connection = state
        self.queue_screen.show_connection(state)

    def show_ai_state(self, state: AIState) -> None:
        """The AI's state changed: keep it, and show it in the header and every banner."""
        self.ai_state = state
        self.queue_screen.show_ai_state(state)
        self.ai_state_signal.publish(state)
        feed = getattr(self, "feed", None)  # the app's (console.app); the shell has none
        if feed is not None:
            feed.complaint_minutes = state.complaint_reply_minutes

    @cached_property
    def ai_state_signal(self) -> Signal[AIState]:
        """Tells every screen's paused banner of each change of the AI's state."""
        return Signal(self, "ai-state")
