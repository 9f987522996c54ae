"""What the override log's workers report back to its screen."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.message import Message

from backend_client import AuditEntry, Page, VerifyResult

__all__ = [
    "AuditPageLoaded",
    "AuditPageRefilled",
    "AuditRefused",
    "ChainVerified",
    "ExportFinished",
    "ExportProgressed",
]


class AuditPageLoaded(Message):
    """A page of the override log arrived (`first`: it replaces what was shown)."""

    def __init__(
        self,
        generation: int,
        page: Page[AuditEntry],
        first: bool,
        drawn: asyncio.Event,
        cursor: str | None = None,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.first = first
        self.drawn = drawn
        """Set once the frame after the page was handled is written."""
        self.cursor = cursor
        """The API cursor the page was fetched with (None: the first page)."""


class AuditPageRefilled(Message):
    """A dropped page of the override log came back (fetched with its own cursor again)."""

    def __init__(self, generation: int, number: int, items: list[AuditEntry]) -> None:
        super().__init__()
        self.generation = generation
        self.number = number
        self.items = items


class AuditRefused(Message):
    """The backend will not show this operator the override log."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ChainVerified(Message):
    """The server checked the journal's hash chain."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__()
        self.result = result


class ExportProgressed(Message):
    """Another page of the export was written."""

    def __init__(self, entries: int, pages: int) -> None:
        super().__init__()
        self.entries = entries
        self.pages = pages


class ExportFinished(Message):
    """The export is complete (a failed one is reported by the worker's failure)."""

    def __init__(self, path: Path, entries: int) -> None:
        super().__init__()
        self.path = path
        self.entries = entries
