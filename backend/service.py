"""The domain service: every customer turn and every human decision, each one transaction.

Routes are thin wrappers around these methods; tests call them too. Each
decision checks its rules (`policy`), applies its effect, appends its journal
entry through `record_decision`, and announces the change, all in one
transaction. Bot calls are awaited outside any transaction, so a slow model
never holds the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from backend_client import (
    Action,
    AIState,
    Author,
    BotIdentity,
    ChatStarted,
    ContextTurn,
    ConversationDetail,
    ConversationStatus,
    ConversationSummary,
    Customer,
    Draft,
    DraftStatus,
    EscalationReason,
    EventType,
    Flag,
    Message,
    Metrics,
    Operator,
    Page,
    ReasonCode,
    Timeline,
    TimelineItem,
    TrainingPair,
    VerifyResult,
)

from . import journal, policy, signals
from .bots.base import Bot, Turn
from .errors import Conflict, Invalid, NotFound
from .metrics import compute_metrics
from .policy import Permission
from .settings import Settings
from .store import OperatorRecord, Store, decode_cursor, encode_cursor
from .verify_worker import VerifyWorkers

log = logging.getLogger("hitl.backend")

W = TypeVar("W", bound=BaseModel)

HANDOFF_TEXT = "I'm bringing in a person from our team. They will reply here shortly."
"""What the customer is told when their conversation escalates to a human."""

OPEN_FOR_AI = (ConversationStatus.BOT, ConversationStatus.AWAITING_REVIEW)
"""The AI drafts only here: never in an escalated, held or closed conversation."""

CUSTOMER_NAME_LIMIT = 200


def record_decision(
    store: Store,
    secret: str,
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
    store.append_audit(
        secret,
        operator=operator,
        action=action,
        reason_code=reason_code.value if reason_code else None,
        note=note,
        conversation_id=conversation_id or (draft.conversation_id if draft else None),
        draft_id=draft.id if draft else None,
        bot=draft.bot if draft else None,
        ai_text=draft.text if draft else None,
        final_text=final_text,
    )


class Hitl:
    """The backend's rules applied to its store."""

    def __init__(self, store: Store, settings: Settings, bot: Bot) -> None:
        self.store = store
        self.settings = settings
        self.bot = bot
        self.secret = store.secret(settings.secret)
        self._key_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._verifying: asyncio.Future[VerifyResult] | None = None
        self._verifiers = VerifyWorkers()

    # -- helpers -----------------------------------------------------------------

    def _now(self) -> datetime:
        return self.store.clock()

    def _conversation(self, cid: str) -> dict[str, Any]:
        row = self.store.conversation_row(cid)
        if row is None:
            raise NotFound(f"no conversation {cid!r}")
        return row

    def _detail(self, cid: str) -> ConversationDetail:
        detail = self.store.detail(cid)
        if detail is None:
            raise NotFound(f"no conversation {cid!r}")
        return detail

    def _current(self, cid: str) -> dict[str, Any]:
        return self._detail(cid).model_dump(mode="json")

    def _name(self, operator_id: str | None) -> str:
        return self.store.operator_name(operator_id) or "nobody"

    @property
    def paused(self) -> bool:
        """Whether all AI sending is stopped."""
        return self.store.get_meta("ai_paused") == "1"

    def _supersede_pending(self, cid: str) -> None:
        draft = self.store.pending_draft(cid)
        if draft is not None:
            self.store.decide_draft(draft.id, DraftStatus.SUPERSEDED, decided_by=None)

    def _escalate(self, cid: str, reason: EscalationReason, *, tell_customer: bool) -> None:
        self._supersede_pending(cid)
        row = self._conversation(cid)
        self.store.update_conversation(
            cid,
            status=ConversationStatus.ESCALATED,
            escalation_reason=reason,
            waiting_since=row["waiting_since"] or self.store.now(),
        )
        if tell_customer:
            self.store.add_message(cid, Author.SYSTEM, HANDOFF_TEXT)

    def _deliver_ai(
        self, draft: Draft, status: DraftStatus, operator: str | None, text: str
    ) -> None:
        self.store.decide_draft(draft.id, status, decided_by=operator, final_text=text)
        self.store.add_message(
            draft.conversation_id, Author.AI, text, operator=operator, draft_id=draft.id
        )
        self.store.update_conversation(
            draft.conversation_id,
            status=ConversationStatus.BOT,
            waiting_since=None,
            escalation_reason=None,
        )

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

    def _refuse_while_paused(self) -> None:
        if self.paused:
            who = self._name(self.store.get_meta("ai_paused_by"))
            raise Conflict(f"AI sending is paused (by {who}): no AI text may go out until resumed")

    # -- customers -----------------------------------------------------------------

    def start_chat(self, customer: Customer) -> ChatStarted:
        """A customer opens a chat: the AI disclosure is its first message (invariant 2)."""
        policy.check_text("customer.name", customer.name, CUSTOMER_NAME_LIMIT)
        token = secrets.token_urlsafe(24)
        with self.store.transaction():
            cid = self.store.create_conversation(customer, token)
            self.store.add_message(cid, Author.SYSTEM, self.settings.disclosure)
            self.store.publish_conversation(cid, created=True)
        return ChatStarted(id=cid, customer_token=token)

    async def customer_says(self, cid: str, text: str) -> Message:
        """A customer message: supersedes a pending draft, may escalate, else the AI drafts."""
        policy.check_text("text", text, self.settings.max_text_length)
        with self.store.transaction():
            row = self._conversation(cid)
            status = ConversationStatus(row["status"])
            if status is ConversationStatus.CLOSED:
                raise Conflict("this conversation is closed; start a new chat")
            message = self.store.add_message(cid, Author.CUSTOMER, text)
            self._supersede_pending(cid)
            if row["waiting_since"] is None:
                self.store.update_conversation(cid, waiting_since=message.created_at.isoformat())
            reason = signals.escalation_reason(text)
            if status in OPEN_FOR_AI and reason is not None:
                self._escalate(cid, reason, tell_customer=True)
                status = ConversationStatus.ESCALATED
            elif status is ConversationStatus.AWAITING_REVIEW:
                self.store.update_conversation(cid, status=ConversationStatus.BOT)
            self.store.publish_conversation(cid)
        if status in OPEN_FOR_AI:
            await self.draft_reply(cid, trigger=message.id)
        return message

    def customer_messages(self, cid: str, after: str | None) -> Page[Message]:
        """What the customer sees: delivered messages only, never a pending draft."""
        self._conversation(cid)
        if after is not None and not self.store.message_exists(cid, after):
            raise Invalid("after", f"no message {after!r} in this conversation")
        return Page[Message](items=self.store.messages(cid, after))

    # -- the AI ------------------------------------------------------------------------

    async def draft_reply(
        self, cid: str, *, instruction: str | None = None, trigger: str | None = None
    ) -> Draft | None:
        """Ask the bot for a draft and pass it through the review gate.

        `trigger` is the customer message that asked for it: if a newer one
        arrived meanwhile, this draft is dropped (the newer one drafts its own).
        """
        history = [Turn(author=m.author, text=m.text) for m in self.store.messages(cid)]
        try:
            reply = await self.bot.draft(history, instruction)
        except Exception as exc:  # a model server down must not lose the customer
            log.warning("bot failed in %s: %s", cid, exc)
            with self.store.transaction():
                if self._conversation(cid)["status"] in OPEN_FOR_AI:
                    self._escalate(cid, EscalationReason.BOT_ERROR, tell_customer=True)
                    self.store.publish_conversation(cid)
            return None
        with self.store.transaction():
            row = self._conversation(cid)
            if row["status"] not in OPEN_FOR_AI:
                return None
            if trigger is not None and self.store.last_customer_message_id(cid) != trigger:
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
            self.store.update_conversation(cid, low_confidence_streak=streak)
            if streak >= 2:
                self._escalate(cid, EscalationReason.LOW_CONFIDENCE, tell_customer=True)
            elif gate.send_now and not self.paused:
                self._deliver_ai(draft, DraftStatus.AUTO_SENT, None, draft.text)
            else:
                self.store.update_conversation(cid, status=ConversationStatus.AWAITING_REVIEW)
            self.store.publish_conversation(cid)
        return draft

    def send_due_drafts(self) -> int:
        """Send drafts whose hold window passed (review mode `flagged`); none while paused."""
        sent = 0
        for due in self.store.due_drafts():
            if self.paused:
                break
            with self.store.transaction():
                draft = self.store.draft(due.id)
                row = self._conversation(due.conversation_id)
                if draft is None or draft.status is not DraftStatus.PENDING:
                    continue
                if row["status"] != ConversationStatus.AWAITING_REVIEW.value:
                    continue
                self._deliver_ai(draft, DraftStatus.AUTO_SENT, None, draft.text)
                self.store.publish_conversation(draft.conversation_id)
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
        )

    # -- decisions on drafts --------------------------------------------------------------

    def approve(self, op: OperatorRecord, did: str, if_match: int | None) -> ConversationDetail:
        """Send the draft as written."""
        with self.store.transaction():
            draft = self._pending_draft(op, did, if_match)
            self._refuse_while_paused()
            self._deliver_ai(draft, DraftStatus.APPROVED, op.id, draft.text)
            record_decision(
                self.store, self.secret, op, Action.APPROVE, draft=draft, final_text=draft.text
            )
            self.store.publish_conversation(draft.conversation_id)
        return self._detail(draft.conversation_id)

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
        with self.store.transaction():
            draft = self._pending_draft(op, did, if_match)
            self._refuse_while_paused()
            self._deliver_ai(draft, DraftStatus.EDITED, op.id, text)
            record_decision(
                self.store,
                self.secret,
                op,
                Action.EDIT,
                draft=draft,
                reason_code=reason_code,
                note=note,
                final_text=text,
            )
            self.store.publish_conversation(draft.conversation_id)
        return self._detail(draft.conversation_id)

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
        with self.store.transaction():
            draft = self._pending_draft(op, did, if_match)
            cid = draft.conversation_id
            self.store.decide_draft(did, DraftStatus.REJECTED, decided_by=op.id)
            record_decision(
                self.store,
                self.secret,
                op,
                Action.REJECT,
                draft=draft,
                reason_code=reason_code,
                note=note,
            )
            if regenerate:
                self.store.update_conversation(cid, status=ConversationStatus.BOT)
            else:
                self._escalate(cid, EscalationReason.DRAFT_REJECTED, tell_customer=False)
            self.store.publish_conversation(cid)
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
        with self.store.transaction():
            draft = self._pending_draft(op, did, if_match)
            cid = draft.conversation_id
            self.store.decide_draft(did, DraftStatus.REJECTED, decided_by=op.id)
            record_decision(
                self.store,
                self.secret,
                op,
                Action.REGENERATE,
                draft=draft,
                reason_code=reason_code,
                note=f"{note}\ninstruction: {instruction}"
                if note
                else f"instruction: {instruction}",
            )
            self.store.update_conversation(cid, status=ConversationStatus.BOT)
            self.store.publish_conversation(cid)
        await self.draft_reply(cid, instruction=instruction)
        return self._detail(cid)

    # -- decisions on conversations ---------------------------------------------------------

    def _open_conversation(self, cid: str) -> dict[str, Any]:
        row = self._conversation(cid)
        if row["status"] == ConversationStatus.CLOSED.value:
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
        note = policy.check_reason(reason_code, note)
        with self.store.transaction():
            row = self._open_conversation(cid)
            if row["holder"] == op.id:
                return self._detail(cid)
            if row["holder"] is not None:
                raise self._held_by_other(row, op)
            policy.check_version(if_match, row["version"], "conversation")
            self._supersede_pending(cid)
            self.store.update_conversation(cid, status=ConversationStatus.HUMAN, holder=op.id)
            record_decision(
                self.store,
                self.secret,
                op,
                Action.TAKEOVER,
                conversation_id=cid,
                reason_code=reason_code,
                note=note,
            )
            self.store.publish_conversation(cid)
        return self._detail(cid)

    def send_message(self, op: OperatorRecord, cid: str, text: str) -> ConversationDetail:
        """The holder writes to the customer."""
        policy.require(op.role, Permission.DECIDE)
        policy.check_text("text", text, self.settings.max_text_length)
        with self.store.transaction():
            row = self._open_conversation(cid)
            if row["holder"] is None:
                raise Conflict(
                    "take over this conversation before writing in it", current=self._current(cid)
                )
            if row["holder"] != op.id:
                raise self._held_by_other(row, op)
            self.store.add_message(cid, Author.HUMAN, text, operator=op.id)
            self.store.update_conversation(cid, waiting_since=None)
            self.store.publish_conversation(cid)
        return self._detail(cid)

    async def handback(
        self, op: OperatorRecord, cid: str, if_match: int | None
    ) -> ConversationDetail:
        """The holder gives the conversation back to the AI."""
        policy.require(op.role, Permission.DECIDE)
        with self.store.transaction():
            row = self._open_conversation(cid)
            if row["holder"] != op.id:
                if row["holder"] is None:
                    raise Conflict("nobody holds this conversation", current=self._current(cid))
                raise self._held_by_other(row, op)
            policy.check_version(if_match, row["version"], "conversation")
            self.store.update_conversation(
                cid,
                status=ConversationStatus.BOT,
                holder=None,
                escalation_reason=None,
                low_confidence_streak=0,
            )
            record_decision(self.store, self.secret, op, Action.HANDBACK, conversation_id=cid)
            self.store.publish_conversation(cid)
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
        note = policy.check_reason(reason_code, note)
        with self.store.transaction():
            row = self._open_conversation(cid)
            if row["holder"] is None:
                raise Conflict("nobody holds this conversation", current=self._current(cid))
            policy.check_version(if_match, row["version"], "conversation")
            self.store.update_conversation(cid, holder=None)
            self._escalate(cid, EscalationReason.RELEASED, tell_customer=False)
            record_decision(
                self.store,
                self.secret,
                op,
                Action.RELEASE,
                conversation_id=cid,
                reason_code=reason_code,
                note=note,
            )
            self.store.publish_conversation(cid)
        return self._detail(cid)

    def close(self, op: OperatorRecord, cid: str, if_match: int | None) -> ConversationDetail:
        """Close the conversation (someone else's hold only with supervisor rights)."""
        policy.require(op.role, Permission.DECIDE)
        with self.store.transaction():
            row = self._open_conversation(cid)
            if row["holder"] not in (None, op.id) and not policy.may(op.role, Permission.SUPERVISE):
                raise self._held_by_other(row, op)
            policy.check_version(if_match, row["version"], "conversation")
            self._supersede_pending(cid)
            self.store.update_conversation(
                cid, status=ConversationStatus.CLOSED, holder=None, waiting_since=None
            )
            record_decision(self.store, self.secret, op, Action.CLOSE, conversation_id=cid)
            self.store.publish_conversation(cid)
        return self._detail(cid)

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
            self.store.update_conversation(
                cid, status=ConversationStatus.CLOSED, holder=None, waiting_since=None
            )
            self.store.erase_conversation(cid)
            record_decision(self.store, self.secret, op, Action.ERASE, conversation_id=cid)
            self.store.publish_conversation(cid)
        return self._detail(cid)

    def set_paused(self, op: OperatorRecord, paused: bool) -> AIState:
        """Supervisor: the stop button for all AI sending, and its release."""
        policy.require(op.role, Permission.SUPERVISE)
        if paused != self.paused:
            with self.store.transaction():
                self.store.set_meta("ai_paused", "1" if paused else "0")
                self.store.set_meta("ai_paused_by", op.id)
                action = Action.PAUSE if paused else Action.RESUME
                record_decision(self.store, self.secret, op, action)
                kind = EventType.AI_PAUSED if paused else EventType.AI_RESUMED
                self.store.append_event(kind, None, self.ai_state().model_dump(mode="json"))
        return self.ai_state()

    # -- reading ------------------------------------------------------------------------

    async def verify_journal(self, op: OperatorRecord) -> VerifyResult:
        """Check the whole hash chain without stopping the backend meanwhile.

        A million entries take tens of seconds of Python: the check runs in a
        child process with its own read-only connection (`verify_worker`), so
        it neither blocks the loop nor holds the GIL that requests need;
        callers arriving while one is running share its result instead of
        starting another.
        """
        policy.require(op.role, Permission.AUDIT)
        path = self.store.path
        if path is None:  # an in-memory database has no second connection
            return journal.verify_chain(self.store.audit_rows(), self.secret)
        if self._verifying is None or self._verifying.done():
            self._verifying = asyncio.ensure_future(
                asyncio.to_thread(self._verifiers.verify, path, self.secret)
            )
        return await asyncio.shield(self._verifying)

    def shutdown(self) -> None:
        """Stop any verification still running."""
        self._verifiers.stop()

    def operators(self, op: OperatorRecord) -> Page[Operator]:
        """The operator directory: who the ids in holders, messages and the journal are."""
        policy.require(op.role, Permission.READ)
        return Page[Operator](items=[o.wire() for o in self.store.list_operators()])

    def conversation(self, op: OperatorRecord, cid: str) -> ConversationDetail:
        """One conversation as this operator may see it."""
        policy.require(op.role, Permission.READ)
        return self.view(op, self._detail(cid))

    def queue(
        self,
        op: OperatorRecord,
        *,
        status: ConversationStatus | None,
        holder: str | None,
        limit: int,
        cursor: str | None,
        q: str | None = None,
        flag: str | None = None,
        reason_code: str | None = None,
        include_closed: bool = False,
    ) -> Page[ConversationSummary]:
        """A page of the queue (or of a search for replay) as this operator may see it."""
        policy.require(op.role, Permission.READ)
        try:
            page = self.store.list_conversations(
                status=status,
                holder=holder,
                limit=limit,
                cursor=cursor,
                q=q,
                flag=flag,
                reason_code=reason_code,
                include_closed=include_closed,
            )
        except ValueError:
            raise Invalid("cursor", "not a cursor this API gave out") from None
        return Page[ConversationSummary](
            items=[self.view(op, s) for s in page.items], next_cursor=page.next_cursor
        )

    def timeline(self, op: OperatorRecord, cid: str) -> Timeline:
        """Messages, drafts and decisions of a conversation in order, for replay."""
        policy.require(op.role, Permission.READ)
        detail = self._detail(cid)
        items = [TimelineItem(kind="message", at=m.created_at, message=m) for m in detail.messages]
        items += [
            TimelineItem(kind="draft", at=d.created_at, draft=d) for d in self.store.drafts_of(cid)
        ]
        items += [
            TimelineItem(kind="decision", at=e.at, decision=e)
            for e in self.store.audit_entries_for(cid)
        ]
        order = {"message": 0, "draft": 1, "decision": 2}
        items.sort(key=lambda item: (item.at, order[item.kind]))
        summary = ConversationSummary(**detail.model_dump(exclude={"messages", "draft"}))
        timeline = Timeline(conversation=summary, items=items)
        return self.view(op, timeline)

    def view(self, op: OperatorRecord, model: W) -> W:
        """`model` as `op` may see it: personal data masked for roles without the right."""
        if policy.may(op.role, Permission.UNMASKED):
            return model
        return mask_model(model)

    def metrics(self, op: OperatorRecord) -> Metrics:
        """Override rates, review times, fast approvals and queue sizes (supervisor)."""
        policy.require(op.role, Permission.METRICS)
        names = {o.id: o.name for o in self.store.list_operators()}
        return compute_metrics(
            self.store.decision_rows(),
            queue=self.store.queue_counts(),
            now=self._now(),
            fast_seconds=self.settings.fast_approval_seconds,
            operator_names=names,
        )

    def training_pairs(
        self,
        op: OperatorRecord,
        *,
        since: str | None,
        reason_code: str | None,
        unmasked: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[TrainingPair]:
        """Preference pairs from every edited, rejected or regenerated draft, oldest first.

        Masked unless an admin asks for them unmasked.
        """
        policy.require(op.role, Permission.TRAIN)
        if unmasked:
            policy.require(op.role, Permission.EXPORT_UNMASKED)
        try:
            after = int(decode_cursor(cursor)[0]) if cursor else 0
        except (ValueError, IndexError):
            raise Invalid("cursor", "not a cursor this API gave out") from None
        rows = self.store.override_entries(
            since=since, reason_code=reason_code, after_seq=after, limit=limit + 1
        )
        pairs = [self._pair(row, masked=not unmasked) for row in rows[:limit]]
        next_cursor = encode_cursor([rows[limit - 1]["seq"]]) if len(rows) > limit else None
        return Page[TrainingPair](items=pairs, next_cursor=next_cursor)

    def _pair(self, row: dict[str, Any], *, masked: bool) -> TrainingPair:
        draft = self.store.draft(row["draft_id"])
        assert draft is not None
        cid = draft.conversation_id
        context = [
            ContextTurn(author=m.author, text=m.text)
            for m in self.store.messages(cid)
            if m.created_at <= draft.created_at
        ]
        if row["action"] == Action.EDIT.value:
            chosen = row["final_text"] if row["final_text"] is not None else draft.final_text
        else:
            chosen = self.store.reply_after(cid, row["at"])
        bot = BotIdentity(name=row["bot_name"], model=row["bot_model"]) if row["bot_name"] else None
        pair = TrainingPair(
            conversation_id=cid,
            draft_id=draft.id,
            audit_seq=row["seq"],
            at=row["at"],
            action=row["action"],
            context=context,
            rejected=row["ai_text"] if row["ai_text"] is not None else draft.text,
            chosen=chosen,
            reason_code=row["reason_code"],
            note=row["note"],
            operator_role=row["role"],
            bot=bot,
            masked=masked,
        )
        if not masked:
            return pair
        return TrainingPair.model_validate(
            _mask(pair.model_dump(mode="json") | {"masked": True}, extra={"rejected", "chosen"})
        )

    # -- idempotency ------------------------------------------------------------------------

    async def idempotent(
        self,
        op: OperatorRecord,
        key: str | None,
        fingerprint: str,
        run: Callable[[], Awaitable[BaseModel]],
    ) -> str:
        """Run a decision once per Idempotency-Key; a retry gets the first response again."""
        if key is None:
            return (await run()).model_dump_json()
        if len(key) > 200:
            raise Invalid("Idempotency-Key", "must be at most 200 characters")
        lock = self._key_locks.setdefault((op.id, key), asyncio.Lock())
        async with lock:
            stored = self.store.idempotent_response(op.id, key)
            if stored is not None:
                first_fingerprint, response = stored
                if first_fingerprint != fingerprint:
                    raise Invalid(
                        "Idempotency-Key", "this key was already used with a different request"
                    )
                return response
            response = (await run()).model_dump_json()
            self.store.remember_response(op.id, key, fingerprint, response)
        self._key_locks.pop((op.id, key), None)
        return response


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests 'the same' for an Idempotency-Key."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


_MASKED_TEXT_FIELDS = frozenset(
    {"text", "last_message", "final_text", "ai_text", "note", "rationale", "instruction"}
)
"""Every field that may carry what a customer wrote (rationales and instructions may quote it)."""


def mask_model(model: W) -> W:
    """A copy of a wire object with personal data masked in every text and the customer."""
    data = model.model_dump(mode="json")
    return type(model).model_validate(_mask(data))


def _mask(
    value: Any, key: str | None = None, extra: frozenset[str] | set[str] = frozenset()
) -> Any:
    if isinstance(value, dict):
        if key == "customer":
            name = value.get("name") or "?"
            return {"name": f"{name[:1]}.", "email": "[email]" if value.get("email") else None}
        return {k: _mask(v, k, extra) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key, extra) for v in value]
    if isinstance(value, str) and (key in _MASKED_TEXT_FIELDS or key in extra):
        return signals.mask_pii(value)
    return value
