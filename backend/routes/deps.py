"""Request dependencies shared by the routes: the service, the caller, and decisions.

The dependencies are `async def` on purpose: FastAPI runs plain `def`
dependencies and routes in a threadpool, and the store's one SQLite
connection must only be used from the event loop.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from ..domain import policy
from ..errors import NotFound, Unauthorized
from ..service import Hitl, fingerprint
from ..store import OperatorRecord


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
    # Disabled operators and expired tokens are refused here, with the reason.
    return service_of(request).authenticate(token.strip())


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


Service = Annotated[Hitl, Depends(hitl)]
CurrentOperator = Annotated[OperatorRecord, Depends(operator_dependency)]
CustomerChat = Annotated[str, Depends(customer_conversation)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@dataclass
class Decision:
    """A decision call as the route sees it: who, which version, and a way to run it once."""

    request: Request
    service: Hitl
    operator: OperatorRecord
    version: int | None
    """From `If-Match: "<version>"`; None when the header was not sent."""
    key: str | None
    """The `Idempotency-Key`, if any."""

    async def run(self, decide: Callable[[], BaseModel | Awaitable[BaseModel]]) -> Response:
        """Apply the decision once per Idempotency-Key and answer with its result."""

        async def call() -> BaseModel:
            result = decide()
            return await result if inspect.isawaitable(result) else result

        body = await self.request.body()
        print_ = fingerprint(self.request.method, self.request.url.path, body)
        content = await self.service.idempotent(self.operator, self.key, print_, call)
        return Response(content, media_type="application/json")


async def decision(
    request: Request,
    service: Service,
    op: CurrentOperator,
    if_match: IfMatch = None,
    key: IdempotencyKey = None,
) -> Decision:
    """Dependency of every decision route: parses If-Match, carries the Idempotency-Key."""
    return Decision(request, service, op, policy.parse_if_match(if_match), key)


Decide = Annotated[Decision, Depends(decision)]
