"""An agent's working day: internal notes, assignment, the customer's history, saved
replies, who else is viewing, and the promise of a person (the escalation SLA).

The rules are plain functions in `domain/workday.py`; this module applies them
to the store, emits the events and journals the assignment.
"""

from __future__ import annotations

import time

from backend_client import (
    Action,
    ConversationDetail,
    ConversationSummary,
    EventType,
    Note,
    Page,
    Presence,
    SavedReply,
    WorkdaySettings,
)

from ..domain import policy
from ..domain.policy import Permission
from ..domain.workday import (
    assignment_refusal,
    note_refusal,
    unknown_variables,
    viewers_now,
)
from ..errors import Conflict, Invalid, NotFound
from ..store import OperatorRecord
from .reading import Reading

HISTORY_LIMIT = 50
"""Most earlier conversations the history shows."""


class Workday(Reading):
    """Notes, assignment, history, saved replies, presence."""

    _presence: dict[str, dict[str, float]]

    # -- internal notes ---------------------------------------------------------------------

    def add_note(self, op: OperatorRecord, cid: str, text: str) -> Note:
        """Keep an internal note on a conversation: colleagues see it, the customer never.

        It is never a message: not on the customer's stream, the channel or a webhook
        (they carry messages), only a `note.created` event for operators.
        """
        policy.require(op.role, Permission.DECIDE)
        refusal = note_refusal(text, self.settings.max_text_length)
        if refusal is not None:
            raise Invalid("text", refusal)
        with self._on_conversation(cid):
            self._conversation(cid)
            note = self.store.add_note(cid, op.id, text.strip())
            self._emit(EventType.NOTE_CREATED, cid, note)
        return note

    def notes(self, op: OperatorRecord, cid: str) -> Page[Note]:
        """A conversation's internal notes, oldest first (masked for a trainer)."""
        policy.require(op.role, Permission.READ)
        self._conversation(cid)
        items = [self.view(op, note) for note in self.store.notes_of(cid)]
        return Page[Note](items=items, next_cursor=None)

    # -- assignment --------------------------------------------------------------------------

    def assign(
        self, op: OperatorRecord, cid: str, if_match: int | None, target: str | None
    ) -> ConversationDetail:
        """Assign a conversation to an operator (id or name), or to nobody; journaled.

        The assignee hears of it through the conversation's `updated` event, which
        carries `assignee`.
        """
        policy.require(op.role, Permission.DECIDE)
        assignee: OperatorRecord | None = None
        if target is not None:
            state = self.store.operator_state_by_name(target)
            refusal = assignment_refusal(
                state.record.role if state else None, state is not None and not state.disabled_at
            )
            if refusal is not None:
                raise Invalid("operator", refusal)
            assert state is not None
            assignee = state.record
        with self._on_conversation(cid, op):
            row = self._conversation(cid)
            if row["status"] == "closed":
                raise Conflict("this conversation is closed", current=self._current(cid))
            policy.check_version(if_match, row["version"], "conversation")
            new = assignee.id if assignee else None
            if row["assignee"] != new:
                self.store.set_assignee(cid, new)
                note = f"assigned to {assignee.name}" if assignee else "unassigned"
                self.record_decision(op, Action.ASSIGN, conversation_id=cid, note=note)
                self._publish(cid)
            self._answer(cid)
        return self._detail(cid)

    # -- the customer's history --------------------------------------------------------------

    def history(self, op: OperatorRecord, cid: str) -> Page[ConversationSummary]:
        """The customer's other conversations, newest first: same email, else same name."""
        policy.require(op.role, Permission.READ)
        self._conversation(cid)
        ids = self.store.history_ids(cid, HISTORY_LIMIT)
        items = [self.view(op, self.store.summary(other)) for other in ids]
        return Page[ConversationSummary](items=items, next_cursor=None)

    # -- saved replies ------------------------------------------------------------------------

    def saved_replies(self, op: OperatorRecord) -> Page[SavedReply]:
        """The team's library of replies, by title."""
        policy.require(op.role, Permission.READ)
        return Page[SavedReply](items=self.store.saved_replies(), next_cursor=None)

    def put_saved_reply(
        self, op: OperatorRecord, rid: str | None, title: str, text: str
    ) -> SavedReply:
        """Supervisor: add a saved reply (`rid` None) or replace one."""
        policy.require(op.role, Permission.SUPERVISE)
        unknown = unknown_variables(text)
        if unknown:
            raise Invalid("text", "unknown variable " + ", ".join(f"{{{n}}}" for n in unknown))
        if len(text) > self.settings.max_text_length:
            raise Invalid("text", f"at most {self.settings.max_text_length} characters")
        with self.store.transaction():
            if rid is not None and self.store.saved_reply(rid) is None:
                raise NotFound(f"no saved reply {rid!r}")
            return self.store.put_saved_reply(rid, title.strip(), text, op.id)

    def delete_saved_reply(self, op: OperatorRecord, rid: str) -> None:
        """Supervisor: remove a saved reply."""
        policy.require(op.role, Permission.SUPERVISE)
        with self.store.transaction():
            if not self.store.delete_saved_reply(rid):
                raise NotFound(f"no saved reply {rid!r}")

    # -- who else is here ---------------------------------------------------------------------

    def still_viewing(self, op: OperatorRecord, cid: str, *, leaving: bool = False) -> Presence:
        """`op` has the conversation open (or closed it: `leaving`); who else has it open.

        Kept in this process's memory: with several backend processes each knows
        only the viewers whose heartbeats reached it.
        """
        policy.require(op.role, Permission.READ)
        self._conversation(cid)
        if not hasattr(self, "_presence"):
            self._presence = {}
        now = time.monotonic()
        seen = self._presence.setdefault(cid, {})
        if leaving:
            seen.pop(op.id, None)
        else:
            seen[op.id] = now
        others = viewers_now(seen, now, op.id)
        for gone in [o for o in seen if o != op.id and o not in others]:
            del seen[gone]
        if not seen:
            del self._presence[cid]
        return Presence(conversation_id=cid, viewers=others)

    # -- the promise of a person --------------------------------------------------------------

    def workday_settings(self, op: OperatorRecord) -> WorkdaySettings:
        """The team's promises the console shows."""
        policy.require(op.role, Permission.READ)
        return WorkdaySettings(
            escalation_sla_minutes=self.settings.escalation_sla_minutes,
            complaint_reply_minutes=self.settings.complaint_reply_minutes,
        )
