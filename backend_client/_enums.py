"""The closed sets of values on the wire: statuses, authors, flags, reasons, roles, events."""

from __future__ import annotations

from enum import StrEnum


class ConversationStatus(StrEnum):
    """Where a conversation stands in the review workflow."""

    BOT = "bot"
    AWAITING_REVIEW = "awaiting_review"
    ESCALATED = "escalated"
    HUMAN = "human"
    CLOSED = "closed"


class Author(StrEnum):
    """Who wrote a message."""

    CUSTOMER = "customer"
    AI = "ai"
    HUMAN = "human"
    SYSTEM = "system"


class DraftStatus(StrEnum):
    """The fate of an AI draft."""

    PENDING = "pending"
    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    AUTO_SENT = "auto_sent"


class Flag(StrEnum):
    """Why a draft deserves a closer look."""

    REFUND = "refund"
    PII = "pii"
    LEGAL = "legal"
    LOW_CONFIDENCE = "low_confidence"
    PROMPT_INJECTION = "prompt_injection"
    UNGROUNDED = "ungrounded"
    """The draft cites none of the knowledge-base passages it was given, or one it was not."""


class ReasonCode(StrEnum):
    """Why a human overrode the AI."""

    INCORRECT = "incorrect"
    INCOMPLETE = "incomplete"
    TONE = "tone"
    POLICY = "policy"
    PRIVACY = "privacy"
    BIAS = "bias"
    OUTDATED = "outdated"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"
    SENSITIVE = "sensitive"
    """Take over: the topic needs a person (bereavement, a threat, a complaint about staff)."""
    AI_STUCK = "ai_stuck"
    """Take over: the AI goes round in circles or cannot answer."""
    VIP = "vip"
    """Take over: a customer the company looks after in person."""


TAKEOVER_REASONS: tuple[ReasonCode, ...] = (
    ReasonCode.CUSTOMER_REQUEST,
    ReasonCode.SENSITIVE,
    ReasonCode.AI_STUCK,
    ReasonCode.VIP,
    ReasonCode.OTHER,
)
"""Why a person takes a conversation over, in the order a picker lists them."""

DRAFT_REASONS: tuple[ReasonCode, ...] = tuple(
    code
    for code in ReasonCode
    if code not in (ReasonCode.SENSITIVE, ReasonCode.AI_STUCK, ReasonCode.VIP)
)
"""Why a person overrode a draft (edit, reject, regenerate, correct): what was wrong with
the AI's words. The takeover-only reasons say nothing about a draft and are refused there."""


class Role(StrEnum):
    """What an operator may do; checked by the backend on every call."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"


class ReviewMode(StrEnum):
    """How much AI text needs a human before it reaches a customer."""

    ALL = "all"
    FLAGGED = "flagged"
    OFF = "off"


class EscalationReason(StrEnum):
    """Why a conversation needs a human."""

    ASKED_FOR_HUMAN = "asked_for_human"
    LEGAL = "legal"
    COMPLAINT = "complaint"
    DATA_PROTECTION = "data_protection"
    ANGER = "anger"
    LOW_CONFIDENCE = "low_confidence"
    DRAFT_REJECTED = "draft_rejected"
    RELEASED = "released"
    BOT_ERROR = "bot_error"


class Action(StrEnum):
    """A human decision, as written to the audit journal."""

    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"
    REGENERATE = "regenerate"
    TAKEOVER = "takeover"
    HANDBACK = "handback"
    RELEASE = "release"
    CLOSE = "close"
    PAUSE = "pause"
    RESUME = "resume"
    ERASE = "erase"
    CORRECT = "correct"
    COMPLAINT = "complaint"
    DSR_EXPORT = "dsr_export"
    DISABLE_OPERATOR = "disable"
    ROTATE_TOKEN = "rotate"
    RETENTION = "retention"
    FLAG_FAST_RUN = "fast_run"
    ASSIGN = "assign"
    DISCLOSURE = "disclosure"
    """A disclosure version opened its first chat (a system entry, once per version)."""


class EventType(StrEnum):
    """The `event:` field of the live stream."""

    CONVERSATION_CREATED = "conversation.created"
    CONVERSATION_UPDATED = "conversation.updated"
    MESSAGE_CREATED = "message.created"
    DRAFT_CREATED = "draft.created"
    DRAFT_DECIDED = "draft.decided"
    AUDIT_APPENDED = "audit.appended"
    AI_PAUSED = "ai.paused"
    AI_RESUMED = "ai.resumed"
    NOTE_CREATED = "note.created"
    RESET = "reset"


class ConnectionState(StrEnum):
    """How the live event stream is doing, as reported to a callback."""

    LIVE = "live"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
