"""Hostile input that once answered 500 or was held in memory: each now gets a clear problem.

Issue 14 items 2, 7 and 11: body and field limits, rate limits on the customer
side, lone surrogates, 64-bit overflowing and empty cursors, one rule for an
empty cursor, and `Allow` on a 405.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest

from backend.settings import LimitSettings, Settings
from tests.helpers import BASE, Backend

PROBLEM = "application/problem+json"


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client on the in-process backend (no typed client to tidy the input)."""
    async with httpx.AsyncClient(transport=backend.transport, base_url=BASE) as client:
        yield client


def _auth(backend: Backend, name: str = "sam") -> dict[str, str]:
    return {"Authorization": f"Bearer {backend.tokens[name]}"}


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    """The response is a problem document with `status` (naming `field`, if given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    problem = response.json()
    assert problem["status"] == status
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    limit = Settings().limits.max_body_bytes
    body = b'{"customer": {"name": "x", "email": "' + b"a" * limit + b'"}}'
    response = await http.post(
        "/v1/channel/conversations", content=body, headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


async def test_a_streamed_body_over_the_limit_is_cut_off(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"customer": {"name": "'
        for _ in range(200):
            yield b"x" * 1024
        yield b'"}}'

    response = await http.post(
        "/v1/channel/conversations", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"name": "Jo", "email": "a" * 300 + "@example.com"}, "customer.email"),
        ({"name": "J" * 500}, "customer.name"),
    ],
)
async def test_an_overlong_customer_field_is_refused(
    backend: Backend, http: httpx.AsyncClient, customer: dict[str, str], field: str
) -> None:
    response = await http.post("/v1/channel/conversations", json={"customer": customer})
    assert_problem(response, 422, field)


@pytest.fixture
def settings(tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """Small channel allowances so that going over them takes a handful of calls."""
    return Settings(
        db_path=tmp_path / "hitl.db",
        secret="test-secret",
        limits=LimitSettings(chats_per_minute=3, conversation_calls_per_minute=4),
    )


async def test_one_client_starting_too_many_chats_is_told_to_wait(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    answers = [
        await http.post("/v1/channel/conversations", json={"customer": {"name": "Jo"}})
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert_problem(answers[-1], 429)
    assert int(answers[-1].headers["retry-after"]) >= 1


async def test_one_conversation_flooded_is_told_to_wait(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    chat = (await http.post("/v1/channel/conversations", json={"customer": {"name": "Jo"}})).json()
    headers = {"Authorization": f"Bearer {chat['customer_token']}"}
    path = f"/v1/channel/conversations/{chat['id']}/messages"
    statuses = [(await http.get(path, headers=headers)).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


LONE_SURROGATE = b'"\\ud800"'


@pytest.mark.parametrize(
    ("path", "body", "operator"),
    [
        ("/v1/channel/conversations", b'{"customer": {"name": ' + LONE_SURROGATE + b"}}", None),
        (
            "/v1/conversations/c/takeover",
            b'{"reason_code": "other", "note": ' + LONE_SURROGATE + b"}",
            "alice",
        ),
        ("/v1/drafts/d/edit", b'{"reason_code": "tone", "text": ' + LONE_SURROGATE + b"}", "alice"),
    ],
)
async def test_a_lone_surrogate_is_refused_with_a_problem(
    backend: Backend, http: httpx.AsyncClient, path: str, body: bytes, operator: str | None
) -> None:
    headers = {"content-type": "application/json"}
    if operator:
        headers.update(_auth(backend, operator))
    response = await http.post(path, content=body, headers=headers)
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "cursor",
    [_cursor("[99999999999999999999999]"), _cursor("[]"), "", _cursor("[1e999]")],
    ids=["beyond-64-bits", "empty-list", "empty", "infinite"],
)
@pytest.mark.parametrize("path", ["/v1/audit", "/v1/conversations", "/v1/training/pairs"])
async def test_a_bad_cursor_is_422_naming_it_on_every_route(
    backend: Backend, http: httpx.AsyncClient, path: str, cursor: str
) -> None:
    response = await http.get(path, params={"cursor": cursor}, headers=_auth(backend, "ada"))
    assert_problem(response, 422, "cursor")


async def test_a_405_says_what_is_allowed(backend: Backend, http: httpx.AsyncClient) -> None:
    response = await http.delete("/v1/audit", headers=_auth(backend))
    assert_problem(response, 405)
    assert "GET" in response.headers["allow"]


async def test_a_server_error_is_a_problem_document_too(backend: Backend) -> None:
    # The database gone from under a running backend: a real failure, not a staged one.
    backend.store.close()
    transport = httpx.ASGITransport(app=backend.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        response = await http.get("/v1/me", headers=_auth(backend))
    assert_problem(response, 500)
    assert "Traceback" not in response.text
