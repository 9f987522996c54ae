"""The override log's filters, and exporting what they select to CSV or JSONL.

The console exports through the API, page by page with the keyset cursor, so
an export of a million entries never holds more than one page in memory and
needs no access to the database. The columns are those of `hitl audit
export`, so a file from either can be read by the same tools.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from backend_client import AUDIT_EXPORT_FIELDS, AsyncBackendClient, AuditEntry

__all__ = [
    "date_problem",
    "EXPORT_FIELDS",
    "AuditFilters",
    "ExportFormat",
    "default_export_path",
    "entry_row",
    "export_audit_view",
]

ExportFormat = Literal["csv", "jsonl"]

EXPORT_FIELDS = AUDIT_EXPORT_FIELDS
"""The columns of the export: `hitl audit export`'s (one definition, in the protocol)."""

EXPORT_PAGE_SIZE = 500
"""Entries asked for per request while exporting (the API allows up to 1,000)."""


@dataclass(frozen=True)
class AuditFilters:
    """What the override log shows: every field left `None` does not filter."""

    actor: str | None = None
    """An operator id."""
    action: str | None = None
    reason_code: str | None = None
    since: str | None = None
    """ISO time, inclusive."""
    until: str | None = None
    """ISO time, exclusive."""
    q: str | None = None
    """Free text, searched by the server in notes and texts."""

    def params(self) -> dict[str, str | None]:
        """Keyword arguments for `AsyncBackendClient.list_audit`."""
        return asdict(self)

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return any(value is not None for value in asdict(self).values())


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    """One entry as a row of `hitl audit export` (same columns, same values)."""
    data = entry.model_dump(mode="json", exclude={"bot"})
    data["at"] = entry.at.isoformat()
    data["bot_name"] = entry.bot.name if entry.bot else None
    data["bot_model"] = entry.bot.model if entry.bot else None
    return {field: data.get(field) for field in EXPORT_FIELDS}


def default_export_path(fmt: ExportFormat, now: datetime | None = None) -> Path:
    """`~/hitl-audit-<timestamp>.<fmt>`."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path.home() / f"hitl-audit-{stamp}.{fmt}"


async def export_audit_view(
    client: AsyncBackendClient,
    filters: AuditFilters,
    path: Path,
    fmt: ExportFormat,
    *,
    on_page: Callable[[int, int], None] | None = None,
    page_size: int | None = None,
) -> int:
    """Write every entry `filters` selects to `path`, newest first; returns the count.

    `on_page(entries, pages)` is called after each page is written. The file
    is written under a `.part` name and renamed when complete, so a failed
    or cancelled export never leaves a file that looks whole.
    """
    path = path.expanduser()
    page_size = page_size or EXPORT_PAGE_SIZE
    partial = path.with_name(path.name + ".part")
    count = pages = 0
    cursor: str | None = None
    try:
        with partial.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
            if fmt == "csv":
                writer.writeheader()
            while True:
                page = await client.list_audit(**filters.params(), limit=page_size, cursor=cursor)
                for entry in page.items:
                    row = entry_row(entry)
                    if fmt == "csv":
                        writer.writerow(row)
                    else:
                        out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += len(page.items)
                pages += 1
                if on_page is not None:
                    on_page(count, pages)
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def date_problem(filters: AuditFilters) -> str | None:
    """Why the since/until filter is not a date, in words (None: both are fine or empty)."""
    for label, value in (("since", filters.since), ("until", filters.until)):
        if value is None:
            continue
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return f"{label}: {value!r} is not a date — type an ISO date such as 2026-11-27"
    return None
