"""Signed webhooks through the outbox, checked by a real receiver on loopback and the spec's
reference verifier (the `standardwebhooks` package)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from backend.app import create_app
from backend.settings import OutboxSettings, Settings, WebhookSettings
from backend_client import Customer, ReasonCode
from tests.helpers import Backend, Receiver, eventually, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The company's endpoint."""
    with Receiver() as stub:
        yield stub


@pytest.fixture
def settings(tmp_path: Path, receiver: Receiver) -> Settings:
    """A backend that announces everything to `receiver`, retrying quickly."""
    return Settings(
        db_path=tmp_path / "hitl.db",
        secret="test-secret",
        webhooks=[WebhookSettings(url=f"{receiver.url}/hook", secret=SECRET)],
        outbox=OutboxSettings(first_retry_seconds=0.05, max_retry_seconds=0.2),
    )


def types(receiver: Receiver) -> list[str]:
    """The `type` of every webhook received, in order."""
    return [r.json()["type"] for r in receiver.requests]


async def test_a_delivered_reply_is_announced_signed_and_marked(
    backend: Backend, receiver: Receiver
) -> None:
    chat = await backend.chat("Where is my order?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.approve(draft.id, draft.version)
    await eventually(lambda: types(receiver).count("message.delivered") >= 2)

    verifier = Webhook(SECRET)
    for request in receiver.requests:
        assert request.path == "/hook"
        verifier.verify(request.body, request.headers)  # raises on a bad signature
    replies = [
        r.json()["data"] for r in receiver.requests if r.json()["type"] == "message.delivered"
    ]
    disclosure, reply = replies[0], replies[-1]
    assert disclosure["author"] == "system" and disclosure["ai_generated"] is False
    assert reply["text"] == draft.text and reply["conversation_id"] == chat.id
    assert reply["ai_generated"] is True and reply["edited_by_person"] is False
    # The reviewer as on the wire's Message: the operator's id (issue 16).
    assert reply["reviewed_by"] == backend.operator_ids["alice"]
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(set(ids))


async def test_a_tampered_body_fails_the_reference_verifier(
    backend: Backend, receiver: Receiver
) -> None:
    await backend.chat()
    await eventually(lambda: receiver.requests)
    request = receiver.requests[0]
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(SECRET).verify(request.body.replace(b"system", b"hacker"), request.headers)


async def test_escalation_and_close_are_announced_once_each(
    backend: Backend, receiver: Receiver
) -> None:
    chat = await backend.chat("I want a human", "still there?")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        detail = await alice.takeover(chat.id, detail.version, ReasonCode.POLICY)
        await alice.close(chat.id, detail.version)
    await eventually(lambda: "conversation.closed" in types(receiver))
    assert types(receiver).count("conversation.escalated") == 1
    escalated = next(
        r.json() for r in receiver.requests if r.json()["type"] == "conversation.escalated"
    )
    assert escalated["data"]["conversation_id"] == chat.id
    assert escalated["data"]["reason"] == "asked_for_human"


async def test_a_receiver_that_is_down_gets_everything_later_in_order_once(
    backend: Backend, receiver: Receiver
) -> None:
    receiver.status = 503
    chat = await backend.chat("I want a human")
    await eventually(lambda: any(d["last_error"] for d in backend.store.deliveries(chat.id)))
    assert receiver.requests == []

    receiver.status = 200
    await eventually(lambda: "conversation.escalated" in types(receiver))
    await eventually(lambda: all(d["sent_at"] for d in backend.store.deliveries(chat.id)))
    keys = [r.headers["webhook-id"] for r in receiver.requests]
    assert keys == [d["key"] for d in backend.store.deliveries(chat.id)]


async def test_a_restart_sends_what_was_not_sent_and_nothing_twice(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.status = 503
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        sent_before = app.state.store
        cid = app.state.hitl.start_chat(Customer(name="Jo")).id
        await eventually(lambda: sent_before.deliveries(cid)[0]["attempts"] >= 1)
    app.state.store.close()

    receiver.status = 200
    again = create_app(settings)
    async with again.router.lifespan_context(again):
        await eventually(lambda: all(d["sent_at"] for d in again.state.store.deliveries(cid)))
    again.state.store.close()
    again2 = create_app(settings)
    async with again2.router.lifespan_context(again2):
        # A third start finds nothing due: everything was confirmed.
        assert again2.state.store.due_deliveries() == []
    again2.state.store.close()
    assert len(receiver.requests) == len({r.headers["webhook-id"] for r in receiver.requests})
