"""What every part of the service shares: the store, the status machine, and the events.

The service decides which events exist: each change it makes to the store is
followed by the event that announces it, in the same transaction. The store
only persists what it is handed (and passes it to listeners after commit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from backend_client import (
    Action,
    Author,
    ConversationDetail,
    ConversationStatus,
    ConversationSummary,
    Draft,
    DraftStatus,
    EscalationReason,
    EventType,
    Message,
    ReasonCode,
)

from ..bots.base import Bot
from ..checkpoints import configured_secret
from ..domain import policy, transitions
from ..domain.transitions import Act
from ..errors import NotFound
from ..settings import Settings
from ..store import OperatorRecord, StoreProtocol

log = logging.getLogger("hitl.backend")

HANDOFF_TEXT = "I'm bringing in a person from our team. They will reply here shortly."
"""What the customer is told when their conversation escalates to a human."""


@dataclass(frozen=True)
class KeyClaim:
    """The Idempotency-Key a decision runs under: its answer is remembered with its effect."""

    operator_id: str
    key: str
    fingerprint: str


CLAIM: ContextVar[KeyClaim | None] = ContextVar("hitl_idempotency_claim", default=None)
"""The key of the decision running in this task, if it came with one."""


class ServiceCore:
    """The store, settings and bot, and the moves every aggregate makes with them."""

    def __init__(self, store: StoreProtocol, settings: Settings, bot: Bot) -> None:
        self.store = store
        self.settings = settings
        self.bot = bot
        # From the settings or a file outside the database when configured (issue 14.5).
        self.secret = store.secret(configured_secret(settings))

    def _now(self) -> datetime:
        return self.store.clock()

    def _on_conversation(
        self, cid: str, operator: OperatorRecord | None = None
    ) -> AbstractContextManager[Any]:
        """A transaction that decides on one conversation (and, given, one operator's own
        records) and writes nothing else but journal entries and events: on PostgreSQL it
        runs beside those on other conversations (`store.Connection.transaction`)."""
        scope = [f"conversation:{cid}"] + ([f"operator:{operator.id}"] if operator else [])
        return self.store.transaction(scope=scope)

    def _conversation(self, cid: str) -> dict[str, Any]:
        row = self.store.conversation_row(cid)
        if row is None:
            raise NotFound(f"no conversation {cid!r}")
        return row

    def _detail(self, cid: str) -> ConversationDetail:
        detail = self.store.detail(cid)
        if detail is None:
            raise NotFound(f"no conversation {cid!r}")
        problem = self.store.delivery_problem(cid)
        if problem is not None:
            detail = detail.model_copy(update={"delivery_problem": problem})
        return detail

    def _current(self, cid: str) -> dict[str, Any]:
        return self._detail(cid).model_dump(mode="json")

    def _name(self, operator_id: str | None) -> str:
        return self.store.operator_name(operator_id) or "nobody"

    @property
    def paused(self) -> bool:
        """Whether all AI sending is stopped (a pause with an end stops at that end)."""
        meta = self.store.get_meta
        return policy.pause_in_force(meta("ai_paused"), meta("ai_paused_until"), self._now())

    # -- status changes: every one goes through the table ------------------------------------

    def _move(self, cid: str, act: Act, **fields: Any) -> ConversationStatus:
        """Apply `act` to the conversation's status (409 if refused), with other field changes."""
        status = transitions.move(ConversationStatus(self._conversation(cid)["status"]), act)
        if status is ConversationStatus.CLOSED:
            # Retention counts from here: personal data is kept so long after the close.
            fields.setdefault("closed_at", self.store.now())
        if act is Act.TAKEOVER:
            self.store.escalation_taken(cid)
        self.store.update_conversation(cid, status=status, **fields)
        return status

    def _escalate(
        self,
        cid: str,
        reason: EscalationReason,
        *,
        tell_customer: bool,
        act: Act = Act.ESCALATE,
        detail: str | None = None,
    ) -> None:
        self._supersede_pending(cid)
        # A person answers now: a draft still being written for this chat is moot.
        self.store.close_open_jobs(cid)
        row = self._conversation(cid)
        self.store.add_escalation(cid, reason.value)
        self._move(
            cid,
            act,
            escalation_reason=reason,
            escalation_detail=detail,
            waiting_since=row["waiting_since"] or self.store.now(),
        )
        if tell_customer:
            self._say(cid, Author.SYSTEM, HANDOFF_TEXT)

    def _deliver_ai(
        self, draft: Draft, status: DraftStatus, operator: str | None, text: str
    ) -> None:
        self._decide_draft(draft.id, status, decided_by=operator, final_text=text)
        self._say(
            draft.conversation_id,
            Author.AI,
            text,
            operator=operator,
            draft_id=draft.id,
            edited_by_person=status is DraftStatus.EDITED,
        )
        self._move(draft.conversation_id, Act.AI_SENDS, waiting_since=None, escalation_reason=None)

    def _supersede_pending(self, cid: str) -> None:
        draft = self.store.pending_draft(cid)
        if draft is not None:
            self._decide_draft(draft.id, DraftStatus.SUPERSEDED, decided_by=None)

    # -- changes with the events that announce them --------------------------------------------

    def delivery_changed(self, cid: str) -> None:
        """A channel stopped (or started again) taking this chat's deliveries: announce the
        conversation, so a console showing it fetches "not delivered: …" (or its end)."""
        with self.store.transaction():
            if self.store.conversation_row(cid) is not None:
                self._publish(cid)

    def _emit(self, kind: EventType, cid: str | None, payload: BaseModel) -> None:
        self.store.append_event(kind, cid, payload.model_dump(mode="json"))

    def _publish(self, cid: str, *, created: bool = False) -> ConversationSummary:
        """One version bump for this transaction's changes, announced with the new summary."""
        summary = self.store.touch_conversation(cid, created=created)
        kind = EventType.CONVERSATION_CREATED if created else EventType.CONVERSATION_UPDATED
        self._emit(kind, cid, summary)
        return summary

    def _say(
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
        message = self.store.add_message(
            cid,
            author,
            text,
            operator=operator,
            draft_id=draft_id,
            edited_by_person=edited_by_person,
            correction_of=correction_of,
            correction_reason=correction_reason,
        )
        self._emit(EventType.MESSAGE_CREATED, cid, message)
        return message

    def _decide_draft(
        self,
        did: str,
        status: DraftStatus,
        *,
        decided_by: str | None,
        final_text: str | None = None,
    ) -> Draft:
        draft = self.store.decide_draft(did, status, decided_by=decided_by, final_text=final_text)
        self._emit(EventType.DRAFT_DECIDED, draft.conversation_id, draft)
        return draft

    def record_decision(
        self,
        operator: OperatorRecord,
        action: Action,
        *,
        conversation_id: str | None = None,
        draft: Draft | None = None,
        reason_code: ReasonCode | None = None,
        note: str | None = None,
        final_text: str | None = None,
    ) -> None:
        """The one door every human decision passes through: its journal entry.

        Called inside the decision's transaction, so the entry and the effect
        commit together or not at all.
        """
        cid = conversation_id or (draft.conversation_id if draft else None)
        entry = self.store.append_audit(
            self.secret,
            operator=operator,
            action=action,
            reason_code=reason_code.value if reason_code else None,
            note=note,
            conversation_id=cid,
            draft_id=draft.id if draft else None,
            bot=draft.bot if draft else None,
            ai_text=draft.text if draft else None,
            final_text=final_text,
        )
        self._emit(EventType.AUDIT_APPENDED, cid, entry)

    def _answer(self, cid: str, journal: Callable[[], None] | None = None) -> ConversationDetail:
        """A decision's response, remembered for its Idempotency-Key inside its transaction.

        Called last in the decision's transaction: the key's record commits
        with the effect or not at all, so a retry after any failure either
        runs the decision afresh or gets this answer, never a 409 for a
        decision that did apply. `journal`, the decision's `record_decision`,
        runs after the answer is read: the journal's head, which every process
        shares, is then held only for the end of the transaction.
        """
        detail = self._detail(cid)
        if journal is not None:
            journal()
        claim = CLAIM.get()
        if claim is not None:
            self.store.remember_response(
                claim.operator_id, claim.key, claim.fingerprint, detail.model_dump_json()
            )
        return detail
