"""The console's picture of the queue: a plain object that applies events.

No screen, no I/O: the app loads a snapshot into it, feeds it live events,
and widgets read rows out of it. Every filter keeps its own sorted list of
rows, maintained with `bisect`, so one event costs O(log n) comparisons plus
one list insertion or deletion (a memmove), never a re-sort of the queue;
a virtual list reads row *i* in O(1) without materialising the whole list.

A row is a `QueueRow`, not the wire's `ConversationSummary`: at 100,000
conversations the pydantic summaries took 231 MB and gave the garbage
collector some 650,000 objects to walk; `QueueRow`s keep only what the list
draws and sorts on, one tuple each (~43 MB of RSS with the indexes).

A snapshot comes in pages (`begin_reload`, `add_page`…, `end_reload`) so the
first page can be drawn while the rest is still on the wire; live events are
applied between pages, and the version rule decides between the two.
"""

from __future__ import annotations

import gc
import re
import sys
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from backend_client import (
    ConversationStatus,
    ConversationSummary,
    EscalationReason,
    Event,
    EventType,
    Flag,
)
from console.render.sanitize import sanitize

__all__ = ["PREVIEW_LENGTH", "QueueFilter", "QueueRow", "QueueState"]

PREVIEW_LENGTH = 240
"""Characters of the last message a row keeps: more than a 240-column terminal shows."""


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


_IDLE = 1e12
"""Added to an idle row's update time to make its sort key: after every waiting row.

POSIX timestamps are ~1.8e9 today, so waiting keys stay far below it; at
1e12 a float still resolves a tenth of a millisecond.
"""

_FLAG_SETS: dict[tuple[Flag, ...], tuple[Flag, ...]] = {}
"""One tuple per combination of flags, shared by every row that has it."""


class QueueRow(NamedTuple):
    """One open conversation as the queue keeps it: what the list draws and sorts on.

    Built once per summary (`from_summary`). Customer-written text is already
    through `sanitize` and folded onto one line, so drawing a row never
    sanitises again.

    The first two fields are the sort key, so rows compare in queue order as
    plain tuples: longest waiting first; conversations nobody waits on last,
    oldest update first; ties broken by id, so the order is total (bisect
    needs that to find a row again).

    Kept small, because the console holds one per open conversation (at
    100,000 conversations every 8 bytes a row is 0.8 MB): one float for the
    sort key instead of a flag and two times, and the name and the preview in
    one string (`name` and `preview` read them back).
    """

    key: float
    """When the customer started waiting (POSIX time), or `_IDLE` + the last update."""
    id: str
    status: ConversationStatus
    version: int
    holder: str | None
    text: str
    """The customer's name, a NUL, the last message: both sanitised, on one line,
    the message cut to `PREVIEW_LENGTH` characters (sanitised text holds no NUL)."""
    flags: tuple[Flag, ...]
    draft_id: str | None
    escalation_reason: EscalationReason | None

    @property
    def waiting_since(self) -> float | None:
        """Since when the customer has waited (POSIX time), or None."""
        return self.key if self.key < _IDLE else None

    @property
    def name(self) -> str:
        """The customer's name, sanitised, on one line."""
        return self.text.partition("\0")[0]

    @property
    def preview(self) -> str:
        """The last message, sanitised, on one line, cut to `PREVIEW_LENGTH` characters."""
        return self.text.partition("\0")[2]

    @classmethod
    def from_summary(cls, summary: ConversationSummary) -> QueueRow:
        """The row for a summary from the wire."""
        waiting = summary.waiting_since
        holder = summary.holder
        flags = tuple(summary.flags)
        draft_id = summary.draft_id
        name = _one_line(summary.customer.name)
        preview = _one_line(summary.last_message, PREVIEW_LENGTH)
        return cls(
            _IDLE + _timestamp(summary.updated_at) if waiting is None else _timestamp(waiting),
            _own(summary.id),
            summary.status,
            summary.version,
            # A handful of operators hold every row: share their id strings.
            None if holder is None else sys.intern(_own(holder)),
            f"{name}\0{preview}",
            _FLAG_SETS.setdefault(flags, flags),
            None if draft_id is None else _own(draft_id),
            summary.escalation_reason,
        )


_FOLD = re.compile(r"[ \t]*[\n\t][ \t\n]*")


def _one_line(text: str, limit: int | None = None) -> str:
    """`text` sanitised, its line breaks and tabs folded into one space, cut to `limit`."""
    if text.isascii() and text.isprintable():
        # Printable ASCII is what `sanitize` passes unchanged, and it holds no
        # line break to fold: skip both regexes for the common case (at
        # 100,000 rows they were most of a snapshot's load time).
        clean = text.strip(" ")
    else:
        clean = _FOLD.sub(" ", sanitize(text)).strip(" ")
    if limit is not None and len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return clean


def _own(text: str) -> str:
    """A fresh copy of `text` (the row's `text` is one already: an f-string).

    A row outlives the summary it was built from; had it kept the summary's
    own strings, each would pin the allocator arena it shares with the dead
    summary's other objects, and freeing 100,000 summaries would give back
    almost none of their 230 MB (measured: 213 MB stayed resident).
    """
    return text.encode().decode()


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp()  # the wire speaks UTC
    return moment.timestamp()


_STATUS_FOR_FILTER = {
    QueueFilter.REVIEW: ConversationStatus.AWAITING_REVIEW,
    QueueFilter.ESCALATED: ConversationStatus.ESCALATED,
}

_EMPTY: list[QueueRow] = []


class QueueState:
    """Open conversations by id, sorted by waiting time for each filter.

    `closed` conversations leave the queue. Events older than what is held
    (a lower `version`) are ignored, so out-of-order delivery cannot roll a
    row back.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, QueueRow] = {}
        self._all: list[QueueRow] = []
        self._by_status: dict[ConversationStatus, list[QueueRow]] = {
            status: [] for status in ConversationStatus
        }
        self._by_holder: dict[str, list[QueueRow]] = {}
        # The last version seen of conversations that closed, so a late,
        # older `updated` event (or snapshot page) cannot bring a closed one back.
        self._closed_versions: dict[str, int] = {}
        # While a snapshot is paged in: the rows held before it that neither
        # a page nor a live event has confirmed yet (None: no reload running).
        self._unconfirmed: set[str] | None = None
        self.needs_reload = False
        """True after a `reset` event: the stream fell too far behind; load a snapshot."""

    # -- reading -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, conversation_id: object) -> bool:
        return conversation_id in self._by_id

    def get(self, conversation_id: str) -> QueueRow | None:
        """The row held for `conversation_id`, or None."""
        return self._by_id.get(conversation_id)

    def counts(self) -> dict[ConversationStatus, int]:
        """How many open conversations are in each status (closed is always 0)."""
        return {status: len(rows) for status, rows in self._by_status.items()}

    def rows(self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None) -> list[QueueRow]:
        """The conversations `filter` shows to operator `me`, longest waiting first."""
        return list(self._rows_for(filter, me))

    def view(
        self, filter: QueueFilter = QueueFilter.ALL, me: str | None = None
    ) -> Sequence[QueueRow]:
        """The rows `filter` shows to `me`, longest waiting first: a live view, not a copy.

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
        return self._rows_for(filter, me)[index]

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

    def _rows_for(self, filter: QueueFilter, me: str | None) -> list[QueueRow]:
        if filter is QueueFilter.ALL:
            return self._all
        if filter is QueueFilter.MINE:
            return self._by_holder.get(me, _EMPTY) if me is not None else _EMPTY
        return self._by_status[_STATUS_FOR_FILTER[filter]]

    # -- writing -----------------------------------------------------------

    def load(self, items: Iterable[ConversationSummary | QueueRow]) -> None:
        """Replace everything with a snapshot (closed items in it are skipped).

        Takes summaries from the wire, or rows from another `QueueState`.
        """
        # A row is a new tuple: left on, the collector would run several full
        # collections during a big snapshot, each walking every object alive
        # (the summaries being converted too); at 100,000 rows that more than
        # doubled the load. Rows hold no cycles, so there is nothing for it to find.
        collecting = gc.isenabled()
        gc.disable()
        try:
            closed = ConversationStatus.CLOSED
            rows = (_as_row(item) for item in items)
            self._by_id = {row.id: row for row in rows if row.status is not closed}
            self._closed_versions.clear()
            # One sort per list: cheaper than n insertions for a snapshot.
            self._all = sorted(self._by_id.values())
            by_status: dict[ConversationStatus, list[QueueRow]] = {
                status: [] for status in ConversationStatus
            }
            by_holder: dict[str, list[QueueRow]] = {}
            for row in self._all:
                by_status[row.status].append(row)
                if row.holder is not None:
                    by_holder.setdefault(row.holder, []).append(row)
            self._by_status = by_status
            self._by_holder = by_holder
        finally:
            if collecting:
                gc.enable()
        self._unconfirmed = None
        self.needs_reload = False

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

    def add_page(self, items: Iterable[ConversationSummary | QueueRow]) -> set[str]:
        """Fold one page of a snapshot in; return the ids whose row changed.

        The rules are an event's: a conversation a live event brought to a
        newer version, or closed, keeps what the event said. Rows new to the
        queue are merged in with one pass per sorted list; pages come longest
        waiting first, so they land at or near the end.
        """
        collecting = gc.isenabled()
        gc.disable()  # as in `load`: the new rows are tuples without cycles
        try:
            unconfirmed = self._unconfirmed
            by_id = self._by_id
            closed = ConversationStatus.CLOSED
            new: dict[str, QueueRow] = {}
            changed: set[str] = set()
            for item in items:
                row = _as_row(item)
                cid = row.id
                if unconfirmed is not None:
                    unconfirmed.discard(cid)
                if cid in by_id or cid in self._closed_versions or row.status is closed:
                    changed |= self._upsert(row)
                elif cid not in new or new[cid].version < row.version:
                    new[cid] = row
            if new:
                self._insert_many(sorted(new.values()))
                changed.update(new)
        finally:
            if collecting:
                gc.enable()
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
        return self._upsert(QueueRow.from_summary(summary))

    def _upsert(self, row: QueueRow) -> set[str]:
        cid = row.id
        held = self._by_id.get(cid)
        if held is not None:
            if row.version < held.version or row == held:
                return set()
        elif row.version < self._closed_versions.get(cid, -1):
            return set()
        if held is not None:
            self._remove(held)
        if row.status is ConversationStatus.CLOSED:
            self._closed_versions[cid] = row.version
            return {cid} if held is not None else set()
        self._closed_versions.pop(cid, None)
        self._insert(row)
        return {cid}

    def _insert(self, row: QueueRow) -> None:
        self._by_id[row.id] = row
        insort(self._all, row)
        insort(self._by_status[row.status], row)
        if row.holder is not None:
            insort(self._by_holder.setdefault(row.holder, []), row)

    def _insert_many(self, rows: list[QueueRow]) -> None:
        """Insert sorted `rows`, none of them held yet."""
        self._by_id.update((row.id, row) for row in rows)
        _merge(self._all, rows)
        by_status: dict[ConversationStatus, list[QueueRow]] = {}
        by_holder: dict[str, list[QueueRow]] = {}
        for row in rows:
            by_status.setdefault(row.status, []).append(row)
            if row.holder is not None:
                by_holder.setdefault(row.holder, []).append(row)
        for status, part in by_status.items():
            _merge(self._by_status[status], part)
        for holder, part in by_holder.items():
            _merge(self._by_holder.setdefault(holder, []), part)

    def _remove(self, row: QueueRow) -> None:
        del self._by_id[row.id]
        _discard(self._all, row)
        _discard(self._by_status[row.status], row)
        if row.holder is not None:
            held = self._by_holder[row.holder]
            _discard(held, row)
            if not held:
                del self._by_holder[row.holder]


def _as_row(item: ConversationSummary | QueueRow) -> QueueRow:
    return item if isinstance(item, QueueRow) else QueueRow.from_summary(item)


def _merge(rows: list[QueueRow], new: list[QueueRow]) -> None:
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


def _discard(rows: list[QueueRow], row: QueueRow) -> None:
    index = bisect_left(rows, row)
    if index < len(rows) and rows[index] is row:
        del rows[index]
