"""A loaded journal entry as a plain tuple: what the override log keeps per row.

A pydantic `AuditEntry` is a model, a dict, a datetime and a nested model:
a dozen objects the garbage collector tracks, for every row paged in. The
list keeps each entry as one exact tuple of `int`, `str` and `None` instead,
which the collector untracks, and rebuilds the `AuditEntry` of the one row
someone looks at.
"""

from __future__ import annotations

from typing import Final

from backend_client import AuditEntry

__all__ = ["AUDIT_FIELDS", "SEQ", "AuditRow", "audit_entry", "audit_row"]

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
