"""The console's line to the backend: the event stream, the snapshot, who is who.

Each call starts a worker on the app (the only place that awaits the
network); results come back to the app as past-tense messages
(`console.messages`). Exclusive per group: a newer request replaces one still
running.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from textual.app import App

from backend_client import AsyncBackendClient, ConnectionState
from console.live.feed import fetch_snapshot
from console.messages import (
    AIStateLoaded,
    ConnectionChanged,
    EventReceived,
    OperatorLoaded,
    OperatorsLoaded,
)

__all__ = ["LiveLink"]


class LiveLink:
    """Starts the app's workers; each posts what it learned to the app."""

    def __init__(self, app: App[Any], client: AsyncBackendClient) -> None:
        self._app = app
        self._client = client

    def _run(self, work: Coroutine[Any, Any, None], group: str) -> None:
        self._app.run_worker(work, name=group, group=group, exclusive=True, exit_on_error=False)

    def follow_events(self) -> None:
        """Post every live event; the client reconnects and reports its state."""
        self._run(self._follow(), "events")

    async def _follow(self) -> None:
        def report(state: ConnectionState) -> None:
            self._app.post_message(ConnectionChanged(state))

        async for event in self._client.events(on_state=report):
            self._app.post_message(EventReceived(event))

    def load_operator(self) -> None:
        """Learn who the token belongs to."""
        self._run(self._operator(), "operator")

    async def _operator(self) -> None:
        self._app.post_message(OperatorLoaded(await self._client.me()))

    def load_directory(self) -> None:
        """Load the operator directory (again)."""
        self._run(self._directory(), "operators")

    async def _directory(self) -> None:
        self._app.post_message(OperatorsLoaded(await self._client.operators()))

    def load_snapshot(self, generation: int) -> None:
        """Load the directory, the AI's state and the queue, page by page."""
        self._run(fetch_snapshot(self._client, generation, self._app.post_message), "snapshot")

    def set_ai_paused(self, paused: bool) -> None:
        """Pause or resume all AI sending (the backend lets only supervisors)."""
        self._run(self._set_ai_paused(paused), "ai")

    async def _set_ai_paused(self, paused: bool) -> None:
        client = self._client
        state = await (client.pause_ai() if paused else client.resume_ai())
        self._app.post_message(AIStateLoaded(state))
        self._app.notify("AI paused: nothing the AI writes goes out." if paused else "AI resumed.")
