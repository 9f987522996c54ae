"""The Chatwoot agent bot against a stub Chatwoot on loopback: signed webhooks in, REST out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Static

from backend.app import create_app
from backend.service import HANDOFF_TEXT
from backend.settings import BotSettings, ChatwootSettings, OutboxSettings, Settings
from backend_client import Action, ConversationDetail, ConversationStatus, ReasonCode
from console.app import make_app
from console.config import ConsoleConfig
from console.render.conversation import conversation_header
from console.screens.conversation import ConversationScreen
from tests.helpers import Backend, eventually, until
from tests.stubs import ChatwootStub, ModelStub, Turn

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

SECRET = "chatwoot-webhook-secret"
TOKEN = "bot-access-token"
CW = 42
"""The Chatwoot conversation the tests chat in."""


@pytest.fixture
def chatwoot() -> Iterator[ChatwootStub]:
    """Chatwoot, as far as its agent bot can tell."""
    with ChatwootStub(SECRET) as stub:
        yield stub


def bot_settings(database: dict[str, Any], chatwoot: ChatwootStub, **more: Any) -> Settings:
    """A backend that is Chatwoot's agent bot, retrying deliveries quickly."""
    return Settings(
        **database,
        secret="test-secret",
        chatwoot=ChatwootSettings(
            base_url=chatwoot.url, account_id=1, api_access_token=TOKEN, webhook_secret=SECRET
        ),
        outbox=OutboxSettings(first_retry_seconds=0.05, max_retry_seconds=0.2),
        **more,
    )


@pytest.fixture
def settings(database: dict[str, Any], chatwoot: ChatwootStub) -> Settings:
    """The agent bot with the built-in model."""
    return bot_settings(database, chatwoot)


@pytest.fixture
async def hitl(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """Where Chatwoot sends its webhooks: the backend in-process."""
    async with httpx.AsyncClient(transport=backend.transport, base_url=backend.url) as client:
        yield client


async def taken(chatwoot: ChatwootStub, hitl: httpx.AsyncClient, text: str, **kw: Any) -> str:
    """Send a customer's message; the hitl conversation it went into."""
    response = await chatwoot.send(hitl, chatwoot.message_created(CW, text, **kw))
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcome"]
    assert outcome.startswith("taken into conversation "), outcome
    return outcome.rpartition(" ")[2]


async def detail_of(backend: Backend, cid: str) -> ConversationDetail:
    async with backend.client("alice") as alice:
        return await alice.get_conversation(cid)


async def waiting_draft(backend: Backend, cid: str) -> ConversationDetail:
    async def drafted() -> ConversationDetail | None:
        detail = await detail_of(backend, cid)
        return detail if detail.draft is not None else None

    detail: ConversationDetail = await eventually(drafted)
    return detail


async def test_over_http_a_message_is_drafted_and_the_approved_reply_goes_back(
    live_backend: Backend, chatwoot: ChatwootStub
) -> None:
    async with httpx.AsyncClient(base_url=live_backend.url) as hitl:
        cid = await taken(chatwoot, hitl, "Where is my order?")
    detail = await waiting_draft(live_backend, cid)
    assert detail.customer.name == "Jo Customer" and detail.customer.email == "jo@example.com"
    disclosure = detail.messages[0].text
    await eventually(lambda: chatwoot.posted(CW) == [disclosure])
    assert detail.draft is not None
    draft = detail.draft

    async with live_backend.client("alice") as alice:
        await alice.approve(draft.id, draft.version)
    await eventually(lambda: chatwoot.posted(CW) == [disclosure, draft.text])
    reply = chatwoot.requests[-1]
    assert reply.headers["api_access_token"] == TOKEN
    assert reply.json() == {"content": draft.text, "message_type": "outgoing", "private": False}


async def test_the_webhook_answers_at_once_while_the_model_is_slow(
    database: dict[str, Any], chatwoot: ChatwootStub, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply="Your parcel left yesterday [1].", latency=2.0)
    bot = BotSettings(kind="openai", base_url=model_stub.base_url, model="stub")
    app = create_app(bot_settings(database, chatwoot, bot=bot))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as hitl,
    ):
        started = time.perf_counter()
        await taken(chatwoot, hitl, "Where is my order?")
        assert time.perf_counter() - started < 1.0, "the webhook waited for the model"
    app.state.store.close()


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "not-the-secret"},
        {"skew": -400},  # older than 5 minutes: a replay
        {"skew": 400},
    ],
    ids=["wrong secret", "stale timestamp", "future timestamp"],
)
async def test_forged_and_stale_webhooks_are_refused(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub, signing: dict[str, Any]
) -> None:
    if "skew" in signing:  # the time of signing counts from now, not from collection
        signing = {"at": time.time() + signing["skew"]}
    response = await chatwoot.send(hitl, chatwoot.message_created(CW, "hi"), **signing)
    assert response.status_code == 401
    assert backend.store.list_conversations().items == []


async def test_a_tampered_or_unsigned_body_is_refused(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    body, headers = chatwoot.signed(chatwoot.message_created(CW, "hi"))
    url = "/v1/integrations/chatwoot/webhook"
    tampered = await hitl.post(url, content=body.replace(b"hi", b"yo"), headers=headers)
    unsigned = await hitl.post(url, content=body, headers={"Content-Type": "application/json"})
    assert tampered.status_code == unsigned.status_code == 401
    assert "signature" in tampered.json()["detail"].lower()
    assert backend.store.list_conversations().items == []


async def test_a_repeated_delivery_is_taken_once(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    event = chatwoot.message_created(CW, "Where is my order?")
    first = await chatwoot.send(hitl, event, delivery="d-1")
    again = await chatwoot.send(hitl, event, delivery="d-1")
    renamed = await chatwoot.send(hitl, event, delivery="d-2")  # the same message, re-sent
    assert first.json()["outcome"].startswith("taken")
    assert again.json() == renamed.json() == {"outcome": "duplicate"}
    cid = first.json()["outcome"].rpartition(" ")[2]
    said = [m.text for m in (await detail_of(backend, cid)).messages if m.author == "customer"]
    assert said == ["Where is my order?"]


@pytest.mark.parametrize(
    "change",
    [
        {"message_type": "outgoing"},  # what hitl itself posted, coming back
        {"message_type": 1},
        {"message_type": "template"},
        {"message_type": "activity"},
        {"private": True},
        {"sender_type": "agent_bot"},
        {"sender_type": "user"},
        {"status": "open"},  # Chatwoot's agents have it
    ],
)
async def test_the_bot_answers_only_customers_in_its_own_conversations(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub, change: dict[str, Any]
) -> None:
    response = await chatwoot.send(hitl, chatwoot.message_created(CW, "hello", **change))
    assert response.status_code == 200
    assert response.json()["outcome"].startswith("ignored")
    assert backend.store.list_conversations().items == []


async def test_other_events_are_acknowledged_and_left_alone(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    for event in ("conversation_opened", "conversation_resolved", "message_updated"):
        payload = {"event": event, "id": CW, "status": "resolved", "account": {"id": 1}}
        response = await chatwoot.send(hitl, payload)
        assert response.status_code == 200 and response.json()["outcome"].startswith("ignored")
    assert backend.store.list_conversations().items == []


async def test_chatwoot_down_for_a_while_gets_everything_once_in_order(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    cid = await taken(chatwoot, hitl, "Where is my order?")
    detail = await waiting_draft(backend, cid)
    disclosure = detail.messages[0].text
    await eventually(lambda: chatwoot.posted(CW) == [disclosure])
    assert detail.draft is not None
    reply = detail.draft.text

    chatwoot.status = 503
    async with backend.client("alice") as alice:
        approved = await alice.approve(detail.draft.id, detail.draft.version)
    # The operator sees why the reply has not gone out, in the API and the console's header;
    # the first failure is announced (a new version), so an open console fetches it.
    failing = await eventually(lambda: _with_problem(backend, cid))
    assert failing.version > approved.version
    assert failing.delivery_problem is not None and "HTTP 503" in failing.delivery_problem
    header = conversation_header(failing, lambda who: who or "nobody").plain
    assert "not delivered: HTTP 503 from http://127.0.0.1" in header
    await eventually(lambda: backend.store.deliveries(cid)[-1]["attempts"] >= 3)
    assert chatwoot.posted(CW) == [disclosure]

    chatwoot.status = 200
    await eventually(lambda: chatwoot.posted(CW) == [disclosure, reply])
    await eventually(lambda: all(d["sent_at"] for d in backend.store.deliveries(cid)))
    assert len(chatwoot.requests) == 2  # each once, however often it was tried
    # The recovery is announced too: the console's fetch finds the problem gone.
    recovered = await detail_of(backend, cid)
    assert recovered.delivery_problem is None and recovered.version > failing.version


async def _with_problem(backend: Backend, cid: str) -> ConversationDetail | None:
    detail = await detail_of(backend, cid)
    return detail if detail.delivery_problem else None


async def test_a_takeover_while_a_draft_waits_posts_nothing_ai_written(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    cid = await taken(chatwoot, hitl, "Can I get a refund for a broken lamp?")
    detail = await waiting_draft(backend, cid)
    assert detail.draft is not None
    async with backend.client("alice") as alice:
        held = await alice.takeover(cid, detail.version, ReasonCode.POLICY)
        await alice.send_message(cid, "Hi, Alice here: I'll sort the refund out.")
    assert held.status is ConversationStatus.HUMAN

    await eventually(lambda: chatwoot.toggles(CW) == ["open"])
    notes = chatwoot.posted(CW, private=True)
    assert notes == ["hitl: alice took this conversation over in hitl (reason: policy)."]
    await eventually(lambda: len(chatwoot.posted(CW)) == 2)
    assert chatwoot.posted(CW) == [
        detail.messages[0].text,
        "Hi, Alice here: I'll sort the refund out.",
    ]
    assert all(detail.draft.text not in r.body.decode() for r in chatwoot.requests)


async def test_an_escalation_hands_the_conversation_to_chatwoots_agents(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    cid = await taken(chatwoot, hitl, "I want a human please")
    await eventually(lambda: chatwoot.toggles(CW) == ["open"])
    assert (await detail_of(backend, cid)).status is ConversationStatus.ESCALATED
    assert chatwoot.posted(CW)[-1] == HANDOFF_TEXT
    assert "asked for human" in chatwoot.posted(CW, private=True)[0]
    # The note is posted before the status changes, so Chatwoot's agents find it there.
    paths = [r.path.rpartition("/")[2] for r in chatwoot.requests]
    assert paths[-2:] == ["messages", "toggle_status"]


async def test_a_restart_sends_what_was_not_sent_and_nothing_twice(
    settings: Settings, chatwoot: ChatwootStub
) -> None:
    chatwoot.status = 503
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as hitl,
    ):
        cid = await taken(chatwoot, hitl, "I want a human")
        store = app.state.store
        await eventually(lambda: store.deliveries(cid)[0]["attempts"] >= 1)
    app.state.store.close()

    chatwoot.status = 200
    for _ in range(2):  # the second start finds nothing left to send
        again = create_app(settings)
        async with again.router.lifespan_context(again):
            rows = again.state.store.deliveries
            await eventually(lambda: all(d["sent_at"] for d in rows(cid)))  # noqa: B023
            assert again.state.store.due_deliveries() == []
        again.state.store.close()
    keys = [(r.path, r.body) for r in chatwoot.requests]
    assert len(keys) == len(set(keys)) == 4  # disclosure, hand-off notice, note, status


async def test_a_hand_back_returns_the_conversation_to_the_bot(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    cid = await taken(chatwoot, hitl, "Where is my order?")
    detail = await waiting_draft(backend, cid)
    async with backend.client("alice") as alice:
        held = await alice.takeover(cid, detail.version, ReasonCode.POLICY)
        await alice.handback(cid, held.version)
    await eventually(lambda: chatwoot.toggles(CW) == ["open", "pending"])
    assert "handed back to the AI" in chatwoot.posted(CW, private=True)[-1]


async def test_after_hitl_closed_the_chat_the_next_message_starts_a_new_one(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    first = await taken(chatwoot, hitl, "Where is my order?")
    detail = await waiting_draft(backend, first)
    async with backend.client("alice") as alice:
        await alice.close(first, detail.version)
    second = await taken(chatwoot, hitl, "Me again: a new question")
    assert second != first
    again = await detail_of(backend, second)
    assert [m.text for m in again.messages][-1] == "Me again: a new question"
    # The new chat opens with the disclosure too, posted into the same Chatwoot conversation.
    await eventually(lambda: chatwoot.posted(CW).count(again.messages[0].text) == 2)


async def test_the_console_shows_not_delivered_live_and_clears_it(
    live_backend: Backend, chatwoot: ChatwootStub, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=live_backend.url) as hitl:
        cid = await taken(chatwoot, hitl, "Where is my order?")
    detail = await waiting_draft(live_backend, cid)
    assert detail.draft is not None
    reply = detail.draft.text
    await eventually(lambda: chatwoot.posted(CW) == [detail.messages[0].text])
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["alice"], config_path=tmp_path / "x.toml"
    )
    app = make_app(config)
    async with app.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: app.me is not None)
        app.call_later(app.open_conversation, cid)
        screen = await until(
            pilot, lambda: app.screen if isinstance(app.screen, ConversationScreen) else None
        )
        await until(pilot, lambda: screen.detail is not None and screen.detail.draft is not None)

        def header() -> str:
            return str(screen.query_one("#conversation-header", Static).render())

        chatwoot.status = 503
        await pilot.press("a")  # approve: the reply cannot reach Chatwoot
        await until(pilot, lambda: "not delivered: HTTP 503" in header())
        chatwoot.status = 200
        await until(pilot, lambda: "not delivered" not in header())
    assert chatwoot.posted(CW)[-1] == reply


async def test_a_pause_holds_an_approved_reply_for_chatwoot_until_resumed(
    backend: Backend, chatwoot: ChatwootStub, hitl: httpx.AsyncClient
) -> None:
    """The stop button reaches Chatwoot's deliveries too (issue 16): an AI reply already in the
    outbox when the AI is paused is posted only after the resume."""
    chatwoot.status = 503  # Chatwoot is down: the disclosure and the reply queue up
    cid = await taken(chatwoot, hitl, "Where is my order?")
    detail = await waiting_draft(backend, cid)
    assert detail.draft is not None
    async with backend.client("alice") as alice:
        await alice.approve(detail.draft.id, detail.draft.version)
    async with backend.client("sam") as sam:
        await sam.pause_ai("the model quotes old prices")

    chatwoot.status = 200
    disclosure = detail.messages[0].text
    await eventually(lambda: chatwoot.posted(CW) == [disclosure])
    async with httpx.AsyncClient() as http:
        await backend.app.state.outbox.send_due(http)  # a round with the reply due: held
    assert chatwoot.posted(CW) == [disclosure]

    async with backend.client("sam") as sam:
        await sam.resume_ai()
    await eventually(lambda: chatwoot.posted(CW) == [disclosure, detail.draft.text])


async def test_resolved_in_chatwoot_closes_the_hitl_chat_once(
    backend: Backend, hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    cid = await taken(chatwoot, hitl, "Where is my order?")
    await waiting_draft(backend, cid)
    resolved = chatwoot.conversation_resolved(CW)

    first = await chatwoot.send(hitl, resolved, delivery="resolved-1")
    again = await chatwoot.send(hitl, resolved, delivery="resolved-1")
    later = await chatwoot.send(hitl, resolved)  # a new delivery of an old resolution

    assert first.json() == {"outcome": f"closed conversation {cid}"}
    assert again.json() == {"outcome": "duplicate"}
    assert later.json() == {"outcome": f"ignored: conversation {cid} is closed already"}
    detail = await detail_of(backend, cid)
    assert detail.status is ConversationStatus.CLOSED and detail.draft is None
    async with backend.client("sam") as sam:
        entries = (await sam.list_audit(conversation=cid)).items
    close = next(e for e in entries if e.action is Action.CLOSE)
    assert (close.actor, close.note) == ("system", "resolved in Chatwoot")
    # Nothing went back to Chatwoot for the close: it is Chatwoot's own.
    assert chatwoot.toggles(CW) == []
    # The customer's next message starts a new chat, as after any close.
    assert await taken(chatwoot, hitl, "One more question") != cid


async def test_a_resolution_of_a_conversation_hitl_never_had_is_ignored(
    hitl: httpx.AsyncClient, chatwoot: ChatwootStub
) -> None:
    response = await chatwoot.send(hitl, chatwoot.conversation_resolved(999))
    assert response.json() == {"outcome": "ignored: no hitl chat for this conversation"}
