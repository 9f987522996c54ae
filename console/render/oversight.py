"""Words for the oversight moments of a decision: a calibration draft, a too-fast approval."""

from __future__ import annotations

from backend_client import (
    CALIBRATION_NOTICE,
    Author,
    ConfirmationRequiredError,
    ConversationDetail,
)

from .sanitize import sanitize

__all__ = ["calibration_notice", "fast_approval_question"]


def calibration_notice(detail: ConversationDetail) -> str | None:
    """The backend's word that the draft just decided was a calibration draft, if it was."""
    last = detail.messages[-1] if detail.messages else None
    if last is None or last.author is not Author.SYSTEM:
        return None
    if not last.text.startswith(CALIBRATION_NOTICE):
        return None
    return sanitize(last.text)


def fast_approval_question(error: ConfirmationRequiredError) -> str:
    """What to ask a reviewer who approved faster than the draft can be read."""
    detail = sanitize(error.problem.detail or "").split(": if you did", 1)[0]
    return (
        f"{detail or 'That was fast'}.\n\nDid you read all {error.words} words of it? "
        "Approving sends it to the customer as written."
    )
