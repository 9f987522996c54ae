"""The AI's state and the supervisor's stop button."""

from __future__ import annotations

from fastapi import APIRouter

from backend_client import AIState

from .deps import CurrentOperator, Service

router = APIRouter(tags=["ai"])


@router.get("/v1/ai")
async def ai_state(service: Service, op: CurrentOperator) -> AIState:
    """Whether the AI may send, the review mode and the bot."""
    return service.ai_state()


@router.post("/v1/ai/pause")
async def pause(service: Service, op: CurrentOperator) -> AIState:
    """Supervisor: stop all AI sending at once, pending drafts included."""
    return service.set_paused(op, True)


@router.post("/v1/ai/resume")
async def resume(service: Service, op: CurrentOperator) -> AIState:
    """Supervisor: let the AI send again."""
    return service.set_paused(op, False)
