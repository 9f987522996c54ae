"""The console's picture of the queue: a plain object that applies events.

No screen, no I/O: the app loads a snapshot into it, feeds it live events,
and widgets read rows out of it. Every filter keeps its own sorted list of
keys, maintained with `bisect`, so one event costs O(log n) comparisons plus
one list insertion or deletion (a memmove), never a re-sort of the queue;
a virtual list reads row *i* in O(1) without materialising the whole list.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from enum import StrEnum

from backend_client import ConversationStatus, ConversationSummary, Event, EventType

__all__ = ["QueueFilter", "QueueState"]


class QueueFilter(StrEnum):
    """Which conversations a queue view shows (the filter tabs)."""

    ALL = "all"
    """Every open conversation."""
    REVIEW = "review"
    """A draft waits for a human (`awaiting_review`)."""
    ESCALATED = "escalated"
    """Needs a human and nobody holds it."""
    MINE = "mine"
    """Held by the operator looking at the console."""


# Sort key: longest waiting first. Conversations nobody waits on go last;
# ties broken by the oldest update, then by id so keys are unique and the
# order is total (bisect needs that to find a row again).
_SortKey = tuple[int, float, float, str]

_STATUS_FOR_FILTER = {
    QueueFilter.REVIEW: ConversationStatus.AWAITING_REVIEW,
    QueueFilter.ESCALATED: ConversationStatus.ESCALATED,
}

_EMPTY: list[_SortKey] = []


def _sort_key(summary: ConversationSummary) -> _SortKey:
    waiting = summary.waiting_since
    return (
        0 if waiting is not None else 1,
        waiting.timestamp() if waiting is not None else 0.0,
        summary.updated_at.timestamp(),
        summary.id,
    )


class QueueState:
    """Open conversations by id, sorted by waiting time for each filter.

    `closed` conversations leave the queue. Events older than what is held
    (a lower `version`) are ignored, so out-of-order delivery cannot roll a
    row back.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, ConversationSummary] = {}
        self._keys: dict[str, _SortKey] = {}
        self._all: list[_SortKey] = []
        self._by_status: dict[ConversationStatus, list[_SortKey]] = {
            status: [] for status in ConversationStatus
        }
        self._by_holder: dict[str, list[_SortKey]] = {}
        # The last version seen of conversations that closed, so a late,
        # older `updated` event cannot bring a closed one back.
        self._closed_versions: dict[str, int] = {}
        self.needs_reload = False
        """True after a `reset` event: the stream fell too far behind; load a snapshot."""

    # -- reading -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._by_id

    def get(self, conversation_id: str) -> ConversationSummary | None:
        """The summary held for `conversation_id`, or None."""
        return self._by_id.get(conversation_id)

    def counts(self) -> dict[ConversationStatus, int]:
        """How many open conversations are in each status (closed is always 0)."""
        return {status: len(keys) for status, keys in self._by_status.items()}

    def rows(
        self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None
    ) -> list[ConversationSummary]:
        """The conversations `filter` shows to operator `me`, longest waiting first."""
        by_id = self._by_id
        return [by_id[key[3]] for key in self._keys_for(filter, me)]

    def len_of(self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None) -> int:
        """How many rows `filter` shows to operator `me`."""
        return len(self._keys_for(filter, me))

    def row_at(
        self, index: int, filter: QueueFilter = QueueFilter.ALL, me: str | None = None
    ) -> ConversationSummary:
        """Row `index` of `filter` for `me`; raises IndexError like a list."""
        return self._by_id[self._keys_for(filter, me)[index][3]]

    def index_of(
        self, conversation_id: str, filter: QueueFilter = QueueFilter.ALL, me: str | None = None
    ) -> int | None:
        """Where `conversation_id` is in `filter` for `me`, or None if it is not shown there."""
        key = self._keys.get(conversation_id)
        if key is None:
            return None
        keys = self._keys_for(filter, me)
        index = bisect_left(keys, key)
        if index < len(keys) and keys[index] == key:
            return index
        return None

    def _keys_for(self, filter: QueueFilter, me: str | None) -> list[_SortKey]:
        if filter is QueueFilter.ALL:
            return self._all
        if filter is QueueFilter.MINE:
            return self._by_holder.get(me, _EMPTY) if me is not None else _EMPTY
        return self._by_status[_STATUS_FOR_FILTER[filter]]

    # -- writing -----------------------------------------------------------

    def load(self, items: Iterable[ConversationSummary]) -> None:
        """Replace everything with a snapshot (closed items in it are skipped)."""
        self._by_id = {
            item.id: item for item in items if item.status is not ConversationStatus.CLOSED
        }
        self._keys = {cid: _sort_key(item) for cid, item in self._by_id.items()}
        self._closed_versions.clear()
        # One sort per list: cheaper than n insertions for a snapshot.
        self._all = sorted(self._keys.values())
        self._by_status = {status: [] for status in ConversationStatus}
        self._by_holder = {}
        for key in self._all:
            item = self._by_id[key[3]]
            self._by_status[item.status].append(key)
            if item.holder is not None:
                self._by_holder.setdefault(item.holder, []).append(key)
        self.needs_reload = False

    def apply(self, event: Event) -> set[str]:
        """Apply one live event; return the ids whose row changed (possibly empty).

        `conversation.created`/`conversation.updated` carry the full summary;
        every other event type leaves the queue alone. A `reset` sets
        `needs_reload`. Raises `pydantic.ValidationError` if a conversation
        event's data is not a summary: that is a broken contract, not
        something to hide.
        """
        if event.type is EventType.RESET:
            self.needs_reload = True
            return set()
        if event.type not in (EventType.CONVERSATION_CREATED, EventType.CONVERSATION_UPDATED):
            return set()
        summary = ConversationSummary.model_validate(event.data)
        return self._upsert(summary)

    def apply_all(self, events: Iterable[Event]) -> set[str]:
        """Apply a burst of events; return the union of the changed ids."""
        changed: set[str] = set()
        for event in events:
            changed |= self.apply(event)
        return changed

    def _upsert(self, summary: ConversationSummary) -> set[str]:
        cid = summary.id
        held = self._by_id.get(cid)
        if held is not None:
            if summary.version < held.version or summary == held:
                return set()
        elif summary.version < self._closed_versions.get(cid, -1):
            return set()
        if held is not None:
            self._remove(held)
        if summary.status is ConversationStatus.CLOSED:
            self._closed_versions[cid] = summary.version
            return {cid} if held is not None else set()
        self._closed_versions.pop(cid, None)
        self._insert(summary)
        return {cid}

    def _insert(self, summary: ConversationSummary) -> None:
        key = _sort_key(summary)
        self._by_id[summary.id] = summary
        self._keys[summary.id] = key
        insort(self._all, key)
        insort(self._by_status[summary.status], key)
        if summary.holder is not None:
            insort(self._by_holder.setdefault(summary.holder, []), key)

    def _remove(self, summary: ConversationSummary) -> None:
        key = self._keys.pop(summary.id)
        del self._by_id[summary.id]
        _discard(self._all, key)
        _discard(self._by_status[summary.status], key)
        if summary.holder is not None:
            held = self._by_holder[summary.holder]
            _discard(held, key)
            if not held:
                del self._by_holder[summary.holder]


def _discard(keys: list[_SortKey], key: _SortKey) -> None:
    index = bisect_left(keys, key)
    if index < len(keys) and keys[index] == key:
        del keys[index]
