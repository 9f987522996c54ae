"""A queue row: one open conversation, as a plain tuple the garbage collector never walks.

The console holds one row per open conversation (100,000 and more). A row
is an exact `tuple` of `str`, `float`, `int` and `None` (its flags a tuple of
`str`), so CPython's collector untracks it after the first collection that
sees it: a full collection then costs nothing per row. A `NamedTuple`, or an
enum member in a field, would keep every row tracked. So rows are read by
index (`ID`, `STATUS`, …) where it matters (the list widget, the indexes), and
through `QueueRow`, a named view made on demand, everywhere else.

Rows compare in queue order as plain tuples: the first two fields are the
sort key (longest waiting first; conversations nobody waits on last, oldest
update first; ties broken by id, so the order is total, which bisect needs).
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Final, NamedTuple

from backend_client import (
    ConversationStatus,
    ConversationSummary,
    EscalationReason,
    Flag,
    mask_cards,
)
from console.render.sanitize import untrusted

__all__ = [
    "ASSIGNEE",
    "DRAFTING",
    "DRAFT_ID",
    "FLAGS",
    "HOLDER",
    "ID",
    "KEY",
    "PREVIEW_LENGTH",
    "REASON",
    "STATUS",
    "TEXT",
    "VERSION",
    "TAG_SEPARATOR",
    "QueueRow",
    "Row",
    "row_from_summary",
    "waiting_since",
]

TAG_SEPARATOR = "\x1f"
"""Between the customer's name and what tells two of a name apart (their email, or the
chat's short id `#3f2a`) in a row's text; sanitised text never holds it, and the painter
fits the two parts separately so the tag is not the part cut off."""

PREVIEW_LENGTH = 240
"""Characters of the last message a row keeps: more than a 240-column terminal shows."""

Row = tuple[
    float, str, str, int, str | None, str, tuple[str, ...], str | None, str | None, bool, str | None
]
"""(key, id, status, version, holder, text, flags, draft_id, escalation_reason, drafting,
assignee).

`key`: when the customer started waiting (POSIX time), or `_IDLE` + the last
update. `text`: the customer's name, `TAG_SEPARATOR`, their email or the chat's short id, a NUL,
the last message, both sanitised
and on one line (sanitised text holds no NUL). `status`, `flags` and
`escalation_reason` are the enums' string values.
"""

# Where each field of a `Row` is (Final, so a type checker knows each field's type).
KEY: Final = 0
ID: Final = 1
STATUS: Final = 2
VERSION: Final = 3
HOLDER: Final = 4
TEXT: Final = 5
FLAGS: Final = 6
DRAFT_ID: Final = 7
REASON: Final = 8
DRAFTING: Final = 9
"""True while the AI writes a draft for the customer's last message."""
ASSIGNEE: Final = 10
"""The operator (id) the conversation is assigned to, if anyone."""

_IDLE = 1e12
"""Added to an idle row's update time to make its sort key: after every waiting row.

POSIX timestamps are ~1.8e9 today, so waiting keys stay far below it; at
1e12 a float still resolves a tenth of a millisecond.
"""

_FLAG_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}
"""One tuple per combination of flags, shared by every row that has it."""


def waiting_since(row: Row) -> float | None:
    """Since when the row's customer has waited (POSIX time), or None."""
    key = row[KEY]
    return key if key < _IDLE else None


def row_from_summary(summary: ConversationSummary) -> Row:
    """The row for a summary from the wire (its customer text sanitised once, here)."""
    waiting = summary.waiting_since
    holder = summary.holder
    flags = tuple(_own(flag.value) for flag in summary.flags)
    draft_id = summary.draft_id
    reason = summary.escalation_reason
    customer = summary.customer
    tag = _one_line(customer.email) if customer.email else f"#{summary.id[-4:]}"
    name = f"{_one_line(customer.name)}{TAG_SEPARATOR}{tag}"
    preview = _one_line(summary.last_message, PREVIEW_LENGTH)
    return (
        _IDLE + _timestamp(summary.updated_at) if waiting is None else _timestamp(waiting),
        _own(summary.id),
        # The enum's own string value, interned: a str, not an enum member.
        sys.intern(summary.status.value),
        summary.version,
        # A handful of operators hold every row: share their id strings.
        None if holder is None else sys.intern(_own(holder)),
        f"{name}\0{preview}",
        _FLAG_SETS.setdefault(flags, flags),
        None if draft_id is None else _own(draft_id),
        None if reason is None else sys.intern(reason.value),
        summary.drafting,  # True and False are singletons: nothing for the collector
        None if summary.assignee is None else sys.intern(_own(summary.assignee)),
    )


class QueueRow(NamedTuple):
    """A named, typed view of a `Row`, made when asked for (never stored)."""

    key: float
    id: str
    status: ConversationStatus
    version: int
    holder: str | None
    text: str
    flags: tuple[Flag, ...]
    draft_id: str | None
    escalation_reason: EscalationReason | None
    drafting: bool
    assignee: str | None = None

    @classmethod
    def of(cls, row: Row) -> QueueRow:
        """The view of `row`."""
        reason = row[REASON]
        return cls(
            row[KEY],
            row[ID],
            ConversationStatus(row[STATUS]),
            row[VERSION],
            row[HOLDER],
            row[TEXT],
            tuple(Flag(flag) for flag in row[FLAGS]),
            row[DRAFT_ID],
            None if reason is None else EscalationReason(reason),
            row[DRAFTING],
            row[ASSIGNEE],
        )

    @property
    def waiting_since(self) -> float | None:
        """Since when the customer has waited (POSIX time), or None."""
        return self.key if self.key < _IDLE else None

    @property
    def name(self) -> str:
        """The customer's name and email (or short id): `Jo Doe · jo@example.com`."""
        return self.text.partition("\0")[0].replace(TAG_SEPARATOR, " · ")

    @property
    def preview(self) -> str:
        """The last message, sanitised, on one line, cut to `PREVIEW_LENGTH` characters."""
        return self.text.partition("\0")[2]


_FOLD = re.compile(r"[ \t]*[\n\t][ \t\n]*")


def _one_line(text: str, limit: int | None = None) -> str:
    """`text` sanitised, its line breaks and tabs folded into one space, cut to `limit`."""
    if text.isascii() and text.isprintable():
        # Printable ASCII is what `sanitize` passes unchanged, and it holds no
        # line break to fold: skip both regexes for the common case (at
        # 100,000 rows they were most of a snapshot's load time). Cards are
        # hidden all the same.
        clean = mask_cards(text).strip(" ")
    else:
        clean = _FOLD.sub(" ", untrusted(text)).strip(" ")
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
