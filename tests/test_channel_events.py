"""The customer's live stream over loopback: only what a customer may see, live and resumable."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from backend.settings import Settings
from backend_client import ReasonCode
from hitl.demo import demo_backend
from tests.helpers import Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

WAIT = 10.0


def events_url(backend: Backend, cid: str) -> str:
    """The customer stream of conversation `cid`."""
    return f"{backend.url}/v1/channel/conversations/{cid}/events"


async def read_until(
    backend: Backend, cid: str, check: Any, *, headers: dict[str, str], params: dict[str, str]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(event, id, data) from the stream until `check(events)` holds."""
    seen: list[tuple[str, str, dict[str, Any]]] = []
    async with (
        httpx.AsyncClient(timeout=WAIT) as http,
        aconnect_sse(http, "GET", events_url(backend, cid), headers=headers, params=params) as sse,
    ):
        assert sse.response.status_code == 200
        async with asyncio.timeout(WAIT):
            async for event in sse.aiter_sse():
                if event.data:
                    seen.append((event.event, event.id, json.loads(event.data)))
                if check(seen):
                    return seen
    raise AssertionError(f"stream ended early: {seen}")


def messages(seen: list[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The message events' data, in order."""
    return [data for kind, _, data in seen if kind == "message"]


async def test_the_stream_carries_delivered_replies_never_the_draft(live_backend: Backend) -> None:
    chat = await live_backend.chat("Where is my order?")
    draft = await pending_draft(live_backend, chat)
    async with live_backend.client("alice") as alice:
        await alice.approve(draft.id, draft.version)

    seen = await read_until(
        live_backend,
        chat.id,
        lambda s: len(messages(s)) >= 3,
        headers={},
        params={"token": chat.customer_token},
    )
    got = messages(seen)
    assert [m["author"] for m in got] == ["system", "customer", "ai"]
    assert got[1]["text"] == "Where is my order?"
    assert got[2]["text"] == draft.text and got[2]["marking"] == "ai_reviewed"
    assert all("draft_id" not in m and "operator" not in m for m in got)


async def test_a_reply_arrives_live_and_a_resume_repeats_nothing(live_backend: Backend) -> None:
    chat = await live_backend.chat("Where is my order?")
    bearer = {"Authorization": f"Bearer {chat.customer_token}"}
    first = await read_until(
        live_backend, chat.id, lambda s: len(messages(s)) >= 2, headers=bearer, params={}
    )
    last_id = first[-1][1]

    draft = await pending_draft(live_backend, chat)
    async with live_backend.client("alice") as alice:
        await alice.edit(draft.id, draft.version, "It ships today.", ReasonCode.INCOMPLETE)

    resumed = await read_until(
        live_backend,
        chat.id,
        lambda s: len(messages(s)) >= 1,
        headers={**bearer, "Last-Event-ID": last_id},
        params={},
    )
    got = messages(resumed)
    assert [(m["text"], m["marking"]) for m in got] == [("It ships today.", "ai_edited")]


async def test_escalation_and_takeover_tell_the_customer_a_person_will_reply(
    live_backend: Backend,
) -> None:
    chat = await live_backend.chat("I want a human now")
    seen = await read_until(
        live_backend,
        chat.id,
        lambda s: any(k == "status" for k, _, _ in s),
        headers={},
        params={"token": chat.customer_token},
    )
    status = next(d for k, _, d in seen if k == "status")
    assert status["person_will_reply"] is True and status["closed"] is False

    async with live_backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        await alice.takeover(chat.id, detail.version, ReasonCode.POLICY)
        await alice.send_message(chat.id, "Hi, Alice here.")
    seen = await read_until(
        live_backend,
        chat.id,
        lambda s: any(m["text"] == "Hi, Alice here." for m in messages(s)),
        headers={},
        params={"token": chat.customer_token},
    )
    assert messages(seen)[-1]["marking"] == "person"


async def test_the_stream_refuses_a_wrong_or_missing_token(live_backend: Backend) -> None:
    chat = await live_backend.chat()
    other = await live_backend.chat()
    async with httpx.AsyncClient(timeout=WAIT) as http:
        missing = await http.get(events_url(live_backend, chat.id))
        wrong = await http.get(
            events_url(live_backend, chat.id), params={"token": other.customer_token}
        )
        bad_position = await http.get(
            events_url(live_backend, chat.id),
            params={"token": chat.customer_token},
            headers={"Last-Event-ID": "abc"},
        )
    assert missing.status_code == 401
    assert wrong.status_code == 404
    assert bad_position.status_code == 422
    assert missing.headers["content-type"] == "application/problem+json"


async def test_the_chat_page_forbids_inline_scripts_and_other_origins(backend: Backend) -> None:
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.url) as http:
        page = await http.get("/chat")
        embed = await http.get("/chat/embed.js")
        unknown = await http.get("/chat/../../settings.py")
        missing = await http.get("/chat/secrets.txt")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-inline" not in csp and "*" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    # Every script the page loads is a file from this origin: nothing inline to allow.
    assert page.text.count("<script") == page.text.count('<script src="/chat/')
    assert embed.headers["content-type"].startswith("text/javascript")
    assert unknown.status_code == 404 and missing.status_code == 404


def test_the_demo_says_where_to_chat_as_a_customer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with demo_backend(Settings(db_path=tmp_path / "demo.db", secret="demo")) as demo:
        said = capsys.readouterr().err
        assert f"chat as a customer at {demo.chat_url}" in said
        page = httpx.get(demo.chat_url, timeout=10)
    assert page.status_code == 200 and "Start chat" in page.text
