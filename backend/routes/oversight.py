"""Routes of the oversight duties: data subjects' rights, corrections, operators' lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from backend_client import (
    CalibrationLoad,
    CalibrationSeeding,
    CalibrationState,
    ConversationDetail,
    CorrectionRequest,
    DsrExport,
    ErasureResult,
    OperatorChange,
    OversightReport,
    ReviewerReport,
    SubjectRequest,
)

from ..store import INT_MAX
from .deps import CurrentOperator, Decide, Service

router = APIRouter(tags=["oversight"])


@router.post("/v1/dsr/export")
async def dsr_export(body: SubjectRequest, service: Service, op: CurrentOperator) -> DsrExport:
    """Admin: everything held about the person with this email, as one document (GDPR art. 15).

    The email travels in the body, not the URL, so it stays out of access logs.
    """
    return service.dsr_export(op, body.email)


@router.post("/v1/dsr/erase")
async def dsr_erase(body: SubjectRequest, service: Service, op: CurrentOperator) -> ErasureResult:
    """Admin: erase every conversation of the person with this email (GDPR art. 17)."""
    return service.erase_person(op, body.email)


@router.post("/v1/conversations/{cid}/messages/{mid}/correction", response_model=ConversationDetail)
async def correct(cid: str, mid: str, body: CorrectionRequest, d: Decide) -> Response:
    """Send a correction of an earlier message, marked as such, with a reason (journaled)."""
    return await d.run(
        lambda: d.service.correct(d.operator, cid, mid, body.text, body.reason_code, body.note)
    )


@router.post("/v1/operators/{name}/disable")
async def disable(name: str, service: Service, op: CurrentOperator) -> OperatorChange:
    """Admin: disable an operator (by name or id); their token and open streams stop at once."""
    return service.disable_operator(op, name)


@router.post("/v1/operators/{name}/rotate-token")
async def rotate_token(name: str, service: Service, op: CurrentOperator) -> OperatorChange:
    """Admin: a new token for an operator, shown once in the answer; the old one stops."""
    return service.rotate_operator_token(op, name)


@router.get("/v1/calibration")
async def calibration(service: Service, op: CurrentOperator) -> CalibrationState:
    """Supervisor: calibration drafts loaded, the seeding rate, catches and misses so far."""
    return service.calibration_state(op)


@router.post("/v1/calibration/items")
async def load_calibration(
    body: CalibrationLoad, service: Service, op: CurrentOperator
) -> CalibrationState:
    """Supervisor: load known-bad drafts (customer message, bad draft, what is wrong)."""
    service.load_calibration(op, body.items)
    return service.calibration_state(op)


@router.put("/v1/calibration/seeding")
async def calibration_seeding(
    body: CalibrationSeeding, service: Service, op: CurrentOperator
) -> CalibrationState:
    """Supervisor: seed this share (0..1) of new conversations with a calibration draft."""
    return service.set_calibration_rate(op, body.rate)


@router.get("/v1/metrics/reviewers", tags=["metrics"])
async def reviewers(
    service: Service,
    op: CurrentOperator,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ReviewerReport:
    """Per reviewer: median review time per 100 words, fast-approval share, calibration
    catch rate, override rate, and each by day."""
    return service.reviewer_report(op, since, until)


@router.get("/v1/reports/oversight", tags=["metrics"])
async def oversight_report(
    service: Service,
    op: CurrentOperator,
    since: datetime | None = None,
    until: datetime | None = None,
    checkpoint_entries: Annotated[int | None, Query(ge=0, le=INT_MAX)] = None,
    checkpoint_head: Annotated[str | None, Query(max_length=128)] = None,
) -> OversightReport:
    """Supervisor: the figures of the oversight report (`hitl report` renders them);
    `since` defaults to 30 days before `until` (default: now).

    With `checkpoint_entries` and `checkpoint_head` (from `hitl audit checkpoint`),
    the report says whether the journal still holds that checkpoint.
    """
    checkpoint = None
    if checkpoint_entries is not None and checkpoint_head is not None:
        checkpoint = (checkpoint_entries, checkpoint_head)
    return await service.oversight_report(op, since, until, checkpoint)
