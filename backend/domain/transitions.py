"""The conversation status machine, as one table: which act moves which status where.

Every status change in the service goes through `move`; an act a status does
not allow is refused (409) instead of silently writing a status nobody
planned for. The table is the whole story: a (status, act) pair missing from
it is refused.
"""

from __future__ import annotations

from enum import StrEnum

from backend_client import ConversationStatus

from ..errors import Conflict

__all__ = ["TRANSITIONS", "Act", "allows", "move"]

BOT = ConversationStatus.BOT
REVIEW = ConversationStatus.AWAITING_REVIEW
ESCALATED = ConversationStatus.ESCALATED
HUMAN = ConversationStatus.HUMAN
CLOSED = ConversationStatus.CLOSED


class Act(StrEnum):
    """Something that happens to a conversation and may change its status."""

    CUSTOMER_WRITES = "take a customer message"
    """A pending draft is superseded: the AI owes a new answer, a person keeps theirs."""
    DRAFT_WAITS = "hold a draft for review"
    AI_SENDS = "send AI text"
    """An approved, edited or auto-sent draft goes out."""
    DRAFT_DISCARDED = "discard a draft for a new one"
    """Rejected to regenerate: the AI drafts again."""
    ESCALATE = "escalate"
    """A person is needed: asked for, the bot failed, unsure twice, or a draft rejected."""
    TAKEOVER = "be taken over"
    HANDBACK = "be handed back"
    RELEASE = "be force-released"
    CLOSE = "be closed"
    ERASE = "be erased"


_OPEN = (BOT, REVIEW, ESCALATED, HUMAN)

TRANSITIONS: dict[tuple[ConversationStatus, Act], ConversationStatus] = {
    (BOT, Act.CUSTOMER_WRITES): BOT,
    (REVIEW, Act.CUSTOMER_WRITES): BOT,
    (ESCALATED, Act.CUSTOMER_WRITES): ESCALATED,
    (HUMAN, Act.CUSTOMER_WRITES): HUMAN,
    # The AI drafts, sends and escalates on its own only where it is in charge.
    (BOT, Act.DRAFT_WAITS): REVIEW,
    (REVIEW, Act.DRAFT_WAITS): REVIEW,
    (BOT, Act.AI_SENDS): BOT,
    (REVIEW, Act.AI_SENDS): BOT,
    (BOT, Act.DRAFT_DISCARDED): BOT,
    (REVIEW, Act.DRAFT_DISCARDED): BOT,
    (BOT, Act.ESCALATE): ESCALATED,
    (REVIEW, Act.ESCALATE): ESCALATED,
    (BOT, Act.TAKEOVER): HUMAN,
    (REVIEW, Act.TAKEOVER): HUMAN,
    (ESCALATED, Act.TAKEOVER): HUMAN,
    (HUMAN, Act.HANDBACK): BOT,
    (HUMAN, Act.RELEASE): ESCALATED,
    **{(status, Act.CLOSE): CLOSED for status in _OPEN},
    # Erasure is a legal duty: it applies to a closed conversation too.
    **{(status, Act.ERASE): CLOSED for status in (*_OPEN, CLOSED)},
}
"""(status, act) → the status after it. Everything else is refused."""


def allows(status: ConversationStatus, act: Act) -> bool:
    """Whether `act` may happen to a conversation in `status`."""
    return (status, act) in TRANSITIONS


def move(status: ConversationStatus, act: Act) -> ConversationStatus:
    """The status after `act`, or a 409 when a conversation in `status` may not undergo it."""
    try:
        return TRANSITIONS[(status, act)]
    except KeyError:
        raise Conflict(f"a conversation in status {status.value!r} cannot {act.value}") from None
