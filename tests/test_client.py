"""The client's own parts: query models, paginate(), retries with backoff, the problem parser."""

from __future__ import annotations

import httpx
import pytest

from backend_client import (
    Action,
    AsyncBackendClient,
    AuditQuery,
    ConflictError,
    ConnectionLostError,
    Page,
    QueueQuery,
    ReasonCode,
    paginate,
    problem_from,
)
from tests.helpers import Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


class FlakyNetwork(httpx.AsyncBaseTransport):
    """The real backend behind a network that loses answers or says 503 on chosen requests."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, lose: int = 0, busy: int = 0) -> None:
        self.inner = inner
        self.lose = lose
        """How many answers to lose after the backend handled the request."""
        self.busy = busy
        """How many requests to refuse with 503 before they reach the backend."""
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.busy:
            self.busy -= 1
            return httpx.Response(503, text="busy", request=request)
        response = await self.inner.handle_async_request(request)
        if self.lose:
            self.lose -= 1
            await response.aread()
            raise httpx.ReadError("connection dropped", request=request)
        return response


def _client(backend: Backend, network: FlakyNetwork, name: str = "alice") -> AsyncBackendClient:
    return AsyncBackendClient(backend.url, backend.tokens[name], transport=network, retry_first=0)


async def test_a_decision_whose_answer_was_lost_is_retried_and_applies_once(
    backend: Backend,
) -> None:
    assert backend.transport is not None
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    network = FlakyNetwork(backend.transport, lose=2)
    async with _client(backend, network) as alice:
        detail = await alice.approve(draft.id, draft.version)
    assert len(network.seen) == 3
    assert len({r.headers["Idempotency-Key"] for r in network.seen}) == 1
    assert detail.draft is None and detail.messages[-1].text == draft.text
    async with backend.client("sam") as sam:
        assert len((await sam.list_audit(action=Action.APPROVE.value)).items) == 1


async def test_a_busy_backend_is_asked_again_and_then_given_up_on(backend: Backend) -> None:
    assert backend.transport is not None
    async with _client(backend, FlakyNetwork(backend.transport, busy=1)) as alice:
        assert (await alice.me()).name == "alice"
    network = FlakyNetwork(backend.transport, lose=5)
    async with _client(backend, network) as alice:
        with pytest.raises(ConnectionLostError):
            await alice.me()
    assert len(network.seen) == 2  # reads are tried twice


async def test_a_refusal_is_not_retried(backend: Backend) -> None:
    assert backend.transport is not None
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    async with backend.client("bob") as bob:
        await bob.approve(draft.id, draft.version)
    network = FlakyNetwork(backend.transport)
    async with _client(backend, network) as alice:
        with pytest.raises(ConflictError):
            await alice.approve(draft.id, draft.version)
    assert len(network.seen) == 1


async def test_paginate_walks_every_page_in_order(backend: Backend) -> None:
    chats = [await backend.chat(f"Question {n}?") for n in range(5)]
    async with backend.client("alice") as alice:
        everything = (await alice.list_conversations()).items
        walked = [c.id async for c in alice.iter_conversations(page_size=2)]
        one_by_one = [
            c.id
            async for c in paginate(
                lambda cursor: alice.list_conversations(QueueQuery(limit=1, cursor=cursor))
            )
        ]
    assert walked == one_by_one == [c.id for c in everything]
    assert set(walked) == {c.id for c in chats}


async def test_paginate_fetches_only_what_is_read() -> None:
    fetched: list[str | None] = []

    async def fetch(cursor: str | None) -> Page[int]:
        fetched.append(cursor)
        return Page[int](items=[1, 2], next_cursor="more")

    async for item in paginate(fetch):
        if item == 2:
            break
    assert fetched == [None]


async def test_one_query_model_serves_route_client_and_store(backend: Backend) -> None:
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.reject(draft.id, draft.version, ReasonCode.TONE, note="too curt")
    query = AuditQuery(action="reject", conversation=chat.id, limit=10)
    async with backend.client("sam") as sam:
        by_model = await sam.list_audit(query)
        by_keywords = await sam.list_audit(action="reject", conversation=chat.id, limit=10)
        walked = [e async for e in sam.iter_audit(query, page_size=1)]
    from_store = backend.store.list_audit(query)
    assert [e.seq for e in by_model.items] == [e.seq for e in from_store.items]
    assert by_model == by_keywords and [e.seq for e in walked] == [e.seq for e in by_model.items]
    assert [e.reason_code for e in by_model.items] == [ReasonCode.TONE]


def test_a_filter_name_that_does_not_exist_is_refused() -> None:
    with pytest.raises(TypeError, match="statsu"):
        QueueQuery.of(None, {"statsu": "escalated"})
    assert QueueQuery(include_closed=True).params() == {"include_closed": True, "limit": 100}


def test_an_error_without_a_problem_document_still_becomes_one() -> None:
    request = httpx.Request("GET", "http://hitl.test/v1/me")
    problem = problem_from(httpx.Response(502, text="Bad gateway", request=request))
    assert (problem.status, problem.title, problem.detail) == (502, "Bad Gateway", "Bad gateway")
