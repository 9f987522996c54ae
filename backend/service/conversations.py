"""Decisions on conversations: take over, write, hand back, force-release, close, erase."""

from __future__ import annotations

from typing import Any

from backend_client import (
    Action,
    Author,
    ConversationDetail,
    ConversationStatus,
    EscalationReason,
    ReasonCode,
)

from ..domain import policy, transitions
from ..domain.policy import Permission
from ..domain.transitions import Act
from ..errors import Conflict
from ..store import OperatorRecord
from .ai import AIDrafting


class ConversationDecisions(AIDrafting):
    """Who holds a conversation, and its end.

    Each decision reads and writes its conversation (and its operator's key), so on
    PostgreSQL it runs beside decisions on other conversations; erasure, which also
    clears other operators' remembered answers, runs alone.
    """

    def _open_conversation(self, cid: str) -> dict[str, Any]:
        row = self._conversation(cid)
        if not transitions.allows(ConversationStatus(row["status"]), Act.CLOSE):
            raise Conflict("this conversation is closed", current=self._current(cid))
        return row

    def _held_by_other(self, row: dict[str, Any], op: OperatorRecord) -> Conflict:
        return Conflict(
            f"{self._name(row['holder'])} holds this conversation",
            holder=row["holder"],
            current=self._current(row["id"]),
        )

    def takeover(
        self,
        op: OperatorRecord,
        cid: str,
        if_match: int | None,
        reason_code: ReasonCode,
        note: str | None,
    ) -> ConversationDetail:
        """Hold the conversation: only `op` may write in it, the AI goes silent."""
        policy.require(op.role, Permission.DECIDE)
        note = policy.check_reason(reason_code, note, takeover=True)
        with self._on_conversation(cid, op):
            row = self._open_conversation(cid)
            if row["holder"] not in (None, op.id):
                raise self._held_by_other(row, op)
            # Before the holder's harmless repeat: stale is stale, for the holder too.
            policy.check_version(if_match, row["version"], "conversation")
            if row["holder"] == op.id:
                return self._answer(cid)
            self._supersede_pending(cid)
            self._move(cid, Act.TAKEOVER, holder=op.id)
            self.store.close_open_jobs(cid)  # the AI goes silent: no draft is being written
            self.record_decision(
                op, Action.TAKEOVER, conversation_id=cid, reason_code=reason_code, note=note
            )
            self._publish(cid)
            return self._answer(cid)

    def send_message(self, op: OperatorRecord, cid: str, text: str) -> ConversationDetail:
        """The holder writes to the customer."""
        policy.require(op.role, Permission.DECIDE)
        policy.check_text("text", text, self.settings.max_text_length)
        with self._on_conversation(cid, op):
            row = self._open_conversation(cid)
            if row["holder"] is None:
                raise Conflict(
                    "take over this conversation before writing in it", current=self._current(cid)
                )
            if row["holder"] != op.id:
                raise self._held_by_other(row, op)
            self._say(cid, Author.HUMAN, text, operator=op.id)
            self.store.update_conversation(cid, waiting_since=None)
            self._publish(cid)
            return self._answer(cid)

    async def handback(
        self, op: OperatorRecord, cid: str, if_match: int | None
    ) -> ConversationDetail:
        """The holder gives the conversation back to the AI."""
        policy.require(op.role, Permission.DECIDE)
        with self._on_conversation(cid, op):
            row = self._open_conversation(cid)
            if row["holder"] != op.id:
                if row["holder"] is None:
                    raise Conflict("nobody holds this conversation", current=self._current(cid))
                raise self._held_by_other(row, op)
            policy.check_version(if_match, row["version"], "conversation")
            self._move(
                cid, Act.HANDBACK, holder=None, escalation_reason=None, low_confidence_streak=0
            )
            self.record_decision(op, Action.HANDBACK, conversation_id=cid)
            self._publish(cid)
            self._answer(cid)
        if row["waiting_since"] is not None:
            await self.draft_reply(cid)
        return self._detail(cid)

    def release(
        self,
        op: OperatorRecord,
        cid: str,
        if_match: int | None,
        reason_code: ReasonCode,
        note: str | None,
    ) -> ConversationDetail:
        """Supervisor: end someone's hold; the conversation escalates for the next person."""
        policy.require(op.role, Permission.SUPERVISE)
        note = policy.check_reason(reason_code, note, takeover=True)
        with self._on_conversation(cid, op):
            row = self._open_conversation(cid)
            if row["holder"] is None:
                raise Conflict("nobody holds this conversation", current=self._current(cid))
            policy.check_version(if_match, row["version"], "conversation")
            self.store.update_conversation(cid, holder=None)
            self._escalate(cid, EscalationReason.RELEASED, tell_customer=False, act=Act.RELEASE)
            self.record_decision(
                op, Action.RELEASE, conversation_id=cid, reason_code=reason_code, note=note
            )
            self._publish(cid)
            return self._answer(cid)

    def close(
        self, op: OperatorRecord, cid: str, if_match: int | None, *, note: str | None = None
    ) -> ConversationDetail:
        """Close the conversation (someone else's hold only with supervisor rights); `note`
        says why in the journal when no person closed it (a channel's agents did)."""
        policy.require(op.role, Permission.DECIDE)
        with self._on_conversation(cid, op):
            row = self._open_conversation(cid)
            if row["holder"] not in (None, op.id) and not policy.may(op.role, Permission.SUPERVISE):
                raise self._held_by_other(row, op)
            policy.check_version(if_match, row["version"], "conversation")
            self._supersede_pending(cid)
            self._move(cid, Act.CLOSE, holder=None, waiting_since=None)
            self.store.close_open_jobs(cid)
            self.record_decision(op, Action.CLOSE, conversation_id=cid, note=note)
            self._publish(cid)
            return self._answer(cid)

    def erase(self, op: OperatorRecord, cid: str) -> ConversationDetail:
        """Admin: erase a customer's personal data from a conversation (GDPR art. 17).

        The conversation closes; its texts and the customer's name and email
        are gone everywhere the backend keeps them; the erasure itself is a
        journal entry, and the chain still verifies.
        """
        policy.require(op.role, Permission.ERASE)
        with self.store.transaction():
            self._conversation(cid)
            self._supersede_pending(cid)
            self._move(cid, Act.ERASE, holder=None, waiting_since=None)
            self.store.erase_conversation(cid)
            self.record_decision(op, Action.ERASE, conversation_id=cid)
            self._publish(cid)
            return self._answer(cid)
