"""Past-tense messages that carry the results of I/O back into the UI.

Workers post them; the app applies them to its state and tells the screens
what changed. Screens may define their own messages next to themselves.
"""

from __future__ import annotations

import asyncio

from textual.message import Message

from backend_client import AIState, ConnectionState, ConversationSummary, Event, Operator

__all__ = [
    "AIStateLoaded",
    "ConnectionChanged",
    "EventReceived",
    "OperatorLoaded",
    "OperatorsLoaded",
    "QueuePageLoaded",
]


class QueuePageLoaded(Message):
    """One page of a queue snapshot arrived (pages come longest waiting first)."""

    def __init__(
        self,
        items: list[ConversationSummary],
        *,
        generation: int,
        last: bool,
        drawn: asyncio.Event | None = None,
    ) -> None:
        super().__init__()
        self.items = items
        self.generation = generation
        """Which snapshot request this page answers: a superseded one's pages are dropped."""
        self.last = last
        """The snapshot's last page: it is complete."""
        self.drawn = drawn
        """Set once the page is on screen (the worker waits for the first page's)."""


class EventReceived(Message):
    """One event arrived on the live stream."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class ConnectionChanged(Message):
    """The live stream went live, started reconnecting, or gave up for now."""

    def __init__(self, state: ConnectionState) -> None:
        super().__init__()
        self.state = state


class AIStateLoaded(Message):
    """The AI's state (paused or running, review mode) arrived."""

    def __init__(self, state: AIState) -> None:
        super().__init__()
        self.state = state


class OperatorsLoaded(Message):
    """The operator directory arrived: names for the ids in holders and messages."""

    def __init__(self, operators: list[Operator]) -> None:
        super().__init__()
        self.operators = operators


class OperatorLoaded(Message):
    """We learned who the token belongs to."""

    def __init__(self, operator: Operator) -> None:
        super().__init__()
        self.operator = operator
