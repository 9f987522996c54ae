"""The console app: wires the backend client, the live queue and the screens.

All I/O runs in workers that post past-tense messages (`console.messages`);
the handlers here hand them to the live model (`console.live`) and call the
screens' methods with what changed. Screens reach the app only through
`console.host.ConsoleHost`.
"""

from __future__ import annotations

import httpx
from textual import on
from textual.worker import Worker, WorkerState

from backend_client import (
    AIState,
    AsyncBackendClient,
    ConnectionLostError,
    ConnectionState,
    EventType,
    UnauthorizedError,
)
from console.config import ConsoleConfig
from console.failures import failure_notice
from console.host import Clock, utc_now
from console.keymap import apply_keymap, apply_theme, config_notice
from console.live.alerts import SlaWatch
from console.live.directory import OperatorDirectory
from console.live.feed import QueueFeed
from console.live.link import LiveLink
from console.live.queue_state import QueueState
from console.messages import (
    AIStateLoaded,
    ConnectionChanged,
    EventReceived,
    OperatorLoaded,
    OperatorsLoaded,
    QueuePageLoaded,
)
from console.screens.queue import QueueScreen
from console.shell import ConsoleShell

__all__ = ["HitlApp", "make_app"]

SLA_CHECK_SECONDS = 1.0
"""How often drafts are checked against `sla_seconds`."""


class HitlApp(ConsoleShell):
    """The hitl console: the live queue, conversations, and the AI's stop button."""

    def __init__(
        self, config: ConsoleConfig, client: AsyncBackendClient, *, clock: Clock = utc_now
    ) -> None:
        """An app for `config` that talks to the backend through `client`; `clock` says when."""
        super().__init__()
        self.clock = clock
        """Now, for waiting times and the SLA (tests fix it)."""
        self.config = config
        self.client = client
        self._bad_theme = None if apply_theme(self, config.theme) else config.theme
        self.queue = QueueState()
        """Every open conversation, kept current by the live stream."""
        self.feed = QueueFeed(self.queue)
        """Applies snapshot pages and events to the queue; knows the snapshot's progress."""
        self.directory = OperatorDirectory()
        self.operator_names = self.directory.names
        """Operator id → name, from the backend's directory."""
        self.queue_screen = QueueScreen()
        """The home screen, always at the bottom of the stack."""
        self.link = LiveLink(self, client)
        """Starts the workers that talk to the backend."""
        self._sla = SlaWatch(config.sla_seconds)

    @property
    def loading(self) -> bool:
        """True while a snapshot of the queue is on its way (some pages may be in)."""
        return self.feed.loading

    def on_mount(self) -> None:
        """Follow the live stream; the snapshot loads once it is live, so nothing falls between."""
        self.link.follow_events()
        self.link.load_operator()
        self.set_interval(SLA_CHECK_SECONDS, self.check_sla)
        config_notice(self, self._bad_theme, apply_keymap(self, self.config.keymap))

    async def on_unmount(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()

    def load_snapshot(self) -> None:
        """(Re)load the AI state and the whole queue, page by page; live events go on meanwhile."""
        generation = self.feed.begin_snapshot()
        self.queue_screen.show_loading(0)
        self.link.load_snapshot(generation)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Turn a failed worker into something a person sees."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, UnauthorizedError):
            self.show_refused(str(error))
            return
        if event.worker.group == "events" or isinstance(error, ConnectionLostError):
            self.show_connection(ConnectionState.OFFLINE)  # it gave up: say so
        snapshot_running = any(w.group == "snapshot" and not w.is_finished for w in self.workers)
        if event.worker.group == "snapshot" and not snapshot_running:
            self.feed.abandon_snapshot()
            self.queue_screen.show_loading(None)
        failure_notice(error, self.config.url, event.worker.name).show(self)

    # -- results coming back -----------------------------------------------

    def on_operators_loaded(self, message: OperatorsLoaded) -> None:
        """Learn everyone's name; the queue and any open conversation show them."""
        self.directory.load(message.operators)
        self.queue_screen.show_operator_names(self.directory.names)
        self.names_changed()

    def operator_name(self, operator_id: str | None) -> str | None:
        """An operator's name if the directory has it; an unknown id reloads it, once per id."""
        name, reload = self.directory.lookup(operator_id)
        if reload:
            self.link.load_directory()
        return name

    def on_operator_loaded(self, message: OperatorLoaded) -> None:
        """Show who is signed in; the Mine filter now knows whose rows are mine."""
        self.me = message.operator
        self.queue_screen.show_operator(message.operator)
        if self.screen_stack:  # a late answer while the app shuts down has no footer left
            self.refresh_bindings()  # the footer now offers only what this role may do

    @on(AIStateLoaded)
    def show_loaded_ai_state(self, message: AIStateLoaded) -> None:
        """Show whether the AI may send."""
        self.show_ai_state(message.state)

    def on_queue_page_loaded(self, message: QueuePageLoaded) -> None:
        """Fold a page of the snapshot into the queue and draw it in the next frame."""
        result = self.feed.add_page(message.items, message.generation, message.last)
        if result is None:
            return  # a replaced request's page: the current one covers it
        changed, notices = result
        for conversation_id, notice in notices:
            self._notify_escalated(notice, conversation_id)
        self.queue_screen.show_loading(None if message.last else self.feed.received)
        self.queue_screen.queue_changed(changed, now=True)  # a page is a batch already
        if message.drawn is not None:
            self.call_after_refresh(message.drawn.set)

    def on_event_received(self, message: EventReceived) -> None:
        """Apply one live event and tell whoever shows it."""
        event = message.event
        if event.type is EventType.RESET:
            self.load_snapshot()
            return
        if event.type in (EventType.AI_PAUSED, EventType.AI_RESUMED):
            self.show_ai_state(AIState.model_validate(event.data))
        changed, notices, holders = self.feed.apply(event)
        for conversation_id, notice in notices:
            self._notify_escalated(notice, conversation_id)
        for holder in holders:
            self.operator_name(holder)  # someone new: load the directory again
        if changed:
            self.queue_screen.queue_changed(changed)
        self.forward_to_screens(event)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        """Show the stream's state; after a gap, reload what may have been missed."""
        previous = self.connection
        if message.state is previous:
            return
        self.show_connection(message.state)
        if message.state is ConnectionState.LIVE:
            if previous is not None:
                self.notify("Connection to the backend is back.")
            # Who we are may not have been learned (the backend was down at
            # start) or may have changed: ask again on every (re)connection.
            self.link.load_operator()
            self.load_snapshot()  # events between the last snapshot and now were not seen
        elif previous is ConnectionState.LIVE:
            lost = "Connection to the backend lost; reconnecting…"
            self.notify(lost, severity="warning", markup=False)


def make_app(
    config: ConsoleConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utc_now,
) -> HitlApp:
    """The console for `config`; tests pass a `transport` (in-process) and a fixed `clock`."""
    client = AsyncBackendClient(config.url, config.require_token(), transport=transport)
    return HitlApp(config, client, clock=clock)
