"""Operators and their hashed bearer tokens."""

from __future__ import annotations

import secrets

from backend_client import (
    Role,
)

from .common import Connection, OperatorRecord, hash_token, new_id


class OperatorRows(Connection):
    """Operators."""

    def add_operator(self, name: str, role: Role) -> tuple[OperatorRecord, str]:
        """Create an operator; returns it and its bearer token (never stored in clear)."""
        token = "hitl_" + secrets.token_urlsafe(32)
        record = OperatorRecord(id=new_id("op"), name=name, role=role)
        with self.transaction():
            self.db.execute(
                "INSERT INTO operators (id, name, role, token_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [record.id, name, role.value, hash_token(token), self.now()],
            )
        return record, token

    def operator_by_token(self, token: str) -> OperatorRecord | None:
        """The operator a bearer token belongs to."""
        row = self.db.execute(
            "SELECT id, name, role FROM operators WHERE token_hash = ?", [hash_token(token)]
        ).fetchone()
        return OperatorRecord(id=row[0], name=row[1], role=Role(row[2])) if row else None

    def operator_name(self, operator_id: str | None) -> str | None:
        """An operator's display name."""
        if operator_id is None:
            return None
        row = self.db.execute("SELECT name FROM operators WHERE id = ?", [operator_id]).fetchone()
        return row[0] if row else operator_id

    def list_operators(self) -> list[OperatorRecord]:
        """Every operator."""
        rows = self.db.execute("SELECT id, name, role FROM operators ORDER BY created_at")
        return [OperatorRecord(id=r[0], name=r[1], role=Role(r[2])) for r in rows]
