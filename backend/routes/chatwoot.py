"""Outside channels: the outbox worker's lifetime (signed webhooks; the Chatwoot agent bot),
and the webhook Chatwoot sends its agent-bot events to."""

from __future__ import annotations

import functools
import json
from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from ..channels.chatwoot import (
    check_signature,
    customer_message,
    receive,
    resolve,
    resolved_conversation,
)
from ..channels.chatwoot_out import plug_in
from ..channels.outbox import outbox_lifespan
from ..errors import DomainError
from ..service import Hitl
from ..settings import Settings
from ..store import Store


def _lifespan(app: FastAPI) -> AbstractAsyncContextManager[None]:
    """The outbox, with the Chatwoot agent bot plugged in (when configured)."""
    service: Hitl = app.state.hitl
    chatwoot = functools.partial(plug_in, changed=service.delivery_changed)
    return outbox_lifespan(app, plug_ins=(chatwoot,))


router = APIRouter(tags=["integrations"], lifespan=_lifespan)


class BadRequest(DomainError):
    """The body is not JSON."""


class WebhookReceipt(BaseModel):
    """What hitl did with a Chatwoot event (Chatwoot only needs the 200)."""

    outcome: str
    """`taken into conversation <id>`, `closed conversation <id>`, `duplicate`, or
    `ignored: <why>`."""


@router.post("/v1/integrations/chatwoot/webhook")
async def chatwoot_webhook(request: Request) -> WebhookReceipt:
    """Chatwoot's agent-bot events, signed with the webhook secret: a customer's
    `message_created` goes to the AI; `conversation_resolved` closes the hitl chat.

    401 unless `X-Chatwoot-Signature` is `sha256=` + the hex HMAC-SHA256 of
    `<X-Chatwoot-Timestamp>.<raw body>` and the timestamp is within 5 minutes.
    A repeated `X-Chatwoot-Delivery` is answered `duplicate` and not acted on.
    Answers at once: the AI drafts in the background.
    """
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    raw = await request.body()
    check_signature(settings.chatwoot, request.headers, raw, store.clock().timestamp())
    try:
        payload = json.loads(raw)
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    service: Hitl = request.app.state.hitl
    delivery = request.headers.get("x-chatwoot-delivery")
    resolved = resolved_conversation(payload, settings.chatwoot.account_id)
    if not isinstance(resolved, str):
        return WebhookReceipt(outcome=resolve(service, store, *resolved, delivery))
    message = customer_message(payload, settings.chatwoot.account_id)
    if isinstance(message, str):
        return WebhookReceipt(outcome=message)
    return WebhookReceipt(outcome=receive(service, store, message, delivery))
