"""The SQLite store: every aggregate's rows on one connection."""

from __future__ import annotations

from backend_client import ConversationSummary, EventType

from .audit import AuditRows
from .chatwoot import ChatwootRows
from .common import ERASED
from .conversations import ConversationRows
from .events import EventRows
from .idempotency import IdempotencyRows
from .jobs import JobRows
from .operators import OperatorRows
from .outbox import OutboxRows
from .oversight import OversightRows
from .report_rows import ReportRows
from .workday import WorkdayRows


class SQLiteStore(
    ConversationRows,
    AuditRows,
    EventRows,
    OperatorRows,
    IdempotencyRows,
    JobRows,
    OutboxRows,
    ChatwootRows,
    OversightRows,
    ReportRows,
    WorkdayRows,
):
    """The database: every query the backend makes, on one SQLite connection."""

    def publish_conversation(self, cid: str, *, created: bool = False) -> ConversationSummary:
        """Bump the version and persist the conversation's event, for bulk seeding only.

        Tools and tests that fill a database behind the service's back (the
        benchmarks, a console test with 1,200 chats) still need the stream to
        see what they made. The service never calls this: it emits its own
        events (`service.core.ServiceCore._publish`).
        """
        summary = self.touch_conversation(cid, created=created)
        kind = EventType.CONVERSATION_CREATED if created else EventType.CONVERSATION_UPDATED
        self.append_event(kind, cid, summary.model_dump(mode="json"))
        return summary

    def erase_conversation(self, cid: str, *, keep_journal_texts: bool = False) -> None:
        """Forget what a customer and anyone answering them wrote (GDPR art. 17).

        Messages, drafts, the customer's name and email, the journal's texts,
        the stored events and the remembered responses of decision calls that
        carried them. System messages (the disclosure) stay; the journal keeps
        its entries and HMACs, so the chain still verifies (the retention job
        keeps the journal's texts for their own, longer period with
        `keep_journal_texts`). Erasure listeners
        hear of it after the commit, to drop copies they keep in memory.
        """
        with self.transaction():
            self.db.execute(
                "UPDATE messages SET text = ? WHERE conversation_id = ? AND author != 'system'",
                [ERASED, cid],
            )
            self.db.execute(
                "UPDATE drafts SET text = ?, rationale = ?, instruction = NULL, final_text = NULL "
                "WHERE conversation_id = ?",
                [ERASED, ERASED, cid],
            )
            self.db.execute(
                "UPDATE conversations SET customer_name = ?, customer_email = NULL, "
                "last_message = ? WHERE id = ?",
                [ERASED, ERASED, cid],
            )
            self.db.execute(
                "UPDATE conversations SET erased_at = ? WHERE id = ?", [self.now(), cid]
            )
            if not keep_journal_texts:
                self.erase_audit_texts(cid)
            self.db.execute("DELETE FROM events WHERE conversation_id = ?", [cid])
            # Deliveries carry the texts too; an erased chat's pending ones must not go out.
            self.db.execute("DELETE FROM outbox WHERE conversation_id = ?", [cid])
            # Internal notes may quote the customer: they are erased with the rest.
            self.db.execute("UPDATE notes SET text = ? WHERE conversation_id = ?", [ERASED, cid])
            self.db.execute("DELETE FROM idempotency WHERE response LIKE ?", [f"%{cid}%"])
            # Events this transaction queued before the erasure carry the texts too.
            self._unwritten = [e for e in self._unwritten if e.conversation_id != cid]
            self._erased.append(cid)
