"""The AI's side: drafting a reply, the review gate, hold-window sends, and the stop button."""

from __future__ import annotations

import asyncio

from backend_client import (
    Action,
    AIState,
    ConversationStatus,
    Draft,
    DraftStatus,
    EscalationReason,
    EventType,
    Flag,
)

from ..bots.base import BotReply, Turn
from ..domain import policy, transitions
from ..domain.policy import Permission
from ..domain.transitions import Act
from ..errors import Conflict
from ..store import OperatorRecord
from .core import ServiceCore, log


class AIDrafting(ServiceCore):
    """Drafts, the gate they pass, and whether the AI may send at all."""

    def _open_for_ai(self, cid: str) -> bool:
        """The AI drafts only where it may hold a draft: never escalated, held or closed."""
        status = ConversationStatus(self._conversation(cid)["status"])
        return transitions.allows(status, Act.DRAFT_WAITS)

    async def draft_reply(
        self,
        cid: str,
        *,
        instruction: str | None = None,
        trigger: str | None = None,
        job: int | None = None,
    ) -> Draft | None:
        """Ask the bot for a draft and pass it through the review gate.

        `trigger` is the customer message that asked for it: if a newer one
        arrived meanwhile, this draft is dropped (the newer one drafts its own).
        `job` is the durable drafting job it answers: closed in the draft's own
        transaction, so a message is never drafted for twice.
        """
        history = [Turn(author=m.author, text=m.text) for m in self.store.messages(cid)]
        reply = await self._ask_bot(cid, history, instruction, job)
        if reply is None:
            return None
        with self._on_conversation(cid):
            row = self._conversation(cid)
            stale = job is not None and not self.store.draft_job_open(job)
            newer = trigger is not None and self.store.last_customer_message_id(cid) != trigger
            if stale or newer or not self._open_for_ai(cid):
                if job is not None:
                    self.store.finish_draft_job(job, "superseded")
                    self._publish(cid)
                return None
            self._supersede_pending(cid)
            flags = set(reply.flags)
            if reply.confidence < self.settings.review.low_confidence:
                flags.add(Flag.LOW_CONFIDENCE)
            streak = row["low_confidence_streak"] + 1 if Flag.LOW_CONFIDENCE in flags else 0
            gate = policy.review_gate(flags, reply.confidence, self.settings.review, self._now())
            draft = self.store.add_draft(
                cid,
                text=reply.text[: self.settings.max_text_length],
                confidence=round(reply.confidence, 4),
                rationale=reply.rationale,
                sources=reply.sources,
                flags=[f.value for f in flags],
                bot=self.bot.identity,
                instruction=instruction,
                send_at=gate.send_at.isoformat() if gate.send_at else None,
            )
            if job is not None:
                self.store.finish_draft_job(job, "done")
            self._emit(EventType.DRAFT_CREATED, cid, draft)
            self.store.update_conversation(cid, low_confidence_streak=streak)
            if streak >= 2:
                self._escalate(cid, EscalationReason.LOW_CONFIDENCE, tell_customer=True)
            elif gate.send_now and not self.paused:
                self._deliver_ai(draft, DraftStatus.AUTO_SENT, None, draft.text)
            else:
                self._move(cid, Act.DRAFT_WAITS)
            self._publish(cid)
        return draft

    async def _ask_bot(
        self, cid: str, history: list[Turn], instruction: str | None, job: int | None
    ) -> BotReply | None:
        """The bot's reply, tried again with backoff; None once it gave up (and escalated).

        A 429's Retry-After sets the wait when the model asked for one. A job
        superseded while waiting stops trying: a newer message drafts its own.
        """
        bot = self.settings.bot
        failure: Exception | None = None
        for attempt in range(bot.retries + 1):
            try:
                return await self.bot.draft(history, instruction)
            except Exception as exc:  # a model server down must not lose the customer
                failure = exc
                log.warning("bot failed in %s (attempt %d): %s", cid, attempt + 1, exc)
            if attempt == bot.retries:
                break
            asked = getattr(failure, "retry_after", None)
            await asyncio.sleep(asked if asked is not None else bot.backoff_seconds * 2**attempt)
            if job is not None and not self.store.draft_job_open(job):
                return None
        detail = f"the model failed {bot.retries + 1} times; last: {failure}"[:300]
        with self._on_conversation(cid):
            if job is not None:
                self.store.finish_draft_job(job, "failed")
            if self._open_for_ai(cid) and (job is None or self._job_is_latest(cid, job)):
                self._escalate(cid, EscalationReason.BOT_ERROR, tell_customer=True, detail=detail)
            self._publish(cid)
        return None

    def _job_is_latest(self, cid: str, job: int) -> bool:
        """Whether no newer job of the conversation is waiting (then it is the one to escalate)."""
        newest = self.store.next_draft_job(cid)
        return newest is None or newest.id <= job

    def send_due_drafts(self) -> int:
        """Send drafts whose hold window passed (review mode `flagged`); none while paused.

        The pause is read inside each send's transaction: a pause commits either
        before it (nothing is sent) or after it, never between the look and the send,
        whichever process pauses.
        """
        sent = 0
        for due in self.store.due_drafts():
            with self._on_conversation(due.conversation_id):
                if self.paused:
                    break
                draft = self.store.draft(due.id)
                row = self._conversation(due.conversation_id)
                if draft is None or draft.status is not DraftStatus.PENDING:
                    continue
                if row["status"] != ConversationStatus.AWAITING_REVIEW.value:
                    continue
                self._deliver_ai(draft, DraftStatus.AUTO_SENT, None, draft.text)
                self._publish(draft.conversation_id)
                sent += 1
        return sent

    def ai_state(self) -> AIState:
        """Whether the AI may send, the review mode, and which bot."""
        review = self.settings.review
        return AIState(
            paused=self.paused,
            review_mode=review.mode,
            confidence_threshold=review.confidence_threshold,
            hold_seconds=review.hold_seconds,
            bot=self.bot.identity,
            max_text_length=self.settings.max_text_length,
        )

    def _refuse_while_paused(self) -> None:
        if self.paused:
            who = self._name(self.store.get_meta("ai_paused_by"))
            raise Conflict(f"AI sending is paused (by {who}): no AI text may go out until resumed")

    def set_paused(self, op: OperatorRecord, paused: bool) -> AIState:
        """Supervisor: the stop button for all AI sending, and its release."""
        policy.require(op.role, Permission.SUPERVISE)
        if paused != self.paused:
            with self.store.transaction():
                self.store.set_meta("ai_paused", "1" if paused else "0")
                self.store.set_meta("ai_paused_by", op.id)
                self.record_decision(op, Action.PAUSE if paused else Action.RESUME)
                kind = EventType.AI_PAUSED if paused else EventType.AI_RESUMED
                self._emit(kind, None, self.ai_state())
        return self.ai_state()
