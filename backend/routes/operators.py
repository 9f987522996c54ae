"""Who is calling, and who the operators are."""

from __future__ import annotations

from fastapi import APIRouter

from backend_client import Operator, Page

from .deps import CurrentOperator, Service

router = APIRouter(tags=["operators"])


@router.get("/v1/me")
async def me(op: CurrentOperator) -> Operator:
    """Who this token belongs to."""
    return op.wire()


@router.get("/v1/operators")
async def operators(service: Service, op: CurrentOperator) -> Page[Operator]:
    """Every operator (id, name, role), so a console can show people by name."""
    return service.operators(op)
