"""Drafting off the customer's request, against a stub model speaking chat.completions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backend.service import HANDOFF_TEXT
from backend.settings import BotSettings, Settings
from backend_client import Author, ConversationStatus, EscalationReason, Flag, ReasonCode
from tests.helpers import Backend
from tests.stubs import ModelStub, Turn

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CITED = "You have 30 days to return an item for a full refund [1]."
QUESTION = "How long do I have to return something?"


@pytest.fixture
def settings(tmp_path: Path, model_stub: ModelStub) -> Settings:
    """The backend drafting with the stub model, quick retries."""
    return Settings(
        db_path=tmp_path / "hitl.db",
        secret="test-secret",
        bot=BotSettings(
            kind="openai",
            base_url=model_stub.base_url,
            model="stub",
            timeout_seconds=0.5,
            retries=2,
            backoff_seconds=0.01,
        ),
    )


async def drafts_of(backend: Backend, cid: str) -> list[str]:
    async with backend.client("alice") as alice:
        timeline = await alice.timeline(cid)
    return [item.draft.text for item in timeline.items if item.draft is not None]


async def test_the_customer_does_not_wait_for_the_model(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply=CITED, latency=0.4)
    async with backend.channel() as channel, backend.client("alice") as alice:
        chat = await channel.start_chat("Jo")
        started = time.perf_counter()
        await channel.say(chat, "How long do I have to return something?")
        assert time.perf_counter() - started < 0.3, "the POST waited for the model"
        during = await alice.get_conversation(chat.id)
        assert during.drafting and during.draft is None
        await backend.drafted()
        after = await alice.get_conversation(chat.id)
    assert not after.drafting
    assert after.draft is not None and after.draft.text == CITED
    assert after.status is ConversationStatus.AWAITING_REVIEW


async def test_cited_passages_are_the_sources(backend: Backend, model_stub: ModelStub) -> None:
    model_stub.default = Turn(reply=CITED)
    chat = await backend.chat("How long do I have to return something?")
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
    assert draft is not None and Flag.UNGROUNDED not in draft.flags
    [source] = draft.sources
    prompt = "\n".join(m["content"] for m in model_stub.requests[0]["messages"])
    assert f"[1] {source.title}\n{source.passage}" in prompt
    assert source.url and source.url.startswith("https://larkspurgoods.example/")
    assert (
        "Cite each passage you use inline as [n]" in prompt
        and model_stub.requests[0]["max_tokens"] == 400
    )


@pytest.mark.parametrize("reply", ["Sure, returns are free.", "Returns are free [9]."])
async def test_a_draft_that_cites_nothing_offered_is_flagged_ungrounded(
    backend: Backend, model_stub: ModelStub, reply: str
) -> None:
    model_stub.default = Turn(reply=reply)
    chat = await backend.chat("How long do I have to return something?")
    async with backend.client("sam") as sam:
        detail = await sam.get_conversation(chat.id)
        [row] = [s async for s in sam.iter_conversations() if s.id == chat.id]
        metrics = await sam.metrics()
    assert detail.draft is not None and Flag.UNGROUNDED in detail.draft.flags
    assert detail.draft.sources == []
    assert Flag.UNGROUNDED in row.flags  # the queue row shows it
    assert metrics.ungrounded_drafts == 1


async def test_a_newer_message_supersedes_the_draft_being_written(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply=CITED, latency=0.3)
    async with backend.channel() as channel:
        chat = await channel.start_chat("Jo")
        await channel.say(chat, "where is my parcel?")
        await channel.say(chat, "actually, how do I return a lamp?")
    await backend.drafted()
    assert await drafts_of(backend, chat.id) == [CITED]
    last_user = [m for m in model_stub.requests[-1]["messages"] if m["role"] == "user"][-1]
    assert last_user["content"] == "actually, how do I return a lamp?"


@pytest.mark.parametrize(
    "failures",
    [
        [Turn(status=500), Turn(status=502)],
        [Turn(status=429, retry_after=0.2)],
        [Turn(raw="<html>Bad Gateway</html>"), Turn(reply="  ")],
        [Turn(latency=2)],  # longer than the timeout
    ],
    ids=["5xx", "429-retry-after", "malformed-and-empty", "timeout"],
)
async def test_model_failures_are_retried(
    backend: Backend, model_stub: ModelStub, failures: list[Turn]
) -> None:
    model_stub.default = Turn(reply=CITED)
    model_stub.then(*failures)
    started = time.perf_counter()
    chat = await backend.chat("How long do I have to return something?")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
    assert detail.draft is not None and detail.draft.text == CITED
    assert len(model_stub.requests) == len(failures) + 1
    if failures[0].retry_after:
        assert time.perf_counter() - started >= 0.2, "Retry-After was not honoured"


async def test_a_model_that_keeps_failing_hands_the_chat_to_a_person(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(status=503)
    chat = await backend.chat("How long do I have to return something?")
    async with backend.client("alice") as alice, backend.channel() as channel:
        detail = await alice.get_conversation(chat.id)
        seen = await channel.messages(chat)
    assert len(model_stub.requests) == 3  # the first try and 2 retries
    assert detail.status is ConversationStatus.ESCALATED
    assert detail.escalation_reason is EscalationReason.BOT_ERROR
    assert detail.escalation_detail is not None and "503" in detail.escalation_detail
    assert not detail.drafting
    assert seen[-1].author is Author.SYSTEM and seen[-1].text == HANDOFF_TEXT


async def test_unreachable_model_escalates_bot_error(tmp_path: Path) -> None:
    from backend.app import create_app
    from hitl.embedded import free_port
    from tests.helpers import BASE, seed_operators

    settings = Settings(
        db_path=tmp_path / "x.db",
        bot=BotSettings(
            kind="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", backoff_seconds=0
        ),
    )
    import httpx

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app)))
        chat = await backend.chat("hello, where is my parcel?")
        async with backend.client("alice") as alice:
            detail = await alice.get_conversation(chat.id)
    app.state.store.close()
    assert detail.escalation_reason is EscalationReason.BOT_ERROR
    assert detail.escalation_detail and "unreachable" in detail.escalation_detail


@pytest.mark.parametrize("refuse", [True, False], ids=["refuses-field", "answers-null"])
async def test_a_server_without_logprobs_is_no_longer_asked(
    backend: Backend, model_stub: ModelStub, refuse: bool
) -> None:
    model_stub.default = Turn(reply=CITED, refuse_logprobs=refuse, logprobs=None)
    chat = await backend.chat("How long do I have to return something?", "and for a sofa?")
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
    assert draft is not None and draft.confidence == 0.6  # the documented fallback
    asked = ["logprobs" in body for body in model_stub.requests]
    assert asked == ([True, False, False] if refuse else [True, False])


async def test_confidence_comes_from_logprobs_when_sent(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply=CITED, logprobs=[-0.01, -0.02])
    chat = await backend.chat("How long do I have to return something?")
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
    assert draft is not None and draft.confidence > 0.95


async def test_a_takeover_while_drafting_stops_the_draft(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply=CITED, latency=0.3)
    async with backend.channel() as channel, backend.client("alice") as alice:
        chat = await channel.start_chat("Jo")
        await channel.say(chat, QUESTION)
        before = await alice.get_conversation(chat.id)
        assert before.drafting
        held = await alice.takeover(chat.id, before.version, ReasonCode.CUSTOMER_REQUEST, None)
        assert not held.drafting
        await backend.drafted()
        after = await alice.get_conversation(chat.id)
    assert after.draft is None and after.status is ConversationStatus.HUMAN
    assert await drafts_of(backend, chat.id) == []
