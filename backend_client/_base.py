"""What both clients share: one `httpx.AsyncClient`, retries with backoff, typed errors."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from ._events import backoff_delay
from ._exceptions import BackendError, ConnectionLostError, error_from

M = TypeVar("M")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
VERIFY_TIMEOUT = 300.0
"""Seconds to wait for the server to check the whole journal."""
DECISION_ATTEMPTS = 3
"""A decision call is sent at most this often when the connection fails; the
retries reuse the first attempt's Idempotency-Key, so it applies once."""
RETRY_FIRST = 0.1
"""Seconds before the first retry of a failed request; doubling, capped, jittered after."""
RETRY_MAX = 2.0
"""The longest wait between two attempts of one request."""
THROTTLE_RETRIES = 3
"""How often a call refused with 429 is repeated after the wait the server asked for."""
THROTTLE_WAIT_MAX = 10.0
"""The longest Retry-After the client honours; past that, the 429 is raised."""
RETRYABLE_STATUS = frozenset({408, 425, 429, 502, 503, 504})
"""Answers that say "try again later": retried like a dropped connection."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client in the process, made on first use.

    httpx builds a fresh one per client by default, loading the whole CA
    bundle each time (~15 ms of CPU): a console, a simulator or a test suite
    that opens many clients paid that for every one of them.
    """
    return httpx.create_ssl_context()


class _BaseClient:
    """Shared plumbing: one `httpx.AsyncClient`, errors turned into typed exceptions."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry_first: float = RETRY_FIRST,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry_first = retry_first
        """Seconds before the first retry (tests make it 0)."""
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=dict(headers or {}),
            transport=transport,
            timeout=timeout,
            verify=tls_context(),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: BaseModel | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        attempts: int = 1,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send a request; `attempts` > 1 only for requests safe to repeat (reads, keyed
        decisions), which are retried with backoff after a dropped connection or a 503."""
        body = json.model_dump(mode="json", exclude_none=True) if json is not None else None
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                await anyio.sleep(backoff_delay(attempt, self.retry_first, RETRY_MAX))
            try:
                response = await self._throttled(
                    method,
                    path,
                    json=body,
                    params=clean,
                    headers=headers,
                    timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
                )
            except httpx.TransportError as exc:
                last = exc
                continue
            if response.is_success:
                return response
            if response.status_code in RETRYABLE_STATUS and attempt + 1 < attempts:
                last = error_from(response)
                continue
            raise error_from(response)
        raise ConnectionLostError(f"cannot reach {self.base_url}: {last}") from last

    async def _throttled(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, repeated after the wait a 429 asks for (a 429 means nothing
        happened, so any call is safe to repeat), a few times at most."""
        for _ in range(THROTTLE_RETRIES):
            response = await self._http.request(method, path, **kwargs)
            if response.status_code != 429:
                return response
            await anyio.sleep(_retry_after(response))
        return await self._http.request(method, path, **kwargs)

    async def _get(
        self, path: str, adapter: TypeAdapter[M], params: Mapping[str, Any] | None = None
    ) -> M:
        response = await self._send("GET", path, params=params, attempts=2)
        return _parse(adapter, response)


def _retry_after(response: httpx.Response) -> float:
    """The seconds a 429 asks us to wait, within reason."""
    value = response.headers.get("retry-after", "")
    return min(float(value), THROTTLE_WAIT_MAX) if value.isdigit() else 1.0


def _parse(adapter: TypeAdapter[M], response: httpx.Response) -> M:
    try:
        return adapter.validate_json(response.content)
    except ValidationError as exc:
        raise BackendError(f"unexpected response from {response.url}: {exc}") from exc
