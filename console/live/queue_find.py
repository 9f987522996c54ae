"""The queue narrowed to what a find matched: the live rows whose ids the backend returned.

The backend decides what a find matches (`GET /v1/conversations?find=`, the
rule in `backend/store/queue_find.py`); the console keeps the matched ids and
shows the live rows among them, so a matched row still moves, changes and
leaves with the stream. `Narrowing` caches each filter's narrowed list until
the queue's `revision` moves, so drawing a frame costs no pass over the queue.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from console.live.queue_rows import ID, Row
from console.live.queue_state import QueueFilter, QueueState

__all__ = ["Narrowing"]


class Narrowing:
    """The rows of a `QueueState` whose ids are in `ids` (all rows when `ids` is None)."""

    def __init__(self, state: QueueState) -> None:
        self._state = state
        self.ids: frozenset[str] | None = None
        """The ids the find matched; None: no find, every row shows."""
        self._cache: dict[tuple[QueueFilter, str | None], list[Row]] = {}
        self._revision = -1

    def narrow(self, ids: frozenset[str] | None) -> None:
        """Show only the rows of `ids` (None: all of them again)."""
        self.ids = ids
        self._cache.clear()

    def view(self, filter: QueueFilter, me: str | None) -> Sequence[Row]:
        """The rows `filter` shows to `me`, longest waiting first, narrowed to `ids`."""
        rows = self._state.view(filter, me)
        ids = self.ids
        if ids is None:
            return rows
        if self._revision != self._state.revision:  # the queue changed since: work it out again
            self._cache.clear()
            self._revision = self._state.revision
        key = (filter, me)
        narrowed = self._cache.get(key)
        if narrowed is None:
            narrowed = [row for row in rows if row[ID] in ids]
            self._cache[key] = narrowed
        return narrowed

    def index_of(self, conversation_id: str, filter: QueueFilter, me: str | None) -> int | None:
        """Where `conversation_id` is among the rows shown, or None."""
        if self.ids is None:
            return self._state.index_of(conversation_id, filter, me)
        if conversation_id not in self.ids or conversation_id not in self._state:
            return None
        at = self._state.index_of(conversation_id)
        if at is None:
            return None
        row = self._state.view()[at]
        rows = self.view(filter, me)
        index = bisect_left(rows, row)  # narrowed lists keep the queue's order
        return index if index < len(rows) and rows[index] is row else None
