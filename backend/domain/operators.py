"""Whether an operator's token still works: the rule the API and the CLI share."""

from __future__ import annotations

from datetime import datetime, timedelta


def token_refusal(
    disabled_at: str | None, issued_at: str | None, now: datetime, token_days: int | None
) -> str | None:
    """Why a token no longer works (disabled, expired), or None when it does."""
    if disabled_at is not None:
        return "this operator was disabled: ask an admin"
    if token_days is not None and issued_at is not None:
        if now >= datetime.fromisoformat(issued_at) + timedelta(days=token_days):
            return "this token expired: ask an admin to rotate it (hitl operator rotate-token)"
    return None
