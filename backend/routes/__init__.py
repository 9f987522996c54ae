"""The HTTP API, one module per resource; each route is a thin call into `service.Hitl`."""

from fastapi import APIRouter

from . import (
    ai,
    audit,
    channel,
    channel_events,
    chat_page,
    chatwoot,
    conversations,
    drafts,
    events,
    operators,
    oversight,
    reports,
    workday,
)

ROUTERS: tuple[APIRouter, ...] = (
    events.router,
    operators.router,
    ai.router,
    conversations.router,
    reports.router,
    drafts.router,
    audit.router,
    channel.router,
    oversight.router,
    channel_events.router,
    chat_page.router,
    chatwoot.router,
    workday.router,
)
"""Every router, in the order the app includes them."""

__all__ = ["ROUTERS"]
