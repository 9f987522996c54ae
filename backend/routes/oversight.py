"""Routes of the oversight duties: data subjects' rights, corrections, operators' lifecycle."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from backend_client import (
    ConversationDetail,
    CorrectionRequest,
    DsrExport,
    ErasureResult,
    OperatorChange,
    SubjectRequest,
)

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
