"""Wire models of the oversight duties: pause, rights of data subjects, complaints, corrections."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ._enums import Action, Author, ConversationStatus, DraftStatus, Flag, ReasonCode, Role
from ._models import Message, WireModel

CALIBRATION_NOTICE = "Calibration check:"
"""How the system message that tells a reviewer about a calibration draft begins."""


class PauseRequest(WireModel):
    """Supervisor: stop all AI sending, saying why and, optionally, until when."""

    reason: str
    until: datetime | None = None
    """When the pause ends on its own; None: until someone resumes."""


class SubjectRequest(WireModel):
    """A data subject, named by the email they gave."""

    email: str


class ErasureResult(WireModel):
    """What an erasure by person did."""

    email_hash: str
    """Not the email itself: the answer is logged by tools, the address must not be."""
    conversations: list[str]


class DsrMessage(WireModel):
    """A message as the person sees it in their access export."""

    at: datetime
    author: Author
    text: str
    ai_generated: bool
    edited_by_person: bool
    reviewed_by_person: bool
    correction_of: str | None = None


class DsrDraft(WireModel):
    """A reply the AI proposed about them, and what became of it."""

    created_at: datetime
    text: str
    status: DraftStatus
    flags: list[Flag] = Field(default_factory=list)
    confidence: float


class DsrDecision(WireModel):
    """A decision a person took about the conversation: the role, not the name."""

    at: datetime
    action: Action
    actor_role: Role
    reason_code: ReasonCode | None = None
    note: str | None = None


class DsrNote(WireModel):
    """An internal note on one of the person's conversations."""

    at: datetime
    text: str


class DsrConversation(WireModel):
    """One conversation of the person."""

    id: str
    status: ConversationStatus
    created_at: datetime
    name: str
    email: str | None
    disclosure_shown: str | None
    """The AI disclosure that opened the conversation, word for word."""
    disclosure_version: str | None = None
    """Its version (the first 16 hex digits of the text's SHA-256), as recorded at the start."""
    language: str | None = None
    """The customer's language as their channel gave it (a BCP 47 tag), if it did."""
    escalation_reason: str | None = None
    messages: list[DsrMessage]
    drafts: list[DsrDraft]
    decisions: list[DsrDecision]
    internal_notes: list[DsrNote] = []
    """What colleagues noted about the conversation (never shown to the customer in chat)."""


class DsrExport(WireModel):
    """Everything hitl holds about one person (GDPR art. 15), as one document."""

    email: str
    generated_at: datetime
    about: str
    conversations: list[DsrConversation]


class ComplaintRequest(WireModel):
    """Customer: I want a person to look at this (GDPR art. 22(3))."""

    text: str | None = None


class ComplaintReceipt(WireModel):
    """What the complaining customer is told."""

    conversation_id: str
    escalation_reason: str
    reply_within_minutes: int
    message: Message


class CorrectionRequest(WireModel):
    """Operator: correct a message that went out wrong (AI Act art. 14(4)(d))."""

    text: str
    reason_code: ReasonCode
    note: str | None = None


class OperatorChange(WireModel):
    """What an operator change did; `token` only when a new one was made (shown once)."""

    id: str
    name: str
    role: Role
    active: bool
    token: str | None = None


class CalibrationItem(WireModel):
    """A known-bad draft a supervisor loads: what a customer said, the bad reply, what is wrong."""

    customer_message: str
    bad_draft: str
    what_is_wrong: str


class CalibrationLoad(WireModel):
    """Supervisor: a file of known-bad drafts to seed reviewers' queues with."""

    items: list[CalibrationItem] = Field(max_length=1000)


class CalibrationSeeding(WireModel):
    """Supervisor: the share of new conversations that bring a calibration draft along."""

    rate: float = Field(ge=0, le=1)


class CalibrationState(WireModel):
    """The calibration drafts: how many are loaded, the seeding rate, and the outcomes."""

    items: int
    rate: float
    seeded: int
    catches: int
    misses: int
