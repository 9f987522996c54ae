"""Rows behind the oversight duties: people by email, operator lifecycle, retention, calibration."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from backend_client import Role

from .common import Connection, OperatorRecord, hash_token, new_id


@dataclass(frozen=True)
class OperatorState:
    """An operator with what decides whether their token still works."""

    record: OperatorRecord
    disabled_at: str | None
    token_issued_at: str | None


def _state(row: Any) -> OperatorState:
    return OperatorState(
        record=OperatorRecord(id=row[0], name=row[1], role=Role(row[2])),
        disabled_at=row[3],
        token_issued_at=row[4],
    )


_OPERATOR_SQL = (
    "SELECT id, name, role, disabled_at, coalesce(token_issued_at, created_at) FROM operators"
)


class OversightRows(Connection):
    """Queries for data subjects' rights, operators' lifecycle, retention and calibration."""

    # -- data subjects -------------------------------------------------------------------

    def conversations_of_email(self, email: str) -> list[str]:
        """Every conversation whose customer gave this email (case-insensitive), oldest first."""
        rows = self.db.execute(
            "SELECT id FROM conversations WHERE lower(customer_email) = lower(?) "
            "ORDER BY created_at, id",
            [email.strip()],
        )
        return [r[0] for r in rows]

    # -- operators -----------------------------------------------------------------------

    def operator_state_by_token(self, token: str) -> OperatorState | None:
        """The operator a token belongs to, disabled or not, with its token's age."""
        row = self.db.execute(
            _OPERATOR_SQL + " WHERE token_hash = ?", [hash_token(token)]
        ).fetchone()
        return _state(row) if row else None

    def operator_state_by_name(self, name: str) -> OperatorState | None:
        """An operator by name (the CLI's handle) or id."""
        row = self.db.execute(
            _OPERATOR_SQL + " WHERE name = ? OR id = ? ORDER BY created_at LIMIT 1", [name, name]
        ).fetchone()
        return _state(row) if row else None

    def operator_states(self) -> list[OperatorState]:
        """Every operator, with whether they are disabled and their token's age."""
        return [_state(r) for r in self.db.execute(_OPERATOR_SQL + " ORDER BY created_at")]

    def disable_operator(self, operator_id: str) -> None:
        """Disable an operator (in the current transaction): their token stops working."""
        self.db.execute(
            "UPDATE operators SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL",
            [self.now(), operator_id],
        )

    def rotate_token(self, operator_id: str) -> str:
        """A new token for an operator (in the current transaction); the old one stops working."""
        token = "hitl_" + secrets.token_urlsafe(32)
        self.db.execute(
            "UPDATE operators SET token_hash = ?, token_issued_at = ? WHERE id = ?",
            [hash_token(token), self.now(), operator_id],
        )
        return token

    # -- retention -----------------------------------------------------------------------

    def closed_before(self, before: str) -> list[str]:
        """Conversations closed before `before` whose personal data is not yet erased."""
        rows = self.db.execute(
            "SELECT id FROM conversations WHERE closed_at IS NOT NULL AND closed_at < ? "
            "AND erased_at IS NULL ORDER BY closed_at, id",
            [before],
        )
        return [r[0] for r in rows]

    def journal_texts_before(self, before: str) -> list[int]:
        """Journal entries older than `before` that still keep a copy of a text."""
        rows = self.db.execute(
            "SELECT t.seq FROM audit_texts t JOIN audit a USING (seq) WHERE a.at < ? "
            "AND (t.ai_text IS NOT NULL OR t.final_text IS NOT NULL) ORDER BY t.seq",
            [before],
        )
        return [r[0] for r in rows]

    def drop_journal_texts(self, seqs: list[int]) -> None:
        """Forget the journal's copies of these entries' texts; entries and HMACs stay."""
        with self.transaction():
            for seq in seqs:
                self.db.execute(
                    "UPDATE audit_texts SET ai_text = NULL, final_text = NULL WHERE seq = ?", [seq]
                )
                self.db.execute(
                    "UPDATE audit_fts SET ai_text = '', final_text = '' WHERE rowid = ?", [seq]
                )

    # -- calibration ---------------------------------------------------------------------

    def add_calibration_item(self, customer_message: str, draft_text: str, wrong: str) -> str:
        """Keep one known-bad draft for seeding (in the current transaction)."""
        item = new_id("cal")
        self.db.execute(
            "INSERT INTO calibration_items (id, customer_message, draft_text, what_is_wrong, "
            "created_at) VALUES (?, ?, ?, ?, ?)",
            [item, customer_message, draft_text, wrong, self.now()],
        )
        return item

    def calibration_items(self) -> list[dict[str, Any]]:
        """Every known-bad draft loaded for seeding."""
        return list(self.db.query("SELECT * FROM calibration_items ORDER BY created_at, id"))

    def calibration_outcomes(self) -> dict[str, int]:
        """Seeded calibration conversations, and the reviewers' decisions on their drafts."""
        seeded = self.db.execute(
            "SELECT count(*) FROM conversations WHERE calibration_id IS NOT NULL"
        ).fetchone()[0]
        rows = self.db.execute(
            "SELECT a.action, count(*) FROM audit a JOIN conversations c "
            "ON c.id = a.conversation_id WHERE c.calibration_id IS NOT NULL "
            "AND a.action IN ('approve', 'edit', 'reject', 'regenerate') GROUP BY a.action"
        )
        counts = dict(rows.fetchall())
        misses = counts.pop("approve", 0)
        return {"seeded": seeded, "catches": sum(counts.values()), "misses": misses}

    # -- escalations ---------------------------------------------------------------------

    def add_escalation(self, cid: str, reason: str) -> None:
        """Note that a conversation escalated now (in the current transaction)."""
        self.db.execute(
            "INSERT INTO escalations (conversation_id, reason, at) VALUES (?, ?, ?)",
            [cid, reason, self.now()],
        )

    def escalation_taken(self, cid: str) -> None:
        """Note that a person took the conversation's open escalation now."""
        self.db.execute(
            "UPDATE escalations SET taken_at = ? WHERE conversation_id = ? AND taken_at IS NULL",
            [self.now(), cid],
        )

    def audit_hash_at(self, seq: int) -> str | None:
        """The hash of journal entry `seq`, if there is one."""
        row = self.db.execute("SELECT hash FROM audit WHERE seq = ?", [seq]).fetchone()
        return row[0] if row else None
