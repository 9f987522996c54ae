"""The customer side: start a chat, say something, read what was delivered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from backend_client import (
    ChatStarted,
    ComplaintReceipt,
    ComplaintRequest,
    Message,
    Page,
    SendMessageRequest,
    StartChatRequest,
)

from ..limits import channel_rate_limit
from .deps import CustomerChat, Service

# Unauthenticated (or customer-token) routes: rate-limited per client and per conversation.
router = APIRouter(tags=["channel"], dependencies=[Depends(channel_rate_limit)])


@router.post("/v1/channel/conversations", status_code=201)
async def start_chat(body: StartChatRequest, service: Service) -> ChatStarted:
    """Customer side: start a chat; keep the returned customer_token."""
    return service.start_chat(body.customer)


@router.post("/v1/channel/conversations/{cid}/messages", status_code=201)
async def customer_says(body: SendMessageRequest, service: Service, cid: CustomerChat) -> Message:
    """Customer side: say something."""
    return await service.customer_says(cid, body.text)


@router.get("/v1/channel/conversations/{cid}/messages")
async def customer_reads(
    service: Service, cid: CustomerChat, after: str | None = None
) -> Page[Message]:
    """Customer side: the delivered messages, never a pending draft."""
    return service.customer_messages(cid, after)


@router.post("/v1/channel/conversations/{cid}/complaint", status_code=201)
async def complain(
    service: Service,
    cid: CustomerChat,
    body: Annotated[ComplaintRequest | None, Body()] = None,
) -> ComplaintReceipt:
    """Customer side: "I want a person to look at this" (GDPR art. 22(3)); `{text?}`.

    Escalates with reason `complaint`; the answer (and a message in the chat)
    says within how many minutes a person replies.
    """
    return service.complain(cid, body.text if body else None)
