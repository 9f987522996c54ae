"""What is learnt from the decisions: metrics and training pairs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend_client import Metrics, Page, TrainingPair, TrainingQuery

from .deps import CurrentOperator, Service

router = APIRouter()


@router.get("/v1/metrics", tags=["metrics"])
async def metrics(service: Service, op: CurrentOperator) -> Metrics:
    """Override rate by reason, operator and flag; review time; fast approvals; queue."""
    return service.metrics(op)


@router.get("/v1/training/pairs", tags=["training"])
async def training_pairs(
    service: Service, op: CurrentOperator, query: Annotated[TrainingQuery, Query()]
) -> Page[TrainingPair]:
    """Preference pairs from overridden drafts (trainer and up; unmasked: admin)."""
    return service.training_pairs(op, query)
