"""The AI's state and the supervisor's stop button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from backend_client import AIState, PauseRequest

from .deps import CurrentOperator, Service

router = APIRouter(tags=["ai"])


@router.get("/v1/ai")
async def ai_state(service: Service, op: CurrentOperator) -> AIState:
    """Whether the AI may send, the review mode and the bot."""
    return service.ai_state()


@router.post("/v1/ai/pause")
async def pause(
    service: Service,
    op: CurrentOperator,
    body: Annotated[PauseRequest | None, Body()] = None,
) -> AIState:
    """Supervisor: stop all AI sending at once, pending drafts included.

    `{reason, until?}`: the reason goes to the journal and `GET /v1/ai`; `until`
    ends the pause on its own. A body-less pause (older clients) has no reason.
    """
    if body is None:
        return service.pause_ai(op, None, None)
    return service.pause_ai(op, body.reason, body.until)


@router.post("/v1/ai/resume")
async def resume(service: Service, op: CurrentOperator) -> AIState:
    """Supervisor: let the AI send again."""
    return service.set_paused(op, False)
