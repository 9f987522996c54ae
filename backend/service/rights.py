"""Data subjects' rights and contest: access, erasure by person, complaints, corrections.

GDPR art. 15 (access), 17 (erasure), 22(3) (a person looks at it), and
AI Act art. 14(4)(d) (reversing an output that went out wrong).
"""

from __future__ import annotations

import hashlib

from backend_client import (
    Action,
    Author,
    ComplaintReceipt,
    ConversationDetail,
    ConversationStatus,
    DsrConversation,
    DsrDecision,
    DsrDraft,
    DsrExport,
    DsrMessage,
    DsrNote,
    ErasureResult,
    EscalationReason,
    ReasonCode,
)

from ..domain import policy, transitions
from ..domain.policy import Permission
from ..domain.transitions import Act
from ..errors import Conflict, Invalid, NotFound
from ..store import OperatorRecord
from .ai import AIDrafting

EMAIL_LIMIT = 320
"""The longest email address there is (RFC 3696 errata)."""
COMPLAINT_TEXT = (
    "Thank you for telling us. A person from our team will look at this conversation and "
    "reply here within {minutes} minutes."
)
"""What a complaining customer is told; `{minutes}` is the SLA."""
ABOUT = (
    "Everything this service holds about you: each conversation you had with our assistant, "
    "the AI notice you were shown, every message, the replies our AI proposed and what our "
    "staff decided about them (by role), with the reasons they gave."
)


def check_email(email: str) -> str:
    """An email to look a person up by: present, short enough, with an @."""
    email = email.strip()
    if not email or "@" not in email:
        raise Invalid("email", "must be an email address")
    if len(email) > EMAIL_LIMIT:
        raise Invalid("email", f"must be at most {EMAIL_LIMIT} characters")
    return email


def email_hash(email: str) -> str:
    """What stands for an email in answers and logs: a short hash of its lower-case form."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


class Rights(AIDrafting):
    """Access, erasure by person, complaints and corrections."""

    def erase_person(self, op: OperatorRecord, email: str) -> ErasureResult:
        """Admin: erase every conversation of the person with this email, in one transaction."""
        policy.require(op.role, Permission.ERASE)
        email = check_email(email)
        with self.store.transaction():
            cids = self.store.conversations_of_email(email)
            if not cids:
                raise NotFound("no conversation of a customer with this email")
            for cid in cids:
                self._supersede_pending(cid)
                self._move(cid, Act.ERASE, holder=None, waiting_since=None)
                self.store.erase_conversation(cid)
                self.record_decision(op, Action.ERASE, conversation_id=cid, note="by person")
                self._publish(cid)
        return ErasureResult(email_hash=email_hash(email), conversations=cids)

    def dsr_export(self, op: OperatorRecord, email: str) -> DsrExport:
        """Admin: everything held about the person with this email (GDPR art. 15); journaled."""
        policy.require(op.role, Permission.ERASE)
        email = check_email(email)
        cids = self.store.conversations_of_email(email)
        if not cids:
            raise NotFound("no conversation of a customer with this email")
        export = DsrExport(
            email=email,
            generated_at=self._now(),
            about=ABOUT,
            conversations=[self._dsr_conversation(cid) for cid in cids],
        )
        with self.store.transaction(scope=[f"operator:{op.id}"]):  # its entry alone
            self.record_decision(
                op, Action.DSR_EXPORT, note=f"access export of {len(cids)} conversation(s)"
            )
        return export

    def _dsr_conversation(self, cid: str) -> DsrConversation:
        detail = self._detail(cid)
        disclosure = next((m.text for m in detail.messages if m.author is Author.SYSTEM), None)
        return DsrConversation(
            id=cid,
            status=detail.status,
            created_at=detail.created_at,
            name=detail.customer.name,
            email=detail.customer.email,
            disclosure_shown=disclosure,
            disclosure_version=detail.disclosure_version,
            language=detail.customer.language,
            escalation_reason=detail.escalation_reason,
            messages=[
                DsrMessage(
                    at=m.created_at,
                    author=m.author,
                    text=m.text,
                    ai_generated=m.ai_generated,
                    edited_by_person=m.edited_by_person,
                    reviewed_by_person=m.reviewed_by is not None,
                    correction_of=m.correction_of,
                )
                for m in detail.messages
            ],
            drafts=[
                DsrDraft(
                    created_at=d.created_at,
                    text=d.text,
                    status=d.status,
                    flags=d.flags,
                    confidence=d.confidence,
                )
                for d in self.store.drafts_of(cid)
            ],
            decisions=[
                DsrDecision(
                    at=e.at,
                    action=e.action,
                    actor_role=e.role,
                    reason_code=e.reason_code,
                    note=e.note,
                )
                for e in self.store.audit_entries_for(cid)
            ],
            internal_notes=[
                DsrNote(at=n.created_at, text=n.text) for n in self.store.notes_of(cid)
            ],
        )

    def complain(self, cid: str, text: str | None) -> ComplaintReceipt:
        """Customer: a person must look at this. Escalates with reason `complaint`, says when."""
        if text is not None and text.strip():
            policy.check_text("text", text, self.settings.max_text_length)
        minutes = self.settings.complaint_reply_minutes
        with self._on_conversation(cid):
            row = self._conversation(cid)
            status = ConversationStatus(row["status"])
            if not transitions.allows(status, Act.CUSTOMER_WRITES):
                raise Conflict("this conversation is closed; start a new chat")
            if text is not None and text.strip():
                said = self._say(cid, Author.CUSTOMER, text)
                self._move(cid, Act.CUSTOMER_WRITES)
                if row["waiting_since"] is None:
                    self.store.update_conversation(cid, waiting_since=said.created_at.isoformat())
            status = ConversationStatus(self._conversation(cid)["status"])
            if transitions.allows(status, Act.ESCALATE):
                self._escalate(cid, EscalationReason.COMPLAINT, tell_customer=False)
            else:
                # Already with a person: the reason still changes, so the queue shows it.
                self._supersede_pending(cid)
                self.store.update_conversation(
                    cid,
                    escalation_reason=EscalationReason.COMPLAINT,
                    waiting_since=row["waiting_since"] or self.store.now(),
                )
            told = self._say(cid, Author.SYSTEM, COMPLAINT_TEXT.format(minutes=minutes))
            self._publish(cid)
        return ComplaintReceipt(
            conversation_id=cid,
            escalation_reason=EscalationReason.COMPLAINT.value,
            reply_within_minutes=minutes,
            message=told,
        )

    def correct(
        self,
        op: OperatorRecord,
        cid: str,
        mid: str,
        text: str,
        reason_code: ReasonCode,
        note: str | None,
    ) -> ConversationDetail:
        """Send a correction of an earlier delivered message, marked as such, journaled."""
        policy.require(op.role, Permission.DECIDE)
        policy.check_text("text", text, self.settings.max_text_length)
        note = policy.check_reason(reason_code, note)
        with self._on_conversation(cid, op):
            row = self._conversation(cid)
            if row["erased_at"] is not None:
                raise Conflict("this conversation was erased")
            original = self.store.message(cid, mid)
            if original is None:
                raise NotFound(f"no message {mid!r} in this conversation")
            if original.author not in (Author.AI, Author.HUMAN):
                raise Invalid("message", "only a reply from the AI or a person can be corrected")
            self._say(
                cid,
                Author.HUMAN,
                text,
                operator=op.id,
                correction_of=mid,
                correction_reason=reason_code.value,
            )
            self.record_decision(
                op,
                Action.CORRECT,
                conversation_id=cid,
                reason_code=reason_code,
                note=f"{note}\ncorrects: {mid}" if note else f"corrects: {mid}",
                final_text=text,
            )
            self._publish(cid)
            return self._answer(cid)
