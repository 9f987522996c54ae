"""What every bot is: given the conversation so far, write a draft."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from backend_client import Author, BotIdentity, Flag, Source


@dataclass(frozen=True)
class Turn:
    """One delivered message, as a bot sees the conversation."""

    author: Author
    text: str


@dataclass(frozen=True)
class BotReply:
    """A draft as the bot wrote it, with why."""

    text: str
    confidence: float
    """0..1: how sure the bot is that this answers the customer."""
    rationale: str
    """One line: why this answer."""
    sources: list[Source] = field(default_factory=list)
    flags: set[Flag] = field(default_factory=set)


class Bot(Protocol):
    """Anything that drafts replies."""

    identity: BotIdentity

    async def draft(self, history: Sequence[Turn], instruction: str | None = None) -> BotReply:
        """Draft the next reply to the customer's last message.

        `instruction` is an operator's guidance when a draft is regenerated.
        """
        ...
