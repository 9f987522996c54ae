"""Reading: the queue, one conversation, its timeline, metrics, training pairs, the journal check.

Everything here is shown as the caller's role may see it: personal data masked
for roles without the right (invariant 7).
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from pydantic import BaseModel

from backend_client import (
    Action,
    AuditEntry,
    AuditQuery,
    BotIdentity,
    ContextTurn,
    ConversationDetail,
    ConversationSummary,
    Flag,
    Metrics,
    Operator,
    Page,
    QueueQuery,
    Timeline,
    TimelineItem,
    TrainingPair,
    TrainingQuery,
    VerifyResult,
)

from ..domain import journal, policy
from ..domain.metrics import compute_metrics
from ..domain.pii import mask_data, mask_model
from ..domain.policy import Permission
from ..errors import Invalid
from ..store import OperatorRecord, decode_cursor, encode_cursor
from ..store.queue_find import find_visible
from ..verify_worker import VerifyWorkers
from .core import ServiceCore

W = TypeVar("W", bound=BaseModel)


def visible_match(q: str, summary: ConversationSummary) -> bool:
    """Whether a search term matches a (masked) queue row as its reader sees it."""
    return q == summary.id or q.lower() in summary.customer.name.lower()


class Reading(ServiceCore):
    """What operators read."""

    _verifying: asyncio.Future[VerifyResult] | None = None
    _verifiers: VerifyWorkers

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

    def audit(self, op: OperatorRecord, query: AuditQuery) -> Page[AuditEntry]:
        """A page of the override log, newest first (supervisor and admin)."""
        policy.require(op.role, Permission.AUDIT)
        try:
            return self.store.list_audit(query)
        except ValueError:
            # One rule for every list: a cursor we did not give out is a bad field (422).
            raise Invalid("cursor", "not a cursor this API gave out") from None

    def operators(self, op: OperatorRecord) -> Page[Operator]:
        """The operator directory: who the ids in holders, messages and the journal are."""
        policy.require(op.role, Permission.READ)
        return Page[Operator](items=[o.wire() for o in self.store.list_operators()])

    def conversation(self, op: OperatorRecord, cid: str) -> ConversationDetail:
        """One conversation as this operator may see it."""
        policy.require(op.role, Permission.READ)
        return self.view(op, self._detail(cid))

    def queue(self, op: OperatorRecord, query: QueueQuery) -> Page[ConversationSummary]:
        """A page of the queue (or of a search for replay) as this operator may see it."""
        policy.require(op.role, Permission.READ)
        try:
            page = self.store.list_conversations(query)
        except ValueError:
            raise Invalid("cursor", "not a cursor this API gave out") from None
        items = [self.view(op, s) for s in page.items]
        if query.q and not policy.may(op.role, Permission.UNMASKED):
            # A search must not tell a masked reader whose email or name it matched:
            # keep only what the query finds in what this reader may see.
            items = [s for s in items if visible_match(query.q, s)]
        if query.find and not policy.may(op.role, Permission.UNMASKED):
            items = [s for s in items if find_visible(query.find, s)]
        return Page[ConversationSummary](items=items, next_cursor=page.next_cursor)

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
        # Internal notes, for colleagues and trainers: never the customer's.
        items += [
            TimelineItem(kind="note", at=n.created_at, note=n) for n in self.store.notes_of(cid)
        ]
        order = {"message": 0, "draft": 1, "decision": 2, "note": 3}
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
        metrics = compute_metrics(
            self.store.decision_rows(),
            queue=self.store.queue_counts(),
            now=self._now(),
            fast_seconds=self.settings.fast_approval_seconds,
            operator_names=names,
        )
        ungrounded = self.store.count_flagged_drafts(Flag.UNGROUNDED)
        return metrics.model_copy(update={"ungrounded_drafts": ungrounded})

    def training_pairs(self, op: OperatorRecord, query: TrainingQuery) -> Page[TrainingPair]:
        """Preference pairs from every edited, rejected or regenerated draft, oldest first.

        Masked unless an admin asks for them unmasked.
        """
        policy.require(op.role, Permission.TRAIN)
        since, unmasked, limit, cursor = query.since, query.unmasked, query.limit, query.cursor
        reason_code = query.reason_code.value if query.reason_code else None
        if unmasked:
            policy.require(op.role, Permission.EXPORT_UNMASKED)
        try:
            after = int(decode_cursor(cursor, 1)[0]) if cursor is not None else 0
        except (ValueError, IndexError):
            raise Invalid("cursor", "not a cursor this API gave out") from None
        rows = self.store.override_entries(
            since=since.isoformat(timespec="microseconds") if since else None,
            reason_code=reason_code,
            after_seq=after,
            limit=limit + 1,
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
        row_of = self.store.conversation_row(pair.conversation_id)
        names = [row_of["customer_name"]] if row_of else []
        return TrainingPair.model_validate(
            mask_data(
                pair.model_dump(mode="json") | {"masked": True},
                extra={"rejected", "chosen"},
                names=names,
            )
        )
