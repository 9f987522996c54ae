"""The rule for an operator's name: not blank, not too long, and nobody else's.

Two operators both called "sam" cannot be told apart in a header, a hold
banner or the override log, so a second one is refused (case and spacing
ignored) rather than shown with an id nobody reads.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MAX_OPERATOR_NAME", "operator_name_problem"]

MAX_OPERATOR_NAME = 64
"""The longest operator name accepted (it is shown in headers and rows)."""


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def operator_name_problem(name: str, existing: Iterable[str]) -> str | None:
    """Why `name` cannot be a new operator's name beside `existing` (None: it can)."""
    if not name.strip():
        return "an operator needs a name (it was empty)"
    if len(name) > MAX_OPERATOR_NAME:
        return f"an operator's name is at most {MAX_OPERATOR_NAME} characters"
    if any(not ch.isprintable() for ch in name):
        return "an operator's name cannot contain control characters"
    key = _key(name)
    if any(_key(other) == key for other in existing):
        return f"an operator named {name.strip()!r} already exists: pick another name"
    return None
