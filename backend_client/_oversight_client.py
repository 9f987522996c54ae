"""The operator client's calls for the oversight duties (mixed into `AsyncBackendClient`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import TypeAdapter

from ._base import DECISION_ATTEMPTS, _BaseClient, _parse
from ._enums import ReasonCode
from ._models import AIState, ConversationDetail
from ._oversight import (
    CalibrationItem,
    CalibrationLoad,
    CalibrationSeeding,
    CalibrationState,
    CorrectionRequest,
    DsrExport,
    ErasureResult,
    OperatorChange,
    PauseRequest,
    SubjectRequest,
)
from ._report import OversightReport, ReviewerReport

_AI_STATE = TypeAdapter(AIState)
_DETAIL = TypeAdapter(ConversationDetail)
_DSR = TypeAdapter(DsrExport)
_ERASURE = TypeAdapter(ErasureResult)
_CHANGE = TypeAdapter(OperatorChange)
_CALIBRATION = TypeAdapter(CalibrationState)
_REVIEWERS = TypeAdapter(ReviewerReport)
_REPORT = TypeAdapter(OversightReport)

CONFIRM_HEADER = "Hitl-Confirm-Words"
"""Sent with an approval to confirm a fast one: the draft's length in words."""


class OversightCalls(_BaseClient):
    """Pausing with a reason, data subjects' rights, corrections, operators' lifecycle."""

    async def pause_ai(self, reason: str | None = None, until: datetime | None = None) -> AIState:
        """Supervisor: stop all AI sending at once, saying why and, optionally, until when."""
        body = PauseRequest(reason=reason, until=until) if reason is not None else None
        response = await self._send("POST", "/v1/ai/pause", json=body, attempts=DECISION_ATTEMPTS)
        return _parse(_AI_STATE, response)

    async def dsr_export(self, email: str) -> DsrExport:
        """Admin: everything held about the person with this email (GDPR art. 15)."""
        response = await self._send("POST", "/v1/dsr/export", json=SubjectRequest(email=email))
        return _parse(_DSR, response)

    async def erase_person(self, email: str) -> ErasureResult:
        """Admin: erase every conversation of the person with this email (GDPR art. 17)."""
        # Not retried: after a lost answer a retry finds nothing left to erase (404).
        response = await self._send("POST", "/v1/dsr/erase", json=SubjectRequest(email=email))
        return _parse(_ERASURE, response)

    async def correct(
        self,
        conversation_id: str,
        message_id: str,
        text: str,
        reason_code: ReasonCode,
        note: str | None = None,
    ) -> ConversationDetail:
        """Send a correction of an earlier message, with the reason it was wrong."""
        response = await self._send(
            "POST",
            f"/v1/conversations/{conversation_id}/messages/{message_id}/correction",
            json=CorrectionRequest(text=text, reason_code=reason_code, note=note),
            headers={"Idempotency-Key": uuid.uuid4().hex},
            attempts=DECISION_ATTEMPTS,
        )
        return _parse(_DETAIL, response)

    async def approve_confirmed(
        self, draft_id: str, version: int, words: int, *, idempotency_key: str | None = None
    ) -> ConversationDetail:
        """Approve a draft, confirming it was read although it was approved fast."""
        response = await self._send(
            "POST",
            f"/v1/drafts/{draft_id}/approve",
            headers={
                "Idempotency-Key": idempotency_key or uuid.uuid4().hex,
                "If-Match": f'"{version}"',
                CONFIRM_HEADER: str(words),
            },
            attempts=DECISION_ATTEMPTS,
        )
        return _parse(_DETAIL, response)

    async def disable_operator(self, name: str) -> OperatorChange:
        """Admin: disable an operator; their token and open streams stop at once."""
        response = await self._send("POST", f"/v1/operators/{name}/disable")
        return _parse(_CHANGE, response)

    async def rotate_token(self, name: str) -> OperatorChange:
        """Admin: a new token for an operator (in the answer, once)."""
        response = await self._send("POST", f"/v1/operators/{name}/rotate-token")
        return _parse(_CHANGE, response)

    async def calibration(self) -> CalibrationState:
        """Supervisor: calibration drafts loaded, the seeding rate, catches and misses."""
        return await self._get("/v1/calibration", _CALIBRATION)

    async def load_calibration(self, items: list[CalibrationItem]) -> CalibrationState:
        """Supervisor: load known-bad drafts for seeding."""
        response = await self._send(
            "POST", "/v1/calibration/items", json=CalibrationLoad(items=items)
        )
        return _parse(_CALIBRATION, response)

    async def set_calibration_rate(self, rate: float) -> CalibrationState:
        """Supervisor: seed this share of new conversations with a calibration draft."""
        response = await self._send(
            "PUT", "/v1/calibration/seeding", json=CalibrationSeeding(rate=rate), attempts=2
        )
        return _parse(_CALIBRATION, response)

    async def reviewer_metrics(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> ReviewerReport:
        """Supervisor: every reviewer's review quality, and its trend by day."""
        params = {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        }
        return await self._get("/v1/metrics/reviewers", _REVIEWERS, params)

    async def oversight_report(
        self,
        since: datetime,
        until: datetime | None = None,
        checkpoint: tuple[int, str] | None = None,
    ) -> OversightReport:
        """Supervisor: the oversight report's figures for a period; with a checkpoint
        (entries, head), whether the journal still holds it."""
        params: dict[str, object] = {
            "since": since.isoformat(),
            "until": until.isoformat() if until else None,
        }
        if checkpoint is not None:
            params["checkpoint_entries"], params["checkpoint_head"] = checkpoint
        response = await self._send(
            "GET", "/v1/reports/oversight", params=params, attempts=2, timeout=120
        )
        return _parse(_REPORT, response)
