"""The override log and the check of its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import TypeAdapter

from backend_client import AuditEntry, AuditQuery, Page, VerifyResult

from .deps import CurrentOperator, Service

router = APIRouter(tags=["audit"])

_AUDIT_PAGE = TypeAdapter(Page[AuditEntry])
"""Serialises a page of the override log straight to JSON bytes."""


@router.get("/v1/audit", response_model=Page[AuditEntry])
async def audit(
    service: Service, op: CurrentOperator, query: Annotated[AuditQuery, Query()]
) -> Response:
    """The override log, newest first (supervisor and admin)."""
    page = service.audit(op, query)
    # Serialised in one pass: the response model would validate the page
    # again, convert it to dicts, then encode those (twice the work, ~1 ms
    # a page of 100, on the path of every key that loads one).
    return Response(_AUDIT_PAGE.dump_json(page), media_type="application/json")


@router.get("/v1/audit/verify")
async def verify(service: Service, op: CurrentOperator) -> VerifyResult:
    """Check the journal's hash chain: `{ok, entries, head, first_bad}`."""
    return await service.verify_journal(op)
