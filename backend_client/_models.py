"""Pydantic models of every object that crosses the wire.

The backend builds its responses from these models and the client parses
responses into them, so the two can never disagree about a field. The enums
they use live in `_enums`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import Field

from ._enums import (
    Action,
    Author,
    ConversationStatus,
    DraftStatus,
    EscalationReason,
    EventType,
    Flag,
    ReasonCode,
    ReviewMode,
    Role,
)
from ._wire import EMAIL_MAX, NAME_MAX, NOTE_MAX, TEXT_MAX
from ._wire import WireModel as WireModel  # re-exported: the other wire modules build on it
from ._workday import Note

T = TypeVar("T")

LANGUAGE_TAG_PATTERN = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,7}$"
"""A BCP 47 language tag as a channel sends it (`de`, `de-AT`, `zh-Hant-TW`)."""


class Page(WireModel, Generic[T]):
    """Every list in the API: a page of items and the cursor of the next page."""

    items: list[T]
    next_cursor: str | None = None


class Customer(WireModel):
    """The person on the other side of the chat."""

    name: str = Field(max_length=NAME_MAX)
    email: str | None = Field(None, max_length=EMAIL_MAX)
    language: str | None = Field(None, max_length=35, pattern=LANGUAGE_TAG_PATTERN)
    """The customer's language as a BCP 47 tag, when the channel knows it: it picks
    the disclosure (`de-AT` falls back to `de`, then to the default)."""


class Operator(WireModel):
    """A person using the console."""

    id: str
    name: str
    role: Role
    active: bool = True
    """False once disabled or when its token expired."""


class Message(WireModel):
    """A message the customer can see (delivered)."""

    id: str
    conversation_id: str
    author: Author
    text: str
    created_at: datetime
    operator: str | None = None
    """The operator who wrote (human) or approved (ai) it."""
    draft_id: str | None = None
    """For `ai` messages: the draft it came from."""
    ai_generated: bool = False
    """True for every message the AI wrote, shown as such to the customer."""
    edited_by_person: bool = False
    """True when a person changed the AI's draft before it went out."""
    reviewed_by: str | None = None
    """The operator who approved, edited or wrote it; None when nobody reviewed it."""
    correction_of: str | None = None
    """For a correction: the id of the earlier message it corrects."""
    correction_reason: ReasonCode | None = None
    """For a correction: why the earlier message was wrong."""


class Source(WireModel):
    """A knowledge-base entry a draft relied on."""

    id: str
    title: str
    score: float = 0.0
    url: str | None = None
    """Where the article lives for people (front matter `url`), if it says."""
    passage: str | None = None
    """The text the draft was grounded in (the cited passage)."""


class BotIdentity(WireModel):
    """Which bot, and which model, wrote a draft."""

    name: str
    model: str


class Draft(WireModel):
    """An AI reply waiting for, or past, a human decision."""

    id: str
    conversation_id: str
    text: str
    confidence: float
    rationale: str
    sources: list[Source] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    status: DraftStatus
    version: int
    created_at: datetime
    send_at: datetime | None = None
    """In review mode `flagged`: when it goes out on its own unless someone decides."""
    bot: BotIdentity | None = None
    instruction: str | None = None
    """The operator's instruction this draft was regenerated with."""
    decided_by: str | None = None
    decided_at: datetime | None = None
    final_text: str | None = None
    ordinal: int | None = None  # which of its conversation's drafts (1 = the first)


class ConversationSummary(WireModel):
    """One row of the queue."""

    id: str
    status: ConversationStatus
    version: int
    priority: int = 0
    holder: str | None = None
    customer: Customer
    escalation_reason: EscalationReason | None = None
    waiting_since: datetime | None = None
    """Since when the customer has been waiting for a human or a reply."""
    created_at: datetime
    updated_at: datetime
    last_message: str = ""
    """A preview of the last delivered message."""
    flags: list[Flag] = Field(default_factory=list)
    """Flags of the pending draft, if any."""
    draft_id: str | None = None
    """The pending draft, if any."""
    drafting: bool = False
    """The AI is writing a draft for the customer's last message right now."""
    escalation_detail: str | None = None
    """Why, in words, when the AI gave up (reason `bot_error`: what the model did)."""
    assignee: str | None = None
    """The operator (id) this conversation is assigned to, if anyone."""


class ConversationDetail(ConversationSummary):
    """One conversation with its transcript and pending draft."""

    messages: list[Message] = Field(default_factory=list)
    draft: Draft | None = None
    disclosure_version: str | None = None
    """Which disclosure opened the chat: the first 16 hex digits of its text's SHA-256
    (None for chats from before versions were recorded)."""
    delivery_problem: str | None = None
    """Why something of this chat has not reached its channel (Chatwoot, a webhook) yet:
    the last failed attempt's reason, while it is retried or after it was given up.
    None when everything went out."""


class AIState(WireModel):
    """Whether the AI may send, and how its drafts are reviewed."""

    paused: bool
    review_mode: ReviewMode
    confidence_threshold: float
    hold_seconds: float
    bot: BotIdentity
    reason: str | None = None
    """Why the AI is paused (while paused)."""
    until: datetime | None = None
    """When the pause ends on its own, if it was given an end."""
    paused_by: str | None = None
    """The supervisor who paused it (while paused)."""
    complaint_reply_minutes: int | None = None
    """The SLA a complaining customer is told: a person replies within this many minutes."""
    max_text_length: int | None = None  # the longest text (message, edit) accepted


class _NoteMixin(WireModel):
    note: str | None = Field(None, max_length=NOTE_MAX)
    """Free text; required by the backend when `reason_code` is `other`."""


class EditRequest(_NoteMixin):
    """Send this text instead of the draft."""

    text: str = Field(max_length=TEXT_MAX)
    reason_code: ReasonCode


class RejectRequest(_NoteMixin):
    """Discard the draft; the conversation escalates unless `regenerate` is set."""

    reason_code: ReasonCode
    regenerate: bool = False


class RegenerateRequest(_NoteMixin):
    """Ask the AI for a new draft, guided by an instruction."""

    instruction: str = Field(max_length=NOTE_MAX)
    reason_code: ReasonCode


class ReasonRequest(_NoteMixin):
    """A decision that only needs a reason: takeover, force-release."""

    reason_code: ReasonCode


class SendMessageRequest(WireModel):
    """The holder of a conversation writes to the customer."""

    text: str = Field(max_length=TEXT_MAX)


class StartChatRequest(WireModel):
    """A customer starts a chat."""

    customer: Customer


class ChatStarted(WireModel):
    """The id of a new chat and the token the customer uses from now on."""

    id: str
    customer_token: str


class Event(WireModel):
    """One entry of the live stream."""

    id: int
    type: EventType
    at: datetime
    conversation_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class AuditEntry(WireModel):
    """One human decision in the tamper-evident journal."""

    seq: int
    at: datetime
    actor: str
    actor_name: str | None = None
    """The operator's display name (read from the operators table; not hashed)."""
    role: Role
    action: Action
    reason_code: ReasonCode | None = None
    note: str | None = None
    conversation_id: str | None = None
    draft_id: str | None = None
    bot: BotIdentity | None = None
    ai_text: str | None = None
    """The AI's text, or null when it was erased or there was none."""
    final_text: str | None = None
    """The text that went out, or null when it was erased or there was none."""
    ai_text_hmac: str | None = None
    final_text_hmac: str | None = None
    prev_hash: str
    hash: str


class VerifyResult(WireModel):
    """The outcome of checking the journal's hash chain."""

    ok: bool
    entries: int
    head: str | None
    first_bad: int | None = None
    reason: str | None = None


class TimelineItem(WireModel):
    """One step of a conversation's history: a message, a draft or a decision."""

    kind: str
    """`message`, `draft`, `decision` or `note` (internal, never shown to the customer)."""
    at: datetime
    message: Message | None = None
    draft: Draft | None = None
    decision: AuditEntry | None = None
    note: Note | None = None


class Timeline(WireModel):
    """A conversation's history in order, for replay."""

    conversation: ConversationSummary
    items: list[TimelineItem]


class FieldError(WireModel):
    """One invalid field of a request."""

    field: str
    message: str


class Problem(WireModel):
    """An RFC 9457 problem document: every error the API returns."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    """For 422: which fields were wrong and why."""
    holder: str | None = None
    """For a 409 on a held conversation: who holds it."""
    current: dict[str, Any] | None = None
    """For 409/412: the current state of what was asked about."""


class RateRow(WireModel):
    """Decisions and overrides for one slice (a reason, an operator, a flag)."""

    key: str
    decisions: int
    overrides: int
    rate: float
    """overrides / decisions (0 when there were none)."""


class Metrics(WireModel):
    """How humans and the AI are doing: `GET /v1/metrics`."""

    decisions: int
    """Human decisions on drafts (approve, edit, reject, regenerate)."""
    overrides: int
    """Of those, the ones that overrode the AI (edit, reject, regenerate)."""
    override_rate: float
    by_reason: list[RateRow]
    """Overrides per reason code (`decisions` is the total, for the rate)."""
    by_operator: list[RateRow]
    by_flag: list[RateRow]
    review_seconds_p50: float | None
    """Median time from draft to human decision."""
    review_seconds_p90: float | None
    fast_approval_seconds: float
    """Approvals faster than this may not be meaningful review (GDPR art. 22)."""
    fast_approvals: list[RateRow]
    """Per operator: approvals (`decisions`) and how many were fast (`overrides`)."""
    queue: dict[str, int]
    """Open conversations per status, now."""
    decisions_per_minute: list[int]
    """The last 30 minutes, oldest first."""
    ungrounded_drafts: int = 0
    """Drafts flagged `ungrounded`: they cited none of the passages they were given."""


class ContextTurn(WireModel):
    """One message of the conversation before a draft, for training."""

    author: Author
    text: str


class TrainingPair(WireModel):
    """A preference pair from one human override: what the AI wrote vs. what a human chose."""

    conversation_id: str
    draft_id: str
    audit_seq: int
    at: datetime
    action: Action
    context: list[ContextTurn]
    rejected: str
    """The AI's draft."""
    chosen: str | None
    """What a human sent instead; null for a rejection nobody answered yet."""
    reason_code: ReasonCode | None
    note: str | None
    operator_role: Role
    bot: BotIdentity | None
    masked: bool
