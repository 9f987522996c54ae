"""Whether an operator's token still works: the rule the API and the CLI share."""

from __future__ import annotations

from datetime import datetime, timedelta


def token_refusal(
    disabled_at: str | None, issued_at: str | None, now: datetime, token_days: int | None
) -> str | None:
    """Why a token no longer works (disabled, expired), or None when it does."""
    if disabled_at is not None:
        return "this operator was disabled: ask an admin"
    expiry = token_expiry(issued_at, token_days)
    if expiry is not None and now >= expiry:
        return "this token expired: ask an admin to rotate it (hitl operator rotate-token)"
    return None


def token_expiry(issued_at: str | None, token_days: int | None) -> datetime | None:
    """When a token issued at `issued_at` stops working by age (None: it never does)."""
    if token_days is None or issued_at is None:
        return None
    return datetime.fromisoformat(issued_at) + timedelta(days=token_days)
