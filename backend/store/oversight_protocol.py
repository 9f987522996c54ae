"""What the oversight features need from a store, on top of the core `StoreProtocol`."""

from __future__ import annotations

from typing import Any, Protocol

from ..domain.oversight_figures import ReviewRow
from .oversight import OperatorState
from .report_rows import ReportData


class OversightStoreProtocol(Protocol):
    """Data subjects, operators' lifecycle, retention and calibration rows."""

    def conversations_of_email(self, email: str) -> list[str]:
        """Every conversation whose customer gave this email (case-insensitive), oldest first."""
        ...

    def operator_state_by_token(self, token: str) -> OperatorState | None:
        """The operator a token belongs to, disabled or not, with its token's age."""
        ...

    def operator_state_by_name(self, name: str) -> OperatorState | None:
        """An operator by name or id."""
        ...

    def operator_states(self) -> list[OperatorState]:
        """Every operator, with whether they are disabled and their token's age."""
        ...

    def disable_operator(self, operator_id: str) -> None:
        """Disable an operator (in the current transaction)."""
        ...

    def rotate_token(self, operator_id: str) -> str:
        """A new token for an operator (in the current transaction)."""
        ...

    def closed_before(self, before: str) -> list[str]:
        """Conversations closed before `before` whose personal data is not yet erased."""
        ...

    def journal_texts_before(self, before: str) -> list[int]:
        """Journal entries older than `before` that still keep a copy of a text."""
        ...

    def drop_journal_texts(self, seqs: list[int]) -> None:
        """Forget the journal's copies of these entries' texts."""
        ...

    def message(self, cid: str, mid: str) -> Any:
        """One delivered message of conversation `cid`, or None."""
        ...

    def add_calibration_item(self, customer_message: str, draft_text: str, wrong: str) -> str:
        """Keep one known-bad draft for seeding."""
        ...

    def calibration_items(self) -> list[dict[str, Any]]:
        """Every known-bad draft loaded for seeding."""
        ...

    def calibration_outcomes(self) -> dict[str, int]:
        """Seeded calibration conversations, catches and misses."""
        ...

    def add_escalation(self, cid: str, reason: str) -> None:
        """Note that a conversation escalated now (for waiting times against the SLA)."""
        ...

    def escalation_taken(self, cid: str) -> None:
        """Note that a person took the conversation's open escalation now."""
        ...

    def review_rows(self, since: str, until: str) -> list[ReviewRow]:
        """Human decisions on drafts in [since, until), oldest first."""
        ...

    def report_data(self, since: str, until: str) -> ReportData:
        """Everything the oversight report counts, for [since, until)."""
        ...

    def audit_hash_at(self, seq: int) -> str | None:
        """The hash of journal entry `seq`, if there is one."""
        ...
