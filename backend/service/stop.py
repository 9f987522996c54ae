"""The stop button with a reason and an optional end (AI Act art. 14(4)(e))."""

from __future__ import annotations

from datetime import datetime

from backend_client import Action, AIState, EventType

from ..domain import policy
from ..domain.policy import Permission
from ..errors import Invalid
from ..store import OperatorRecord
from .ai import AIDrafting
from .operator_admin import SYSTEM

REASON_LIMIT = 500
"""The longest pause reason accepted, in characters."""


class StopButton(AIDrafting):
    """Pausing all AI sending, why and until when, shown on `GET /v1/ai` and journaled."""

    def ai_state(self) -> AIState:
        """The AI's state, with the pause's reason, end and author while it is paused."""
        state = (
            super()
            .ai_state()
            .model_copy(update={"complaint_reply_minutes": self.settings.complaint_reply_minutes})
        )
        if not state.paused:
            return state
        until = self.store.get_meta("ai_paused_until")
        return state.model_copy(
            update={
                "reason": self.store.get_meta("ai_paused_reason") or None,
                "until": datetime.fromisoformat(until) if until else None,
                "paused_by": self.store.get_meta("ai_paused_by"),
            }
        )

    def pause_ai(self, op: OperatorRecord, reason: str | None, until: datetime | None) -> AIState:
        """Supervisor: stop all AI sending now; `until` ends the pause on its own.

        Pausing again with the same reason and end records nothing; a new
        reason or end is a new journal entry. `reason` None is a pause from a
        client that gives none (older consoles).
        """
        policy.require(op.role, Permission.SUPERVISE)
        if reason is not None:
            reason = policy.check_text("reason", reason.strip(), REASON_LIMIT)
        if until is not None:
            if until.tzinfo is None:
                raise Invalid("until", "must carry a time zone, like 2026-01-05T17:00:00Z")
            if until <= self._now():
                raise Invalid("until", "must be in the future")
        ends = until.isoformat() if until else ""
        state = self.ai_state()
        if state.paused and (state.reason, state.until) == (reason, until):
            return state
        with self.store.transaction():
            self.store.set_meta("ai_paused", "1")
            self.store.set_meta("ai_paused_by", op.id)
            self.store.set_meta("ai_paused_reason", reason or "")
            self.store.set_meta("ai_paused_until", ends)
            note = "\n".join(part for part in (reason, ends and f"until: {ends}") if part)
            self.record_decision(op, Action.PAUSE, note=note or None)
            self._emit(EventType.AI_PAUSED, None, self.ai_state())
        return self.ai_state()

    def send_due_drafts(self) -> int:
        """End a pause whose end passed (journaled, announced), then send what is due."""
        if self.store.get_meta("ai_paused") == "1" and not self.paused:
            with self.store.transaction():
                self.store.set_meta("ai_paused", "0")
                self.record_decision(SYSTEM, Action.RESUME, note="the pause's end passed")
                self._emit(EventType.AI_RESUMED, None, self.ai_state())
        return super().send_due_drafts()
