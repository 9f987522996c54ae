"""The queue, one conversation, its timeline, and the decisions on a conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from backend_client import (
    ConversationDetail,
    ConversationSummary,
    Page,
    QueueQuery,
    ReasonRequest,
    SendMessageRequest,
    Timeline,
)

from .deps import CurrentOperator, Decide, Service

router = APIRouter(tags=["conversations"])


@router.get("/v1/conversations")
async def queue(
    service: Service, op: CurrentOperator, query: Annotated[QueueQuery, Query()]
) -> Page[ConversationSummary]:
    """The queue, longest waiting first; closed conversations only when asked for.

    `q` (id, customer name or email), `flag` and `reason_code` search for replay.
    """
    return service.queue(op, query)


@router.get("/v1/conversations/{cid}")
async def conversation(cid: str, service: Service, op: CurrentOperator) -> ConversationDetail:
    """One conversation: messages, pending draft, holder, version."""
    return service.conversation(op, cid)


@router.get("/v1/conversations/{cid}/timeline")
async def timeline(cid: str, service: Service, op: CurrentOperator) -> Timeline:
    """Messages, drafts and decisions in order, for replay."""
    return service.timeline(op, cid)


@router.post("/v1/conversations/{cid}/takeover", response_model=ConversationDetail)
async def takeover(cid: str, body: ReasonRequest, d: Decide) -> Response:
    """Hold the conversation; the AI goes silent in it."""
    return await d.run(
        lambda: d.service.takeover(d.operator, cid, d.version, body.reason_code, body.note)
    )


@router.post("/v1/conversations/{cid}/messages", response_model=ConversationDetail)
async def write(cid: str, body: SendMessageRequest, d: Decide) -> Response:
    """The holder writes to the customer."""
    return await d.run(lambda: d.service.send_message(d.operator, cid, body.text))


@router.post("/v1/conversations/{cid}/handback", response_model=ConversationDetail)
async def handback(cid: str, d: Decide) -> Response:
    """Give the conversation back to the AI."""
    return await d.run(lambda: d.service.handback(d.operator, cid, d.version))


@router.post("/v1/conversations/{cid}/release", response_model=ConversationDetail)
async def release(cid: str, body: ReasonRequest, d: Decide) -> Response:
    """Supervisor: force-release someone else's hold."""
    return await d.run(
        lambda: d.service.release(d.operator, cid, d.version, body.reason_code, body.note)
    )


@router.post("/v1/conversations/{cid}/close", response_model=ConversationDetail)
async def close(cid: str, d: Decide) -> Response:
    """Close the conversation."""
    return await d.run(lambda: d.service.close(d.operator, cid, d.version))


@router.post("/v1/conversations/{cid}/erase", response_model=ConversationDetail)
async def erase(cid: str, d: Decide) -> Response:
    """Admin: erase the customer's personal data from a conversation (GDPR art. 17)."""
    return await d.run(lambda: d.service.erase(d.operator, cid))
