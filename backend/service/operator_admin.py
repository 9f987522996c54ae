"""Operators' lifecycle: who may still log in, disabling, new tokens, expiry. All journaled."""

from __future__ import annotations

from datetime import datetime

from backend_client import Action, Operator, OperatorChange, Page, Role

from ..domain import policy
from ..domain.operators import token_expiry, token_refusal
from ..domain.policy import Permission
from ..errors import NotFound, Unauthorized
from ..store import OperatorRecord
from ..store.oversight import OperatorState
from .core import ServiceCore

SYSTEM = OperatorRecord(id="system", name="system", role=Role.ADMIN)
"""The actor of acts nobody took by hand: the retention job, a command on the database."""


class OperatorAdmin(ServiceCore):
    """Authentication with the lifecycle rules, and the changes an admin makes."""

    operator_generation = 0
    """Bumped on every disable and rotation, so open streams re-check their operator."""
    _operators_seen: tuple[tuple[str, str | None, str | None], ...] | None = None
    """Each operator's (id, disabled_at, token_issued_at) at the sweep's last look."""

    def authenticate(self, token: str) -> OperatorRecord:
        """The operator of a bearer token, if it still works (401 with the reason otherwise)."""
        state = self.store.operator_state_by_token(token)
        if state is None:
            raise Unauthorized("this token is not known: ask an admin for a new one")
        refusal = self._refusal(state)
        if refusal is not None:
            raise Unauthorized(refusal)
        return state.record

    def _refusal(self, state: OperatorState) -> str | None:
        return token_refusal(
            state.disabled_at, state.token_issued_at, self._now(), self.settings.token_days
        )

    def notice_operator_changes(self) -> bool:
        """Look at the operators table for changes made outside this process (`hitl operator
        disable` writes the database directly): open streams re-check their operator on one.

        One small read for all streams, called by the backend's sweep; returns whether
        anything changed since the last look.
        """
        seen = tuple(
            (s.record.id, s.disabled_at, s.token_issued_at) for s in self.store.operator_states()
        )
        before, self._operators_seen = self._operators_seen, seen
        if before is None or before == seen:
            return False
        OperatorAdmin.operator_generation += 1
        return True

    def still_active(self, operator_id: str, token: str) -> bool:
        """Whether this operator's token still works (an open stream asks after each change)."""
        state = self.store.operator_state_by_token(token)
        return state is not None and state.record.id == operator_id and not self._refusal(state)

    def token_expiry(self, token: str) -> datetime | None:
        """When this token stops working by age (None: it never does, or it is not one)."""
        state = self.store.operator_state_by_token(token)
        if state is None:
            return None
        return token_expiry(state.token_issued_at, self.settings.token_days)

    def has_passed(self, moment: datetime) -> bool:
        """Whether the backend's clock has reached `moment`."""
        return self._now() >= moment

    def operators(self, op: OperatorRecord) -> Page[Operator]:
        """The operator directory, with who is active."""
        policy.require(op.role, Permission.READ)
        return Page[Operator](
            items=[
                Operator(
                    id=s.record.id,
                    name=s.record.name,
                    role=s.record.role,
                    active=self._refusal(s) is None,
                )
                for s in self.store.operator_states()
            ]
        )

    def _target(self, name: str) -> OperatorState:
        state = self.store.operator_state_by_name(name)
        if state is None:
            raise NotFound(f"no operator {name!r}")
        return state

    def disable_operator(self, actor: OperatorRecord, name: str) -> OperatorChange:
        """Disable an operator: their token stops working, their open streams close."""
        if actor is not SYSTEM:
            policy.require(actor.role, Permission.ERASE)
        target = self._target(name)
        with self.store.transaction():
            self.store.disable_operator(target.record.id)
            self._journal_change(actor, Action.DISABLE_OPERATOR, target)
        return self._change(target.record.id)

    def rotate_operator_token(self, actor: OperatorRecord, name: str) -> OperatorChange:
        """A new token for an operator (shown once); the old one stops working."""
        if actor is not SYSTEM:
            policy.require(actor.role, Permission.ERASE)
        target = self._target(name)
        with self.store.transaction():
            token = self.store.rotate_token(target.record.id)
            self._journal_change(actor, Action.ROTATE_TOKEN, target)
        return self._change(target.record.id).model_copy(update={"token": token})

    def _journal_change(self, actor: OperatorRecord, action: Action, target: OperatorState) -> None:
        OperatorAdmin.operator_generation += 1
        self.record_decision(
            actor, action, note=f"operator {target.record.name} ({target.record.id})"
        )

    def _change(self, operator_id: str) -> OperatorChange:
        state = next(s for s in self.store.operator_states() if s.record.id == operator_id)
        return OperatorChange(
            id=state.record.id,
            name=state.record.name,
            role=state.record.role,
            active=self._refusal(state) is None,
        )


__all__ = ["SYSTEM", "OperatorAdmin"]
