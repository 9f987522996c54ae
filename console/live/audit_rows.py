"""A loaded journal entry as a plain tuple: what the override log keeps per row.

A pydantic `AuditEntry` is a model, a dict, a datetime and a nested model:
a dozen objects the garbage collector tracks, for every row paged in. The
list keeps each entry as one exact tuple of `int`, `str` and `None` instead,
which the collector untracks, and rebuilds the `AuditEntry` of the one row
someone looks at.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Final, NamedTuple

from backend_client import AuditEntry

__all__ = ["AUDIT_FIELDS", "SEQ", "AuditPages", "AuditRow", "audit_entry", "audit_row"]

AUDIT_FIELDS: Final = (
    "seq",
    "at",
    "actor",
    "actor_name",
    "role",
    "action",
    "reason_code",
    "note",
    "conversation_id",
    "draft_id",
    "bot_name",
    "bot_model",
    "ai_text",
    "final_text",
    "ai_text_hmac",
    "final_text_hmac",
    "prev_hash",
    "hash",
)
"""What a row holds, in order: an entry's wire fields, its bot flattened."""

AuditRow = tuple[int | str | None, ...]
"""One entry's `AUDIT_FIELDS`, as the wire's JSON values."""

SEQ: Final = 0
"""Where the entry's number is in a row."""


def audit_row(entry: AuditEntry) -> AuditRow:
    """The row for `entry`."""
    data = entry.model_dump(mode="json", exclude={"bot"})
    bot = entry.bot
    data["bot_name"] = bot.name if bot is not None else None
    data["bot_model"] = bot.model if bot is not None else None
    return tuple(data.get(field) for field in AUDIT_FIELDS)


def audit_entry(row: AuditRow) -> AuditEntry:
    """The `AuditEntry` a row was made from."""
    data: dict[str, object] = dict(zip(AUDIT_FIELDS, row, strict=True))
    name, model = data.pop("bot_name"), data.pop("bot_model")
    data["bot"] = {"name": name, "model": model} if name is not None else None
    return AuditEntry.model_validate(data)


class _Page(NamedTuple):
    """Rows `start`…`start + len(seqs)`, fetched with the API's `cursor` (None: the first)."""

    start: int
    seqs: tuple[int, ...]
    cursor: str | None


class AuditPages:
    """The override log's loaded rows, page by page; pages far from where one looks are dropped.

    Every page keeps its place (the list does not jump) and the cursor that
    fetched it, so a dropped page is asked for again when it comes back into
    view (`missing`, then `fill`). Rows are kept within `keep` rows of the
    cursor; memory stays bounded however far someone pages.
    """

    def __init__(self, keep: int = 2_000) -> None:
        self.keep = keep
        """Rows kept on either side of the cursor."""
        self._rows: list[AuditRow | None] = []
        self._pages: list[_Page] = []
        self._seqs: set[int] = set()

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, index: int) -> AuditRow | None:
        """Row `index`, or None while its page is dropped."""
        return self._rows[index]

    def clear(self) -> None:
        """Forget every row."""
        self._rows.clear()
        self._pages.clear()
        self._seqs.clear()

    def append(self, entries: Iterable[AuditEntry], cursor: str | None) -> list[int]:
        """Add a page fetched with `cursor` below the rows (entries shown already are
        skipped); returns the seqs added."""
        added: list[int] = []
        for entry in entries:
            if entry.seq in self._seqs:
                continue
            self._seqs.add(entry.seq)
            self._rows.append(audit_row(entry))
            added.append(entry.seq)
        if added:
            self._pages.append(_Page(len(self._rows) - len(added), tuple(added), cursor))
        return added

    def drop_far(self, center: int) -> set[int]:
        """Drop the pages entirely more than `keep` rows from row `center`; their seqs."""
        dropped: set[int] = set()
        low, high = center - self.keep, center + self.keep
        for page in self._pages:
            end = page.start + len(page.seqs)
            if (end <= low or page.start > high) and self._rows[page.start] is not None:
                for offset, seq in enumerate(page.seqs):
                    self._rows[page.start + offset] = None
                    self._seqs.discard(seq)
                dropped.update(page.seqs)
        return dropped

    def missing(self, index: int) -> tuple[int, str | None] | None:
        """For a dropped row: its page's number and the cursor to fetch it with."""
        if self._rows[index] is not None:
            return None
        number = bisect_right([page.start for page in self._pages], index) - 1
        return number, self._pages[number].cursor

    def fill(self, number: int, entries: Iterable[AuditEntry]) -> range:
        """Put page `number`'s rows back from a fetch with its cursor; the rows filled."""
        page = self._pages[number]
        by_seq = {entry.seq: entry for entry in entries}
        for offset, seq in enumerate(page.seqs):
            entry = by_seq.get(seq)
            if entry is not None and self._rows[page.start + offset] is None:
                self._rows[page.start + offset] = audit_row(entry)
                self._seqs.add(seq)
        return range(page.start, page.start + len(page.seqs))
