"""Calibration drafts (AI Act art. 14(4)(b)): known-bad drafts seeded among real ones.

A supervisor loads known-bad drafts and a seeding rate. Each seeded one
arrives in the queue as a conversation like any other, but with no customer
channel: its customer token is a value no token hashes to, so nothing said in
it can reach anyone. Approving it is a miss, editing or rejecting it a catch;
afterwards the conversation closes and the reviewer is told (a setting).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from backend_client import (
    CALIBRATION_NOTICE,
    Author,
    CalibrationItem,
    CalibrationState,
    ChatStarted,
    ConversationDetail,
    ConversationStatus,
    Customer,
    DraftStatus,
    EventType,
)

from ..domain import policy
from ..domain.policy import Permission
from ..domain.transitions import Act
from ..errors import Conflict
from ..store import OperatorRecord
from .customers import CustomerTurns

NO_CHANNEL = "calibration: no customer channel"
"""Stored as the customer token hash of a calibration conversation: no token hashes to it."""
NAMES = ("Sam Rivera", "Alex Moreau", "Priya Shah", "Jonas Berg", "Mia Rossi", "Lee Park")
"""Customer names for seeded conversations: ordinary, so a seeded one does not stand out."""
TOLD = (
    CALIBRATION_NOTICE + " this was a known-bad draft. What is wrong with it: {wrong} — {verdict}"
)


class Calibration(CustomerTurns):
    """Loading known-bad drafts, seeding them at a rate, and scoring the decisions on them."""

    def load_calibration(self, op: OperatorRecord, items: list[CalibrationItem]) -> int:
        """Supervisor: keep known-bad drafts for seeding; returns how many are loaded."""
        policy.require(op.role, Permission.SUPERVISE)
        limit = self.settings.max_text_length
        for n, item in enumerate(items):
            policy.check_text(f"items.{n}.customer_message", item.customer_message, limit)
            policy.check_text(f"items.{n}.bad_draft", item.bad_draft, limit)
            policy.check_text(f"items.{n}.what_is_wrong", item.what_is_wrong, limit)
        with self.store.transaction():
            for item in items:
                self.store.add_calibration_item(
                    item.customer_message, item.bad_draft, item.what_is_wrong
                )
        return len(self.store.calibration_items())

    def set_calibration_rate(self, op: OperatorRecord, rate: float) -> CalibrationState:
        """Supervisor: seed this share of new conversations with a calibration draft."""
        policy.require(op.role, Permission.SUPERVISE)
        self.store.set_meta("calibration_rate", repr(rate))
        return self.calibration_state(op)

    def _calibration_rate(self) -> float:
        stored = self.store.get_meta("calibration_rate")
        return float(stored) if stored is not None else self.settings.calibration_rate

    def calibration_state(self, op: OperatorRecord) -> CalibrationState:
        """Supervisor: what is loaded, the rate, and the catches and misses so far."""
        policy.require(op.role, Permission.SUPERVISE)
        outcomes = self.store.calibration_outcomes()
        return CalibrationState(
            items=len(self.store.calibration_items()), rate=self._calibration_rate(), **outcomes
        )

    def start_chat(self, customer: Customer) -> ChatStarted:
        """A customer's chat; at the seeding rate, a calibration conversation comes along.

        While seeding, the chat and the running total are one transaction that runs
        alone, so processes side by side neither lose a count nor seed twice.
        """
        rate = self._calibration_rate()
        if rate <= 0:
            return super().start_chat(customer)
        with self.store.transaction():
            started = super().start_chat(customer)
            if self.store.calibration_items():
                # A running total instead of a dice roll: the rate holds exactly, tests need
                # no seed.
                total = float(self.store.get_meta("calibration_due") or 0) + rate
                if total >= 1:
                    self.seed_calibration()
                    total -= 1
                self.store.set_meta("calibration_due", repr(total))
        return started

    def seed_calibration(self) -> str:
        """Put the next known-bad draft in the queue, as a conversation with no customer channel."""
        items = self.store.calibration_items()
        if not items:
            raise Conflict("no calibration drafts are loaded")
        seeded = self.store.calibration_outcomes()["seeded"]
        item = items[seeded % len(items)]
        name = NAMES[seeded % len(NAMES)]
        with self.store.transaction():
            cid = self.store.create_conversation(Customer(name=name), secrets.token_hex(16))
            self.store.update_conversation(
                cid, calibration_id=item["id"], customer_token_hash=NO_CHANNEL
            )
            self._disclose(cid, self.disclosure(None))
            said = self._say(cid, Author.CUSTOMER, item["customer_message"])
            self._move(cid, Act.CUSTOMER_WRITES, waiting_since=said.created_at.isoformat())
            draft = self.store.add_draft(
                cid,
                text=item["draft_text"],
                confidence=0.82,
                rationale="Answered from the knowledge base.",
                sources=[],
                flags=[],
                bot=self.bot.identity,
                instruction=None,
                send_at=None,
            )
            self._emit(EventType.DRAFT_CREATED, cid, draft)
            self._move(cid, Act.DRAFT_WAITS)
            self._publish(cid, created=True)
        return cid

    def _answer(self, cid: str, journal: Callable[[], None] | None = None) -> ConversationDetail:
        """After a decision on a calibration draft: close it and, if set, tell the reviewer."""
        row = self._conversation(cid)
        if row["calibration_id"] is not None and row["status"] != ConversationStatus.CLOSED:
            drafts = self.store.drafts_of(cid)
            if drafts and drafts[0].status is not DraftStatus.PENDING:
                if self.settings.calibration_tell_reviewer:
                    item = next(
                        i
                        for i in self.store.calibration_items()
                        if i["id"] == row["calibration_id"]
                    )
                    missed = drafts[0].status is DraftStatus.APPROVED
                    verdict = (
                        "it was approved as written: a miss."
                        if missed
                        else "you did not let it out as written: a catch."
                    )
                    self._say(
                        cid,
                        Author.SYSTEM,
                        TOLD.format(wrong=item["what_is_wrong"], verdict=verdict),
                    )
                self._move(cid, Act.CLOSE, holder=None, waiting_since=None)
                self._publish(cid)
        return super()._answer(cid, journal)
