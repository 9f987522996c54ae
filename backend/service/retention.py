"""The retention job: erase what is kept longer than the config allows, as a system act."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend_client import Action, ConversationStatus

from ..domain.journal import RETENTION_CUTOFF
from ..domain.retention import cutoffs, stored
from ..domain.transitions import Act
from .operator_admin import SYSTEM, OperatorAdmin


@dataclass
class RetentionRun:
    """What a retention run erased, or (dry run) would erase."""

    dry_run: bool
    conversations: list[str] = field(default_factory=list)
    """Conversations whose personal data is (or would be) erased."""
    journal_texts: int = 0
    """Journal entries whose copies of texts are (or would be) dropped."""
    journal_seq: int | None = None
    """The journal entry that records the run (None for a dry run or when nothing was due)."""

    def summary(self) -> str:
        """One line for a person."""
        verb = "would erase" if self.dry_run else "erased"
        return (
            f"{verb} the personal data of {len(self.conversations)} closed conversation(s) and "
            f"the texts of {self.journal_texts} journal entr"
            f"{'y' if self.journal_texts == 1 else 'ies'}"
        )


class Retention(OperatorAdmin):
    """Keeping data no longer than needed; the journal's entries and HMACs are never deleted."""

    def run_retention(self, *, dry_run: bool = False) -> RetentionRun:
        """Erase (or, with `dry_run`, list) what is due now; journaled as a system act."""
        due = cutoffs(self._now(), self.settings.retention)
        cids = self.store.closed_before(stored(due.personal_before))
        seqs = self.store.journal_texts_before(stored(due.journal_before))
        run = RetentionRun(dry_run=dry_run, conversations=cids, journal_texts=len(seqs))
        if dry_run or not (cids or seqs):
            return run
        with self.store.transaction():
            for cid in cids:
                row = self._conversation(cid)
                if row["status"] != ConversationStatus.CLOSED.value:
                    continue
                self._move(cid, Act.ERASE)
                # The journal's texts have their own, longer period (journal_text_days).
                self.store.erase_conversation(cid, keep_journal_texts=True)
                self._publish(cid)
            self.store.drop_journal_texts(seqs)
            # The cutoff goes into the (hashed) note: verification accepts texts missing
            # before it, and only before it.
            note = f"{run.summary()}\n{RETENTION_CUTOFF}{stored(due.journal_before)}"
            self.record_decision(SYSTEM, Action.RETENTION, note=note)
        run.journal_seq = self.store.list_audit(action=Action.RETENTION, limit=1).items[0].seq
        return run
