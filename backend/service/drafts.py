"""Decisions on drafts: approve, edit, reject, regenerate."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from backend_client import (
    Action,
    ConversationDetail,
    Draft,
    DraftStatus,
    EscalationReason,
    ReasonCode,
)

from ..domain import policy
from ..domain.policy import Permission
from ..domain.transitions import Act
from ..errors import Conflict, NotFound
from ..store import OperatorRecord
from .ai import AIDrafting


class DraftDecisions(AIDrafting):
    """A human's verdict on what the AI proposed."""

    def _deciding(self, op: OperatorRecord, did: str) -> AbstractContextManager[Any]:
        """A decision's transaction, scoped to the draft's conversation and the operator.
        Without the draft, a plain one: `_pending_draft` then says it is not there."""
        cid = self.store.draft_conversation(did)
        return self.store.transaction() if cid is None else self._on_conversation(cid, op)

    def _pending_draft(self, operator: OperatorRecord, did: str, if_match: int | None) -> Draft:
        """The draft to decide, if this operator may decide it now."""
        policy.require(operator.role, Permission.DECIDE)
        draft = self.store.draft(did)
        if draft is None:
            raise NotFound(f"no draft {did!r}")
        if draft.status is not DraftStatus.PENDING:
            who = f" by {self._name(draft.decided_by)}" if draft.decided_by else ""
            raise Conflict(
                f"this draft is no longer pending: it was {draft.status.value}{who}",
                current=self._current(draft.conversation_id),
            )
        policy.check_version(if_match, draft.version, "draft")
        row = self._conversation(draft.conversation_id)
        if row["holder"] not in (None, operator.id):
            raise Conflict(
                f"{self._name(row['holder'])} holds this conversation",
                holder=row["holder"],
                current=self._current(draft.conversation_id),
            )
        return draft

    def approve(self, op: OperatorRecord, did: str, if_match: int | None) -> ConversationDetail:
        """Send the draft as written."""
        with self._deciding(op, did):
            draft = self._pending_draft(op, did, if_match)
            self._refuse_while_paused()
            self._deliver_ai(draft, DraftStatus.APPROVED, op.id, draft.text)
            self._publish(draft.conversation_id)
            return self._answer(
                draft.conversation_id,
                lambda: self.record_decision(
                    op, Action.APPROVE, draft=draft, final_text=draft.text
                ),
            )

    def edit(
        self,
        op: OperatorRecord,
        did: str,
        if_match: int | None,
        text: str,
        reason_code: ReasonCode,
        note: str | None,
    ) -> ConversationDetail:
        """Send the operator's text instead of the draft."""
        policy.check_text("text", text, self.settings.max_text_length)
        note = policy.check_reason(reason_code, note)
        with self._deciding(op, did):
            draft = self._pending_draft(op, did, if_match)
            self._refuse_while_paused()
            self._deliver_ai(draft, DraftStatus.EDITED, op.id, text)
            self._publish(draft.conversation_id)
            return self._answer(
                draft.conversation_id,
                lambda: self.record_decision(
                    op,
                    Action.EDIT,
                    draft=draft,
                    reason_code=reason_code,
                    note=note,
                    final_text=text,
                ),
            )

    async def reject(
        self,
        op: OperatorRecord,
        did: str,
        if_match: int | None,
        reason_code: ReasonCode,
        note: str | None,
        regenerate: bool,
    ) -> ConversationDetail:
        """Discard the draft; escalate, or ask the AI again when `regenerate`."""
        note = policy.check_reason(reason_code, note)
        with self._deciding(op, did):
            draft = self._pending_draft(op, did, if_match)
            cid = draft.conversation_id
            self._decide_draft(did, DraftStatus.REJECTED, decided_by=op.id)
            if regenerate:
                self._move(cid, Act.DRAFT_DISCARDED)
            else:
                self._escalate(cid, EscalationReason.DRAFT_REJECTED, tell_customer=False)
            self._publish(cid)
            self._answer(
                cid,
                lambda: self.record_decision(
                    op, Action.REJECT, draft=draft, reason_code=reason_code, note=note
                ),
            )
        if regenerate:
            await self.draft_reply(cid)
        return self._detail(cid)

    async def regenerate(
        self,
        op: OperatorRecord,
        did: str,
        if_match: int | None,
        instruction: str,
        reason_code: ReasonCode,
        note: str | None,
    ) -> ConversationDetail:
        """Discard the draft and ask the AI for a new one that follows `instruction`."""
        policy.check_text("instruction", instruction, self.settings.max_text_length)
        note = policy.check_reason(reason_code, note)
        with self._deciding(op, did):
            draft = self._pending_draft(op, did, if_match)
            cid = draft.conversation_id
            self._decide_draft(did, DraftStatus.REJECTED, decided_by=op.id)
            self._move(cid, Act.DRAFT_DISCARDED)
            self._publish(cid)
            told = f"instruction: {instruction}"
            self._answer(
                cid,
                lambda: self.record_decision(
                    op,
                    Action.REGENERATE,
                    draft=draft,
                    reason_code=reason_code,
                    note=f"{note}\n{told}" if note else told,
                ),
            )
        await self.draft_reply(cid, instruction=instruction)
        return self._detail(cid)
