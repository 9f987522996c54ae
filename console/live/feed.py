"""The queue kept current: a snapshot paged in, live events applied, and what changed.

`QueueFeed` is a plain object (no screen, no I/O) that the app hands pages
and events to; it answers which rows changed and what to tell the person.
`fetch_snapshot` is the I/O half: it pages the queue in from the backend and
posts each page as a `QueuePageLoaded`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from textual.message import Message

from backend_client import AsyncBackendClient, ConversationStatus, ConversationSummary, Event
from console.live.alerts import escalation_notice
from console.live.queue_state import QueueState
from console.messages import AIStateLoaded, OperatorsLoaded, QueuePageLoaded

__all__ = ["FIRST_FRAME_WAIT", "FIRST_PAGE", "PAGE", "QueueFeed", "fetch_snapshot"]

FIRST_PAGE = 500
"""Conversations in a snapshot's first page: enough to fill any screen, quick to fetch."""
PAGE = 1_000
"""Conversations in each later page (the most the backend sends at once)."""
FIRST_FRAME_WAIT = 1.0
"""The longest the snapshot worker waits for its first page to be drawn (seconds)."""


class QueueFeed:
    """The queue, and where its current snapshot is."""

    def __init__(self, queue: QueueState) -> None:
        self.queue = queue
        """Every open conversation."""
        self.generation = 0
        """Which snapshot request is current: pages of one it replaced are dropped."""
        self.complaint_minutes: int | None = None
        """The complaint SLA the backend tells customers (from the AI's state), for notices."""
        self.loading = False
        """True while a snapshot is on its way (some pages may be in)."""
        self.received = 0
        """Conversations of the current snapshot received so far."""
        self._loaded_once = False

    def begin_snapshot(self) -> int:
        """A snapshot is asked for; returns its generation.

        From here on a live event may be newer than the page that carries its
        conversation; the queue's version rule keeps the newer.
        """
        self.generation += 1
        self.loading = True
        self.received = 0
        self.queue.begin_reload()
        return self.generation

    def abandon_snapshot(self) -> None:
        """The snapshot failed: keep what was loaded (the next reconnect loads it all again)."""
        self.loading = False
        self.queue.abandon_reload()

    def add_page(
        self, items: list[ConversationSummary], generation: int, last: bool
    ) -> tuple[set[str], list[tuple[str, str]]] | None:
        """Fold a page in: the ids that changed and the escalations to announce.

        None for a page of a replaced request. After the last page, the rows
        the snapshot did not have leave the queue. Only a reload announces,
        and only rows that became escalated.
        """
        if generation != self.generation:
            return None
        queue = self.queue
        before = (
            {
                summary.id: queue.get(summary.id)
                for summary in items
                if summary.status is ConversationStatus.ESCALATED
            }
            if self._loaded_once
            else {}
        )
        changed = queue.add_page(items)
        notices = [
            (cid, notice)
            for cid, row in before.items()
            if cid in changed
            and (notice := escalation_notice(row, queue.get(cid), self.complaint_minutes))
            is not None
        ]
        self.received += len(items)
        if last:
            changed |= queue.end_reload()
            self.loading = False
            self._loaded_once = True
        return changed, notices

    def apply(self, event: Event) -> tuple[set[str], list[tuple[str, str]], set[str]]:
        """Apply a live event: the ids that changed, escalations to announce (conversation id,
        notice), holders seen."""
        cid = event.conversation_id
        before = self.queue.get(cid) if cid is not None else None
        changed = self.queue.apply(event)
        notices: list[tuple[str, str]] = []
        holders: set[str] = set()
        for changed_id in changed:
            row = self.queue.get(changed_id)
            notice = escalation_notice(before, row, self.complaint_minutes)
            if notice is not None:
                notices.append((changed_id, notice))
            if row is not None and row.holder is not None:
                holders.add(row.holder)
        return changed, notices, holders


async def fetch_snapshot(
    client: AsyncBackendClient, generation: int, post: Callable[[Message], object]
) -> None:
    """Post the directory, the AI's state, then the queue page by page, longest waiting first.

    Page by page rather than all at once: the first page (the top of the
    list) is drawn while the rest is on the wire.
    """
    post(OperatorsLoaded(await client.operators()))
    post(AIStateLoaded(await client.ai_state()))
    cursor: str | None = None
    limit = FIRST_PAGE
    while True:
        page = await client.list_conversations(limit=limit, cursor=cursor)
        last = page.next_cursor is None
        # The first page is drawn before the next is parsed: parsing a page
        # holds the loop ~10 ms, and the frame needs a few turns of it.
        drawn = asyncio.Event() if cursor is None else None
        post(QueuePageLoaded(page.items, generation=generation, last=last, drawn=drawn))
        if page.next_cursor is None:
            return
        if drawn is not None:
            with contextlib.suppress(TimeoutError):  # (wait_for could swallow a cancel)
                async with asyncio.timeout(FIRST_FRAME_WAIT):
                    await drawn.wait()
        cursor, limit = page.next_cursor, PAGE
