"""The console's picture of the queue: a plain object that applies events.

No screen, no I/O: the app loads a snapshot into it, feeds it live events,
and widgets read rows out of it. Every filter keeps its own sorted list of
rows, maintained with `bisect`, so one event costs O(log n) comparisons plus
one list insertion or deletion (a memmove), never a re-sort of the queue;
a virtual list reads row *i* in O(1) without materialising the whole list.

A row is a plain tuple (`console.live.queue_rows`), not the wire's
`ConversationSummary`: at 100,000 conversations the pydantic summaries took
231 MB and gave the garbage collector some 650,000 objects to walk; rows keep
only what the list draws and sorts on, one tuple each, which the collector
untracks. Readers get a named `QueueRow` view of the row they ask for.

A snapshot comes in pages (`begin_reload`, `add_page`…, `end_reload`) so the
first page can be drawn while the rest is still on the wire; live events are
applied between pages, and the version rule decides between the two.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from enum import StrEnum

from backend_client import ConversationStatus, ConversationSummary, Event, EventType
from console.live.queue_rows import (
    ASSIGNEE,
    HOLDER,
    ID,
    STATUS,
    VERSION,
    QueueRow,
    Row,
    row_from_summary,
)

__all__ = ["QueueFilter", "QueueRow", "QueueState", "Row"]


class QueueFilter(StrEnum):
    """Which conversations a queue view shows (the filter tabs)."""

    ALL = "all"
    """Every open conversation."""
    REVIEW = "review"
    """A draft waits for a human (`awaiting_review`)."""
    ESCALATED = "escalated"
    """Needs a human and nobody holds it."""
    MINE = "mine"
    """Held by, or assigned to, the operator looking at the console."""


_STATUS_FOR_FILTER = {
    QueueFilter.REVIEW: ConversationStatus.AWAITING_REVIEW,
    QueueFilter.ESCALATED: ConversationStatus.ESCALATED,
}

_EMPTY: list[Row] = []


class QueueState:
    """Open conversations by id, sorted by waiting time for each filter.

    `closed` conversations leave the queue. Events older than what is held
    (a lower `version`) are ignored, so out-of-order delivery cannot roll a
    row back.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, Row] = {}
        self._all: list[Row] = []
        self._by_status: dict[str, list[Row]] = {status: [] for status in ConversationStatus}
        self._by_holder: dict[str, list[Row]] = {}
        # The last version seen of conversations that closed, so a late,
        # older `updated` event (or snapshot page) cannot bring a closed one back.
        self._closed_versions: dict[str, int] = {}
        # While a snapshot is paged in: the rows held before it that neither
        # a page nor a live event has confirmed yet (None: no reload running).
        self._unconfirmed: set[str] | None = None
        self.revision = 0
        """Goes up with every change of the rows (views derived from them know when to redo)."""
        self.needs_reload = False
        """True after a `reset` event: the stream fell too far behind; load a snapshot."""

    # -- reading -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._by_id

    def get(self, conversation_id: str) -> QueueRow | None:
        """The row held for `conversation_id`, or None."""
        row = self._by_id.get(conversation_id)
        return None if row is None else QueueRow.of(row)

    def counts(self) -> dict[ConversationStatus, int]:
        """How many open conversations are in each status (closed is always 0)."""
        return {ConversationStatus(status): len(rows) for status, rows in self._by_status.items()}

    def rows(self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None) -> list[QueueRow]:
        """The conversations `filter` shows to operator `me`, longest waiting first."""
        return [QueueRow.of(row) for row in self._rows_for(filter, me)]

    def view(self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None) -> Sequence[Row]:
        """The plain rows `filter` shows to `me`, longest waiting first: a live view, not a copy.

        It changes as the state does; read it, don't keep it past the moment.
        """
        return self._rows_for(filter, me)

    def len_of(self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None) -> int:
        """How many rows `filter` shows to operator `me`."""
        return len(self._rows_for(filter, me))

    def row_at(
        self, index: int, filter: QueueFilter = QueueFilter.ALL, me: str | None = None
    ) -> QueueRow:
        """Row `index` of `filter` for `me`; raises IndexError like a list."""
        return QueueRow.of(self._rows_for(filter, me)[index])

    def index_of(
        self, conversation_id: str, filter: QueueFilter = QueueFilter.ALL, me: str | None = None
    ) -> int | None:
        """Where `conversation_id` is in `filter` for `me`, or None if it is not shown there."""
        row = self._by_id.get(conversation_id)
        if row is None:
            return None
        rows = self._rows_for(filter, me)
        index = bisect_left(rows, row)
        if index < len(rows) and rows[index] is row:
            return index
        return None

    def _rows_for(self, filter: QueueFilter, me: str | None) -> list[Row]:
        if filter is QueueFilter.ALL:
            return self._all
        if filter is QueueFilter.MINE:
            return self._by_holder.get(me, _EMPTY) if me is not None else _EMPTY
        return self._by_status[_STATUS_FOR_FILTER[filter]]

    # -- writing -----------------------------------------------------------

    def load(self, items: Iterable[ConversationSummary | Row]) -> None:
        """Replace everything with a snapshot (closed items in it are skipped).

        Takes summaries from the wire, or rows from another `QueueState`.
        """
        closed = ConversationStatus.CLOSED
        rows = (_as_row(item) for item in items)
        self._by_id = {row[ID]: row for row in rows if row[STATUS] != closed}
        self._closed_versions.clear()
        # One sort per list: cheaper than n insertions for a snapshot.
        self._all = sorted(self._by_id.values())
        by_status: dict[str, list[Row]] = {status: [] for status in ConversationStatus}
        by_holder: dict[str, list[Row]] = {}
        for row in self._all:
            by_status[row[STATUS]].append(row)
            for person in _people(row):
                by_holder.setdefault(person, []).append(row)
        self._by_status = by_status
        self._by_holder = by_holder
        self._unconfirmed = None
        self.needs_reload = False
        self.revision += 1

    def begin_reload(self) -> None:
        """A snapshot is on its way: its pages come through `add_page`, then `end_reload`.

        The rows held now stay (and stay on screen) while the pages arrive;
        the ones that neither a page nor a live event confirms by the end are
        no longer open on the backend, and `end_reload` removes them. Live
        events keep being applied meanwhile: one that arrives after this call
        may be newer than the page that carries its conversation, and the
        version rule keeps the newer of the two.
        """
        self._unconfirmed = set(self._by_id)
        self.needs_reload = False

    @property
    def reloading(self) -> bool:
        """True between `begin_reload` and `end_reload`."""
        return self._unconfirmed is not None

    def add_page(self, items: Iterable[ConversationSummary | Row]) -> set[str]:
        """Fold one page of a snapshot in; return the ids whose row changed.

        The rules are an event's: a conversation a live event brought to a
        newer version, or closed, keeps what the event said. Rows new to the
        queue are merged in with one pass per sorted list; pages come longest
        waiting first, so they land at or near the end.
        """
        unconfirmed = self._unconfirmed
        by_id = self._by_id
        closed = ConversationStatus.CLOSED
        new: dict[str, Row] = {}
        changed: set[str] = set()
        for item in items:
            row = _as_row(item)
            cid = row[ID]
            if unconfirmed is not None:
                unconfirmed.discard(cid)
            if cid in by_id or cid in self._closed_versions or row[STATUS] == closed:
                changed |= self._upsert(row)
            elif cid not in new or new[cid][VERSION] < row[VERSION]:
                new[cid] = row
        if new:
            self._insert_many(sorted(new.values()))
            changed.update(new)
        return changed

    def abandon_reload(self) -> None:
        """The snapshot will not complete: keep every row, confirmed or not."""
        self._unconfirmed = None

    def end_reload(self) -> set[str]:
        """The snapshot is complete: remove the rows it did not confirm; return their ids."""
        gone = self._unconfirmed or set()
        self._unconfirmed = None
        removed: set[str] = set()
        for cid in gone:
            row = self._by_id.get(cid)
            if row is not None:
                self._remove(row)
                removed.add(cid)
        return removed

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
        if self._unconfirmed is not None:
            # Newer than the reload's request: whatever the snapshot says of
            # this conversation, the stream says it later.
            self._unconfirmed.discard(summary.id)
        return self._upsert(row_from_summary(summary))

    def _upsert(self, row: Row) -> set[str]:
        cid = row[ID]
        held = self._by_id.get(cid)
        if held is not None:
            if row[VERSION] < held[VERSION] or row == held:
                return set()
        elif row[VERSION] < self._closed_versions.get(cid, -1):
            return set()
        if held is not None:
            self._remove(held)
        if row[STATUS] == ConversationStatus.CLOSED:
            self._closed_versions[cid] = row[VERSION]
            return {cid} if held is not None else set()
        self._closed_versions.pop(cid, None)
        self._insert(row)
        return {cid}

    def _insert(self, row: Row) -> None:
        self.revision += 1
        self._by_id[row[ID]] = row
        insort(self._all, row)
        insort(self._by_status[row[STATUS]], row)
        for person in _people(row):
            insort(self._by_holder.setdefault(person, []), row)

    def _insert_many(self, rows: list[Row]) -> None:
        """Insert sorted `rows`, none of them held yet."""
        self.revision += 1
        self._by_id.update((row[ID], row) for row in rows)
        _merge(self._all, rows)
        by_status: dict[str, list[Row]] = {}
        by_holder: dict[str, list[Row]] = {}
        for row in rows:
            by_status.setdefault(row[STATUS], []).append(row)
            for person in _people(row):
                by_holder.setdefault(person, []).append(row)
        for status, part in by_status.items():
            _merge(self._by_status[status], part)
        for holder, part in by_holder.items():
            _merge(self._by_holder.setdefault(holder, []), part)

    def _remove(self, row: Row) -> None:
        self.revision += 1
        del self._by_id[row[ID]]
        _discard(self._all, row)
        _discard(self._by_status[row[STATUS]], row)
        for person in _people(row):
            held = self._by_holder[person]
            _discard(held, row)
            if not held:
                del self._by_holder[person]


def _people(row: Row) -> tuple[str, ...]:
    """Whose Mine tab shows the row: its holder and its assignee (once if the same)."""
    holder, assignee = row[HOLDER], row[ASSIGNEE]
    if assignee is None or assignee == holder:
        return () if holder is None else (holder,)
    return (assignee,) if holder is None else (holder, assignee)


def _as_row(item: ConversationSummary | Row) -> Row:
    return item if isinstance(item, tuple) else row_from_summary(item)


def _merge(rows: list[Row], new: list[Row]) -> None:
    """Merge sorted `new` into sorted `rows`, in place.

    Only the part of `rows` from where `new` starts is touched: for a page
    that sorts after everything held (the usual case) that is an `extend`.
    Cheaper than one `insort` per row where a page lands further up (the
    backend breaks ties by creation, the queue by update): each of those
    would move the rest of the list.
    """
    start = bisect_left(rows, new[0])
    if start == len(rows):
        rows.extend(new)
        return
    tail = rows[start:]
    tail.extend(new)
    tail.sort()  # two sorted runs: one merge
    rows[start:] = tail


def _discard(rows: list[Row], row: Row) -> None:
    index = bisect_left(rows, row)
    if index < len(rows) and rows[index] is row:
        del rows[index]
