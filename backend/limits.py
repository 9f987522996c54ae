"""Limits on what an outsider can send: body size before it is read, and channel request rates.

The body limit is ASGI middleware, so a body over the limit is refused from its
Content-Length, or cut off as soon as a chunked body passes the limit, before
anyone holds it in memory. The rates are token buckets (a burst of the whole
minute's allowance, refilled evenly) per client address and per conversation,
checked by a dependency of the customer-side routes.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import DomainError
from .settings import LimitSettings

PROBLEM_JSON = "application/problem+json"
BUCKETS_KEPT = 100_000
"""Most clients and conversations tracked at once; the least recently seen go first."""


class BodyTooLarge(StarletteHTTPException):
    """A request body passed the limit while it was being read (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class TooManyRequests(DomainError):
    """A client or a conversation went over its request rate (429 with Retry-After)."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}


def _problem_bytes(status: int, title: str, detail: str) -> bytes:
    # Built by hand: the middleware answers before FastAPI's handlers are reached.
    slug = title.lower().replace(" ", "-")
    document = {
        "type": f"https://hitl.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [],
    }
    return json.dumps(document).encode()


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes with 413 before they are held.

    Not Starlette's `RequestBodyLimitMiddleware`: it answers in plain text
    where ours must be problem+json, and refuses only once a route reads.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count the bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send: Send) -> None:
        body = _problem_bytes(
            413, "Content too large", f"the request body is larger than {self.limit} bytes"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key: `per_minute` calls in a burst, refilled evenly over a minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend one call for `key`: 0 when allowed, else the seconds until one is."""
        now = self.clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.per_minute), now)
        rate = self.per_minute / 60.0
        bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        self._buckets[key] = bucket
        if len(self._buckets) > BUCKETS_KEPT:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate


class ChannelLimits:
    """The customer side's rates: per client address, and per conversation."""

    def __init__(self, settings: LimitSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.chats = RateLimiter(settings.chats_per_minute, clock)
        self.calls = RateLimiter(settings.channel_calls_per_minute, clock)
        self.conversations = RateLimiter(settings.conversation_calls_per_minute, clock)

    def check(self, client: str, conversation: str | None, starts_chat: bool) -> None:
        """Refuse with 429 (and Retry-After) when this call is over a limit."""
        if client not in self.settings.unlimited_clients:
            wait = self.calls.take(client)
            if wait:
                raise TooManyRequests("too many requests from this address: slow down", wait)
            if starts_chat:
                wait = self.chats.take(client)
                if wait:
                    raise TooManyRequests("too many new chats from this address", wait)
        if conversation is not None:
            wait = self.conversations.take(conversation)
            if wait:
                raise TooManyRequests("too many requests in this conversation", wait)


async def channel_rate_limit(request: Request) -> None:
    """Dependency of the customer-side routes: the per-client and per-conversation rates."""
    limits: ChannelLimits = request.app.state.channel_limits
    client = request.client.host if request.client else "unknown"
    cid = request.path_params.get("cid")
    limits.check(client, cid, starts_chat=cid is None and request.method == "POST")
