"""Friction where review is too fast: confirm a quick approval; flag a run of them."""

from __future__ import annotations

from backend_client import Action, ConversationDetail, FieldError

from ..domain.review_speed import ReadingCheck, confirmation_matches, reading_check
from ..errors import DomainError
from ..store import OperatorRecord
from .drafts import DraftDecisions
from .operator_admin import SYSTEM

CONFIRM_HEADER = "Hitl-Confirm-Words"
"""The header that confirms a fast approval; its value is the draft's length in words."""


class ConfirmationRequired(DomainError):
    """The approval came faster than the draft can be read: confirm with its length."""

    status = 428
    title = "Confirmation required"


class ReviewSpeed(DraftDecisions):
    """Approvals are checked against the time reading the draft takes."""

    def approve(
        self,
        op: OperatorRecord,
        did: str,
        if_match: int | None,
        confirm_words: int | None = None,
    ) -> ConversationDetail:
        """Send the draft as written; faster than it can be read only with a confirmation."""
        pace = self.settings.reading_words_per_second
        if pace is None:
            return super().approve(op, did, if_match)
        with self._deciding(op, did):
            draft = self._pending_draft(op, did, if_match)
            taken = (self._now() - draft.created_at).total_seconds()
            check = reading_check(draft.text, taken, pace)
            if not confirmation_matches(check, confirm_words):
                raise ConfirmationRequired(
                    f"you approved after {check.seconds_taken:.1f} s a draft of {check.words} "
                    f"words that takes {check.seconds_needed:.1f} s to read: if you did read "
                    f"it, send the approval again with '{CONFIRM_HEADER}: {check.words}'",
                    errors=[FieldError(field=CONFIRM_HEADER, message=str(check.words))],
                )
            detail = super().approve(op, did, if_match)
            self._count_fast_run(op, check)
            return detail

    def _count_fast_run(self, op: OperatorRecord, check: ReadingCheck) -> None:
        """A run of fast approvals by one reviewer becomes a journal entry supervisors see."""
        key = f"fast_run:{op.id}"
        run = int(self.store.get_meta(key) or 0) + 1 if check.too_fast else 0
        if run >= self.settings.fast_run_flag:
            self.record_decision(
                SYSTEM,
                Action.FLAG_FAST_RUN,
                note=f"{op.name} ({op.id}) approved {run} drafts in a row faster than they "
                "can be read",
            )
            run = 0
        self.store.set_meta(key, str(run))
