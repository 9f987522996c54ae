"""What is learnt from the decisions: metrics and training pairs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend_client import Metrics, Page, ReasonCode, TrainingPair

from .deps import CurrentOperator, Service

router = APIRouter()


@router.get("/v1/metrics", tags=["metrics"])
async def metrics(service: Service, op: CurrentOperator) -> Metrics:
    """Override rate by reason, operator and flag; review time; fast approvals; queue."""
    return service.metrics(op)


@router.get("/v1/training/pairs", tags=["training"])
async def training_pairs(
    service: Service,
    op: CurrentOperator,
    since: str | None = None,
    reason_code: ReasonCode | None = None,
    unmasked: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: str | None = None,
) -> Page[TrainingPair]:
    """Preference pairs from overridden drafts (trainer and up; unmasked: admin)."""
    return service.training_pairs(
        op,
        since=since,
        reason_code=reason_code.value if reason_code else None,
        unmasked=unmasked,
        limit=limit,
        cursor=cursor,
    )
