"""Remembered responses of decision calls, by operator and Idempotency-Key."""

from __future__ import annotations

from .common import Connection


class IdempotencyRows(Connection):
    """Idempotency records."""

    def idempotent_response(self, operator_id: str, key: str) -> tuple[str, str] | None:
        """The (fingerprint, response JSON) stored for an operator's Idempotency-Key."""
        row = self.db.execute(
            "SELECT fingerprint, response FROM idempotency WHERE operator_id = ? AND key = ?",
            [operator_id, key],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def remember_response(
        self, operator_id: str, key: str, fingerprint: str, response: str
    ) -> None:
        """Keep the first response to an Idempotency-Key (in the decision's own transaction).

        A second record for the same key fails the transaction: a decision
        that another process already applied under this key rolls back.
        """
        with self.transaction():
            self.db.execute(
                "INSERT INTO idempotency (operator_id, key, fingerprint, response, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                [operator_id, key, fingerprint, response, self.now()],
            )

    def update_response(self, operator_id: str, key: str, response: str) -> None:
        """Replace a key's response with the decision's final one (after work outside it)."""
        with self.transaction():
            self.db.execute(
                "UPDATE idempotency SET response = ? WHERE operator_id = ? AND key = ?",
                [response, operator_id, key],
            )
