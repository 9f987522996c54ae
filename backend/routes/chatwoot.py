"""Outside channels: the outbox worker's lifetime (signed webhooks; the Chatwoot agent bot)."""

from __future__ import annotations

from fastapi import APIRouter

from ..channels.outbox import outbox_lifespan

router = APIRouter(tags=["integrations"], lifespan=outbox_lifespan)
