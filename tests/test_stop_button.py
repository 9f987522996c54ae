"""The stop button, proven: after a pause no AI text reaches a customer, at every moment."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.bots import make_bot
from backend.bots.base import BotReply, Turn
from backend.settings import OutboxSettings, ReviewSettings, Settings, WebhookSettings
from backend_client import (
    Action,
    Author,
    ForbiddenError,
    InvalidRequestError,
    ReasonCode,
    ReviewMode,
)
from tests.helpers import (
    BASE,
    Backend,
    ManualClock,
    Receiver,
    eventually,
    pending_draft,
    seed_operators,
)

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"
"""The built-in bot answers this with high confidence and no flags."""


class GatedBot:
    """The built-in bot, held mid-draft until the test lets it finish."""

    def __init__(self, settings: Settings) -> None:
        self.inner = make_bot(settings.bot)
        self.identity = self.inner.identity
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def draft(self, history: Sequence[Turn], instruction: str | None = None) -> BotReply:
        self.started.set()
        await self.go.wait()
        return await self.inner.draft(history, instruction)


async def ai_seen_by_customer(backend: Backend, chat_id: str, token: str) -> list[str]:
    async with httpx.AsyncClient(base_url=backend.url, transport=backend.transport) as http:
        response = await http.get(
            f"/v1/channel/conversations/{chat_id}/messages",
            headers={"Authorization": f"Bearer {token}"},
        )
    return [m["text"] for m in response.json()["items"] if m["ai_generated"]]


@pytest.fixture
def manual() -> ManualClock:
    return ManualClock()


async def _backend(settings: Settings, clock: ManualClock, bot: object) -> AsyncIterator[Backend]:
    app = create_app(settings, bot=bot, clock=clock)  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        yield seed_operators(Backend(app=app, url=BASE, transport=httpx.ASGITransport(app=app)))
    app.state.store.close()


@pytest.mark.parametrize("mode", [ReviewMode.OFF, ReviewMode.FLAGGED])
async def test_a_pause_while_the_ai_is_writing_stops_that_draft(
    tmp_path: Path, manual: ManualClock, mode: ReviewMode
) -> None:
    settings = Settings(
        db_path=tmp_path / "h.db", secret="s", review=ReviewSettings(mode=mode, hold_seconds=1)
    )
    bot = GatedBot(settings)
    async for backend in _backend(settings, manual, bot):
        async with backend.channel() as channel:
            chat = await channel.start_chat("Jo", "jo@example.com")
            saying = asyncio.create_task(channel.say(chat, CONFIDENT))
            await asyncio.wait_for(bot.started.wait(), 5)
            async with backend.client("sam") as sam:
                await sam.pause_ai("the model gives wrong delivery dates")
            bot.go.set()
            await saying
        manual.advance(60)
        backend.app.state.hitl.send_due_drafts()
        assert await ai_seen_by_customer(backend, chat.id, chat.customer_token) == []
        draft = await pending_draft(backend, chat)  # held for a person, not lost

        async with backend.client("sam") as sam:
            await sam.resume_ai()
        async with backend.client("alice") as alice:
            await alice.approve(draft.id, draft.version)
        assert await ai_seen_by_customer(backend, chat.id, chat.customer_token) == [draft.text]


async def test_a_pause_inside_the_hold_window_holds_until_resumed(
    tmp_path: Path, manual: ManualClock
) -> None:
    settings = Settings(
        db_path=tmp_path / "h.db",
        secret="s",
        review=ReviewSettings(mode=ReviewMode.FLAGGED, hold_seconds=10),
    )
    async for backend in _backend(settings, manual, make_bot(settings.bot)):
        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)
        manual.advance(5)  # halfway through the hold window
        async with backend.client("sam") as sam:
            await sam.pause_ai("incident 42")
        manual.advance(3600)
        assert backend.app.state.hitl.send_due_drafts() == 0
        assert await ai_seen_by_customer(backend, chat.id, chat.customer_token) == []

        async with backend.client("sam") as sam:
            await sam.resume_ai()
        assert backend.app.state.hitl.send_due_drafts() == 1
        assert await ai_seen_by_customer(backend, chat.id, chat.customer_token) == [draft.text]


async def test_pause_reason_and_end_are_shown_and_journaled_and_the_end_lifts_it(
    tmp_path: Path, manual: ManualClock
) -> None:
    settings = Settings(
        db_path=tmp_path / "h.db",
        secret="s",
        review=ReviewSettings(mode=ReviewMode.FLAGGED, hold_seconds=10),
    )
    async for backend in _backend(settings, manual, make_bot(settings.bot)):
        until = manual.now + timedelta(minutes=30)
        async with backend.client("sam") as sam:
            await sam.pause_ai("price list being updated", until)
        async with backend.client("alice") as alice:
            state = await alice.ai_state()
            assert state.paused and state.reason == "price list being updated"
            assert state.until == until and state.paused_by == backend.operator_ids["sam"]
        async with backend.client("sam") as sam:
            entry = (await sam.list_audit(action=Action.PAUSE.value)).items[0]
        assert entry.note is not None and entry.note.startswith("price list being updated")
        assert until.isoformat() in entry.note

        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)
        manual.advance(29 * 60)
        backend.app.state.hitl.send_due_drafts()
        assert await ai_seen_by_customer(backend, chat.id, chat.customer_token) == []

        manual.advance(2 * 60)  # the pause's end passed
        async with backend.client("alice") as alice:
            state = await alice.ai_state()
        assert not state.paused and state.reason is None
        backend.app.state.hitl.send_due_drafts()
        assert await ai_seen_by_customer(backend, chat.id, chat.customer_token) == [draft.text]
        async with backend.client("sam") as sam:
            resumed = (await sam.list_audit(action=Action.RESUME.value)).items
        assert [(e.actor, e.note) for e in resumed] == [("system", "the pause's end passed")]
        async with backend.channel() as channel:
            sent = [m for m in await channel.messages(chat) if m.ai_generated]
        assert sent[0].reviewed_by is None and not sent[0].edited_by_person  # nobody looked


async def test_pausing_needs_a_supervisor_a_reason_and_an_end_in_the_future(
    backend: Backend,
) -> None:
    async with backend.client("alice") as alice:
        with pytest.raises(ForbiddenError):
            await alice.pause_ai("I want a break")
    async with backend.client("sam") as sam:
        with pytest.raises(InvalidRequestError, match="reason"):
            await sam.pause_ai("   ")
        with pytest.raises(InvalidRequestError, match="future"):
            await sam.pause_ai("x", datetime(2000, 1, 1, tzinfo=UTC))
        assert not (await sam.ai_state()).paused


async def test_messages_carry_their_marking_on_both_sides(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.approve(draft.id, draft.version)
    async with backend.channel() as channel:
        await channel.say(chat, "And to Norway?")
    second = await pending_draft(backend, chat)
    async with backend.client("bob") as bob:
        await bob.edit(second.id, second.version, "Five to seven days.", ReasonCode.INCOMPLETE)
        operator_side = (await bob.get_conversation(chat.id)).messages
    async with backend.channel() as channel:
        customer_side = await channel.messages(chat)

    for messages in (operator_side, customer_side):
        ai = [m for m in messages if m.author is Author.AI]
        assert [(m.ai_generated, m.edited_by_person, m.reviewed_by) for m in ai] == [
            (True, False, backend.operator_ids["alice"]),
            (True, True, backend.operator_ids["bob"]),
        ]
        others = [m for m in messages if m.author is not Author.AI]
        assert all(not m.ai_generated and not m.edited_by_person for m in others)


async def test_a_pause_holds_an_ai_reply_queued_for_a_channel_until_resumed(
    tmp_path: Path,
) -> None:
    """The outbox's deliveries are the last moment: an AI reply already queued for a webhook
    waits out the pause (and what comes after it in that chat waits behind it)."""
    with Receiver() as receiver:
        settings = Settings(
            db_path=tmp_path / "h.db",
            secret="s",
            webhooks=[WebhookSettings(url=f"{receiver.url}/hook", secret=WEBHOOK_SECRET)],
            outbox=OutboxSettings(first_retry_seconds=0.05, max_retry_seconds=0.1),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            backend = seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app)))
            receiver.status = 503  # the company's endpoint is down: deliveries queue up
            chat = await backend.chat(CONFIDENT)
            draft = await pending_draft(backend, chat)
            async with backend.client("alice") as alice:
                await alice.approve(draft.id, draft.version)
            queued = [d for d in backend.store.deliveries(chat.id) if d["ai_written"]]
            assert [json.loads(d["body"])["data"]["text"] for d in queued] == [draft.text]
            async with backend.client("sam") as sam:
                await sam.pause_ai("the model quotes old prices")

            receiver.status = 200
            await eventually(lambda: delivered_texts(receiver))  # the disclosure got through
            async with httpx.AsyncClient() as http:
                await app.state.outbox.send_due(http)  # a round with the reply due: held
            assert draft.text not in delivered_texts(receiver)
            assert not any(d["sent_at"] for d in backend.store.deliveries(chat.id)[1:])

            async with backend.client("sam") as sam:
                await sam.resume_ai()
            await eventually(lambda: draft.text in delivered_texts(receiver))
            await eventually(lambda: all(d["sent_at"] for d in backend.store.deliveries(chat.id)))
            keys = [r.headers["webhook-id"] for r in receiver.requests]
            assert keys == [d["key"] for d in backend.store.deliveries(chat.id)]  # in order
        app.state.store.close()


def delivered_texts(receiver: Receiver) -> list[str]:
    """The texts of the `message.delivered` webhooks a receiver got."""
    return [
        r.json()["data"]["text"]
        for r in receiver.requests
        if r.json()["type"] == "message.delivered"
    ]
