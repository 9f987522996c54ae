"""What the service needs from a store: the `StoreProtocol` every implementation provides.

The service, the event hub and the routes depend on this protocol, not on
SQLite: PostgreSQL will be a second implementation of the same methods.
Writes happen inside `transaction()`; events appended during it reach
`listeners` only after it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from backend_client import (
    Action,
    AuditEntry,
    AuditQuery,
    Author,
    BotIdentity,
    ConversationDetail,
    ConversationSummary,
    Customer,
    Draft,
    DraftStatus,
    Event,
    EventType,
    Message,
    Page,
    QueueQuery,
    Role,
    Source,
)

from ..domain.metrics import DecisionRow
from .common import EventListener, OperatorRecord
from .jobs import DraftJob
from .oversight_protocol import OversightStoreProtocol
from .workday_protocol import WorkdayStoreProtocol


class StoreProtocol(WorkdayStoreProtocol, OversightStoreProtocol, Protocol):
    """Every read and write the backend makes, whatever database is behind it."""

    path: Path | str | None
    """The database file, for work on a connection of its own; None when there is none."""
    clock: Callable[[], datetime]
    listeners: list[EventListener]
    """Told the events of each transaction after it commits."""
    erasure_listeners: list[Callable[[str], None]]
    """Told the id of each erased conversation, after the erasure committed."""

    # -- the connection, its transactions and settings -----------------------

    def close(self) -> None:
        """Close the connection."""
        ...

    def now(self) -> str:
        """The current time as stored."""
        ...

    def transaction(self, *, scope: Sequence[str] = ()) -> AbstractContextManager[Any]:
        """One atomic unit of work; events reach listeners only once it commits.

        `scope`: the things it decides on (a conversation, an operator, ...)
        (`common.Connection.transaction`)."""
        ...

    def widen_scope(self, *names: str) -> None:
        """Add to the current transaction's scope (`common.Connection.widen_scope`)."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A stored setting, or None."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting (inside or outside a transaction)."""
        ...

    def secret(self, configured: str | None) -> str:
        """The journal's HMAC key: the configured one, or one made once and kept here."""
        ...

    # -- the event log -------------------------------------------------------

    def append_event(
        self, type: EventType, conversation_id: str | None, data: dict[str, Any]
    ) -> None:
        """Append an event in the current transaction (written, with its id, as it commits)."""
        ...

    def events_after(self, after: int, limit: int = 1000) -> list[Event]:
        """Events with an id above `after`, oldest first."""
        ...

    def event_bounds(self) -> tuple[int, int]:
        """The oldest id retention still keeps and the newest id given out ((0, 0) before any)."""
        ...

    def trim_events(self, keep: int) -> None:
        """Forget all but the newest `keep` events."""
        ...

    # -- operators -----------------------------------------------------------

    def add_operator(self, name: str, role: Role) -> tuple[OperatorRecord, str]:
        """Create an operator; returns it and its bearer token (never stored in clear)."""
        ...

    def operator_by_token(self, token: str) -> OperatorRecord | None:
        """The operator a bearer token belongs to."""
        ...

    def operator_name(self, operator_id: str | None) -> str | None:
        """An operator's display name."""
        ...

    def list_operators(self) -> list[OperatorRecord]:
        """Every operator."""
        ...

    # -- messages ------------------------------------------------------------

    def add_message(
        self,
        cid: str,
        author: Author,
        text: str,
        *,
        operator: str | None = None,
        draft_id: str | None = None,
        edited_by_person: bool = False,
        correction_of: str | None = None,
        correction_reason: str | None = None,
    ) -> Message:
        """Deliver a message (in the current transaction)."""
        ...

    def messages(self, cid: str, after: str | None = None) -> list[Message]:
        """A conversation's delivered messages in order, optionally after message `after`."""
        ...

    def message_exists(self, cid: str, mid: str) -> bool:
        """Whether message `mid` belongs to conversation `cid`."""
        ...

    def last_customer_message_id(self, cid: str) -> str | None:
        """The id of the customer's latest message."""
        ...

    def reply_after(self, cid: str, at: str) -> str | None:
        """The first text a person let out after `at`: a human message or an approved AI one."""
        ...

    # -- drafting jobs (store/jobs.py) -----------------------------------------

    def add_draft_job(self, cid: str, message_id: str) -> int:
        """Queue a job for `message_id`; older open jobs of the conversation are superseded."""
        ...

    def next_draft_job(self, cid: str) -> DraftJob | None:
        """The conversation's open job, if any."""
        ...

    def start_draft_job(self, job_id: int, lease: float = ...) -> bool:
        """Mark a job running for this process; False when another process holds it."""
        ...

    def finish_draft_job(self, job_id: int, state: str) -> None:
        """Close a job as `done`, `superseded` or `failed`."""
        ...

    def draft_job_open(self, job_id: int) -> bool:
        """Whether the job still waits for its draft."""
        ...

    def release_dead_leases(self) -> None:
        """At a backend's start: give up the leases only a dead process can hold."""
        ...

    def conversations_with_open_jobs(self, *, orphaned_only: bool = False) -> list[str]:
        """Conversations whose draft was still being written."""
        ...

    def count_flagged_drafts(self, flag: str) -> int:
        """How many drafts ever carried `flag`."""
        ...

    def close_open_jobs(self, cid: str, state: str = "superseded") -> None:
        """Close every open job of a conversation."""
        ...

    # -- drafts --------------------------------------------------------------

    def add_draft(
        self,
        cid: str,
        *,
        text: str,
        confidence: float,
        rationale: str,
        sources: list[Source],
        flags: list[str],
        bot: BotIdentity,
        instruction: str | None,
        send_at: str | None,
    ) -> Draft:
        """Insert a pending draft (in the current transaction)."""
        ...

    def draft(self, did: str) -> Draft | None:
        """A draft by id."""
        ...

    def draft_conversation(self, did: str) -> str | None:
        """The conversation a draft belongs to (it never changes), or None without the draft."""
        ...

    def pending_draft(self, cid: str) -> Draft | None:
        """The draft waiting for a decision in a conversation, if any."""
        ...

    def drafts_of(self, cid: str) -> list[Draft]:
        """Every draft of a conversation, oldest first."""
        ...

    def decide_draft(
        self,
        did: str,
        status: DraftStatus,
        *,
        decided_by: str | None,
        final_text: str | None = None,
    ) -> Draft:
        """Record a draft's fate (in the current transaction), bump its version."""
        ...

    def due_drafts(self) -> list[Draft]:
        """Pending drafts whose hold window has passed."""
        ...

    # -- conversations -------------------------------------------------------

    def create_conversation(self, customer: Customer, customer_token: str) -> str:
        """Insert a new conversation (in the current transaction); returns its id."""
        ...

    def conversation_row(self, cid: str) -> dict[str, Any] | None:
        """A conversation's raw row."""
        ...

    def customer_token_matches(self, cid: str, token: str) -> bool:
        """Whether `token` is the customer token of conversation `cid`."""
        ...

    def update_conversation(self, cid: str, **fields: Any) -> None:
        """Change fields of a conversation (no version bump: see `touch_conversation`)."""
        ...

    def touch_conversation(self, cid: str, *, created: bool = False) -> ConversationSummary:
        """Bump the version once for this transaction's changes; returns the new summary."""
        ...

    def detail(self, cid: str) -> ConversationDetail | None:
        """A conversation with its transcript and pending draft."""
        ...

    def delivery_problem(self, cid: str) -> str | None:
        """Why the newest failing outbox delivery of a chat has not gone out, if one fails."""
        ...

    def list_conversations(
        self, query: QueueQuery | None = None, /, **fields: Any
    ) -> Page[ConversationSummary]:
        """The queue, longest waiting first, by keyset pagination."""
        ...

    def queue_counts(self) -> dict[str, int]:
        """Open conversations per status."""
        ...

    # -- the journal ---------------------------------------------------------

    def append_audit(
        self,
        secret: str,
        *,
        operator: OperatorRecord,
        action: Action,
        reason_code: str | None,
        note: str | None,
        conversation_id: str | None,
        draft_id: str | None,
        bot: BotIdentity | None,
        ai_text: str | None,
        final_text: str | None,
    ) -> AuditEntry:
        """Append one entry to the hash chain (in the current transaction)."""
        ...

    def audit_rows(self) -> Iterator[dict[str, Any]]:
        """Every journal entry with its texts, in `seq` order (for verification and export)."""
        ...

    def audit_entries_for(self, cid: str) -> list[AuditEntry]:
        """A conversation's journal entries, in order."""
        ...

    def list_audit(self, query: AuditQuery | None = None, /, **fields: Any) -> Page[AuditEntry]:
        """The journal, newest first, filtered, by keyset pagination on `seq`."""
        ...

    def decision_rows(self) -> Iterator[DecisionRow]:
        """Every human decision on a draft, with the draft's creation time and flags."""
        ...

    def override_entries(
        self, *, since: str | None, reason_code: str | None, after_seq: int, limit: int
    ) -> list[dict[str, Any]]:
        """Journal entries that overrode a draft (edit, reject, regenerate), oldest first."""
        ...

    # -- idempotency records -------------------------------------------------

    def idempotent_response(self, operator_id: str, key: str) -> tuple[str, str] | None:
        """The (fingerprint, response JSON) stored for an operator's Idempotency-Key."""
        ...

    def remember_response(
        self, operator_id: str, key: str, fingerprint: str, response: str
    ) -> None:
        """Keep the first response to an Idempotency-Key (in the decision's own transaction)."""
        ...

    def update_response(self, operator_id: str, key: str, response: str) -> None:
        """Replace a key's response with the decision's final one (after work outside it)."""
        ...

    # -- erasure -------------------------------------------------------------

    def erase_conversation(self, cid: str, *, keep_journal_texts: bool = False) -> None:
        """Forget what a customer and anyone answering them wrote (GDPR art. 17)."""
        ...
