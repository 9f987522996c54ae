"""What screens may ask of the app: a Protocol, so no screen imports the app module.

The app implements it (`console.app.HitlApp`); screens reach it as
`host(self.app)`. Data flows down through these methods and properties;
what a screen learns goes up as messages or through its own workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Protocol, cast

from textual.app import App

from backend_client import AIState, AsyncBackendClient, ConnectionState, Operator
from console.live.alert_log import AlertKind
from console.live.queue_state import QueueFilter, QueueState

__all__ = ["Clock", "ConsoleHost", "host", "utc_now"]

Clock = Callable[[], datetime]
"""Says what time it is (aware, UTC)."""


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class ConsoleHost(Protocol):
    """The app as its screens see it: the client, who is signed in, the queue, navigation."""

    @property
    def client(self) -> AsyncBackendClient:
        """The one client every worker talks to the backend through."""

    @property
    def clock(self) -> Clock:
        """Now, for waiting times and countdowns (tests fix it)."""

    @property
    def me(self) -> Operator | None:
        """Who is at the console (None until the backend said)."""

    @property
    def queue(self) -> QueueState:
        """Every open conversation, kept current by the live stream."""

    @property
    def ai_state(self) -> AIState | None:
        """Whether AI sending is paused (None until the backend said)."""

    @property
    def connection(self) -> ConnectionState | None:
        """The live stream's state (None before its first report)."""

    @property
    def loading(self) -> bool:
        """True while a snapshot of the queue is on its way."""

    @property
    def operator_names(self) -> Mapping[str, str]:
        """Operator id → name, from the backend's directory."""

    @property
    def backend_url(self) -> str:
        """The backend this console talks to (said when it cannot be reached)."""

    @property
    def chat_url(self) -> str | None:
        """The demo's customer chat page (None outside the demo)."""

    @property
    def is_supervisor(self) -> bool:
        """True if the operator may pause the AI (unknown counts as may: the backend decides)."""

    def operator_name(self, operator_id: str | None) -> str | None:
        """An operator's name if the directory has it (an unknown id reloads the directory)."""

    def open_conversation(self, conversation_id: str) -> None:
        """Show one conversation on top of the queue."""

    def open_next_draft(self, exclude: str | None = None) -> bool:
        """Open the conversation whose draft has waited longest (not `exclude`)."""

    def show_filter(self, queue_filter: QueueFilter) -> None:
        """Go back to the queue and show `queue_filter`."""

    def raise_alert(
        self, kind: AlertKind, title: str, text: str, conversation_id: str | None = None
    ) -> None:
        """Keep an alert this role can act on, count it in the header, show it on one line."""

    def result_awaited(self) -> AbstractContextManager[None]:
        """Meanwhile, someone waits for the result of what they asked (a page, a filter)."""


def host(app: App[object]) -> ConsoleHost:
    """`app` as the console's host (the console only ever runs inside `HitlApp`)."""
    return cast(ConsoleHost, app)
