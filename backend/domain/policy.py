"""The rules, as plain functions: who may do what, what counts as valid, what the gate lets out.

Routes call these through the service; tests call them directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from backend_client import DRAFT_REASONS, Flag, ReasonCode, ReviewMode, Role

from ..errors import Forbidden, Invalid, StaleVersion
from ..settings import ReviewSettings

NOTE_LIMIT = 2000
"""The longest note accepted with a decision, in characters."""


class Permission(StrEnum):
    """What a call needs."""

    READ = "read the queue and conversations"
    DECIDE = "decide drafts and hold conversations"
    SUPERVISE = "force-release holds and pause the AI"
    AUDIT = "read the override log"
    METRICS = "read the metrics"
    UNMASKED = "see unmasked personal data"
    TRAIN = "export training data"
    EXPORT_UNMASKED = "export training data unmasked"
    ERASE = "erase a customer's personal data"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TRAINER: frozenset({Permission.READ, Permission.TRAIN}),
    Role.AGENT: frozenset({Permission.READ, Permission.DECIDE, Permission.UNMASKED}),
    Role.SUPERVISOR: frozenset(Permission) - {Permission.EXPORT_UNMASKED, Permission.ERASE},
    Role.ADMIN: frozenset(Permission),
}
"""The backend is the only authority on roles (invariant 7): a trainer reads, masked."""


def may(role: Role, permission: Permission) -> bool:
    """Whether `role` has `permission`."""
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    """Refuse with 403 unless `role` has `permission`."""
    if not may(role, permission):
        raise Forbidden(f"the {role.value} role may not {permission.value}")


def check_version(if_match: int | None, current: int, what: str) -> None:
    """Refuse with 412 when the caller's version is not the current one (None skips)."""
    if if_match is not None and if_match != current:
        raise StaleVersion(
            f"the {what} changed since you loaded it (you have version {if_match}, "
            f"it is now {current}): reload and decide again"
        )


def parse_if_match(header: str | None) -> int | None:
    """The version in an `If-Match: "<version>"` header."""
    if header is None:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    try:
        return int(value)
    except ValueError:
        raise Invalid("If-Match", 'must be a version in quotes, like "3"') from None


def check_text(field: str, text: str, limit: int) -> str:
    """A message text must have content and fit the limit; returns it unchanged."""
    if not text.strip():
        raise Invalid(field, "must not be empty")
    if len(text) > limit:
        raise Invalid(field, f"must be at most {limit} characters (got {len(text)})")
    return text


def check_reason(
    reason_code: ReasonCode, note: str | None, *, takeover: bool = False
) -> str | None:
    """`other` needs a note; a note must fit. Returns the note, blank ones as None.

    A decision on the AI's words (`takeover` False) takes only a reason about words
    (`DRAFT_REASONS`): "vip" says nothing about a draft. A takeover or a release takes
    any reason: its own (`TAKEOVER_REASONS`), and the draft ones older consoles sent.
    """
    if not takeover and reason_code not in DRAFT_REASONS:
        raise Invalid(
            "reason_code", f"'{reason_code.value}' is a reason to take over, not about a draft"
        )
    note = note.strip() if note else None
    if reason_code is ReasonCode.OTHER and not note:
        raise Invalid("note", "a note is required when reason_code is 'other'")
    if note is not None and len(note) > NOTE_LIMIT:
        raise Invalid("note", f"must be at most {NOTE_LIMIT} characters")
    return note or None


@dataclass(frozen=True)
class GateDecision:
    """What the review gate does with a new draft."""

    send_now: bool = False
    """It goes out at once (review mode `off`, AI not paused)."""
    send_at: datetime | None = None
    """It goes out at this time unless someone decides first (mode `flagged`)."""


def review_gate(
    flags: Iterable[Flag], confidence: float, review: ReviewSettings, now: datetime
) -> GateDecision:
    """Whether a new draft waits for a human (invariant 1).

    In mode `all` every draft waits. In mode `flagged` an unflagged draft at or
    above the threshold goes out after the hold window. In mode `off` drafts go
    out at once. Pausing the AI is checked when sending, not here.
    """
    if review.mode is ReviewMode.OFF:
        return GateDecision(send_now=True)
    if review.mode is ReviewMode.FLAGGED:
        if not list(flags) and confidence >= review.confidence_threshold:
            return GateDecision(send_at=now + timedelta(seconds=review.hold_seconds))
    return GateDecision()


def pause_in_force(flag: str | None, until: str | None, now: datetime) -> bool:
    """Whether the stop button holds now: set (`flag` "1") and its end, if any, not yet passed.

    The service's gate and the outbox worker both ask this, from the same
    stored values, so a channel delivery stops exactly when drafting does.
    """
    if flag != "1":
        return False
    return not until or now < datetime.fromisoformat(until)
