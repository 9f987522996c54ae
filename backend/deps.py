"""Request dependencies shared by the routes: the service and the caller.

The dependencies are `async def` on purpose: FastAPI runs plain `def`
dependencies and routes in a threadpool, and the store's one SQLite
connection must only be used from the event loop.
"""

from __future__ import annotations

from fastapi import Request

from .errors import NotFound, Unauthorized
from .service import Hitl
from .store import OperatorRecord


def service_of(request: Request) -> Hitl:
    """The service behind this app."""
    service: Hitl = request.app.state.hitl
    return service


def current_operator(request: Request) -> OperatorRecord:
    """The operator whose bearer token came with the request (401 otherwise)."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an operator token as 'Authorization: Bearer <token>'")
    operator = service_of(request).store.operator_by_token(token.strip())
    if operator is None:
        raise Unauthorized("this token is not known: ask an admin for a new one")
    return operator


async def hitl(request: Request) -> Hitl:
    """Dependency: the service."""
    return service_of(request)


async def operator_dependency(request: Request) -> OperatorRecord:
    """Dependency: the authenticated operator."""
    return current_operator(request)


async def customer_conversation(cid: str, request: Request) -> str:
    """The conversation id, if the request carries that conversation's customer token."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the customer_token as 'Authorization: Bearer <token>'")
    if not service_of(request).store.customer_token_matches(cid, token.strip()):
        # The same answer for "no such chat" and "not your chat": ids are not an oracle.
        raise NotFound(f"no conversation {cid!r} for this token")
    return cid
