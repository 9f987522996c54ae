"""Escalation, takeover, handback, force-release and close through the API."""

from __future__ import annotations

import pytest

from backend.service import HANDOFF_TEXT
from backend_client import (
    Author,
    ChatStarted,
    ConflictError,
    ConversationDetail,
    ConversationStatus,
    EscalationReason,
    ForbiddenError,
    ReasonCode,
    StaleVersionError,
)
from tests.helpers import Backend

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"

TRIGGERS = [
    (EscalationReason.ASKED_FOR_HUMAN, "human"),
    (EscalationReason.ASKED_FOR_HUMAN, "I want to speak to a human"),
    (EscalationReason.ASKED_FOR_HUMAN, "Can I talk to a real person please?"),
    (EscalationReason.ASKED_FOR_HUMAN, "agent"),
    (EscalationReason.ASKED_FOR_HUMAN, "Get me a manager now"),
    (EscalationReason.ASKED_FOR_HUMAN, "I do not want to talk to a bot"),
    (EscalationReason.LEGAL, "I will contact my lawyer about this"),
    (EscalationReason.LEGAL, "I am going to sue you"),
    (EscalationReason.LEGAL, "See you in court"),
    (EscalationReason.LEGAL, "I will take legal action"),
    (EscalationReason.COMPLAINT, "I want to file a formal complaint"),
    (EscalationReason.COMPLAINT, "I would like to complain to the ombudsman"),
    (EscalationReason.COMPLAINT, "I am going to report you to trading standards"),
    (EscalationReason.DATA_PROTECTION, "Please delete my personal data"),
    (EscalationReason.DATA_PROTECTION, "I am making a GDPR request"),
    (EscalationReason.DATA_PROTECTION, "I want a copy of my personal data"),
    (EscalationReason.ANGER, "This is absolutely ridiculous"),
    (EscalationReason.ANGER, "I am furious about this"),
    (EscalationReason.ANGER, "Worst customer service ever"),
    (EscalationReason.ANGER, "WHERE IS MY PARCEL YOU PEOPLE"),
]


async def detail_of(backend: Backend, chat: ChatStarted, who: str = "alice") -> ConversationDetail:
    async with backend.client(who) as client:
        return await client.get_conversation(chat.id)


async def drafts_made(backend: Backend, chat: ChatStarted) -> int:
    async with backend.client("alice") as alice:
        timeline = await alice.timeline(chat.id)
    return sum(1 for item in timeline.items if item.kind == "draft")


async def assert_escalated_and_ai_silent(
    backend: Backend, chat: ChatStarted, reason: EscalationReason
) -> None:
    """Escalated for `reason`, no draft waiting, and the AI stays silent on the next turn."""
    detail = await detail_of(backend, chat)
    assert detail.status is ConversationStatus.ESCALATED
    assert detail.escalation_reason is reason
    assert detail.draft is None
    before = await drafts_made(backend, chat)

    async with backend.channel() as channel:
        await channel.say(chat, CONFIDENT)
        await backend.drafted()
        seen = await channel.messages(chat)

    after = await detail_of(backend, chat)
    assert after.status is ConversationStatus.ESCALATED
    assert after.escalation_reason is reason
    assert after.draft is None
    assert await drafts_made(backend, chat) == before
    assert not any(m.author is Author.AI for m in seen)


@pytest.mark.parametrize(("reason", "text"), TRIGGERS)
async def test_trigger_in_first_message_escalates(
    backend: Backend, reason: EscalationReason, text: str
) -> None:
    chat = await backend.chat(text)

    await assert_escalated_and_ai_silent(backend, chat, reason)
    async with backend.channel() as channel:
        seen = await channel.messages(chat)
    assert HANDOFF_TEXT in [m.text for m in seen if m.author is Author.SYSTEM]


@pytest.mark.parametrize(
    ("reason", "text"),
    [TRIGGERS[1], TRIGGERS[7], TRIGGERS[10], TRIGGERS[13], TRIGGERS[17]],
)
async def test_trigger_while_a_draft_waits_discards_it(
    backend: Backend, reason: EscalationReason, text: str
) -> None:
    chat = await backend.chat(CONFIDENT)
    waiting = (await detail_of(backend, chat)).draft
    assert waiting is not None

    async with backend.channel() as channel:
        await channel.say(chat, text)
        await backend.drafted()

    await assert_escalated_and_ai_silent(backend, chat, reason)
    async with backend.client("alice") as alice:
        with pytest.raises(ConflictError, match="superseded"):
            await alice.approve(waiting.id, waiting.version)


@pytest.mark.parametrize(
    "gibberish", [("xqzv blorf wib", "asdf qwer zxcv"), ("zzkq vvp", "plorp snarg mnx")]
)
async def test_two_low_confidence_drafts_in_a_row_escalate(
    backend: Backend, gibberish: tuple[str, str]
) -> None:
    chat = await backend.chat(gibberish[0])
    first = await detail_of(backend, chat)
    assert first.status is ConversationStatus.AWAITING_REVIEW
    assert first.draft is not None and "low_confidence" in first.draft.flags

    async with backend.channel() as channel:
        await channel.say(chat, gibberish[1])
        await backend.drafted()

    await assert_escalated_and_ai_silent(backend, chat, EscalationReason.LOW_CONFIDENCE)


async def test_one_confident_draft_between_resets_the_low_confidence_streak(
    backend: Backend,
) -> None:
    chat = await backend.chat("xqzv blorf wib", CONFIDENT, "asdf qwer zxcv")

    detail = await detail_of(backend, chat)

    assert detail.status is ConversationStatus.AWAITING_REVIEW
    assert detail.draft is not None


async def test_takeover_holds_the_conversation_and_silences_the_ai(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    detail = await detail_of(backend, chat)
    assert detail.draft is not None

    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        assert held.status is ConversationStatus.HUMAN
        assert held.holder == backend.operator_ids["alice"]
        assert held.draft is None
        async with backend.channel() as channel:
            await channel.say(chat, "What payment methods do you accept?")
            await backend.drafted()
        assert (await alice.get_conversation(chat.id)).draft is None
        await alice.send_message(chat.id, "Hi, this is Alice. We take cards and PayPal.")

    async with backend.channel() as channel:
        seen = await channel.messages(chat)
    last = seen[-1]
    assert last.author is Author.HUMAN
    assert last.ai_generated is False
    assert last.operator == backend.operator_ids["alice"]
    assert not any(m.author is Author.AI for m in seen)


async def test_takeover_of_a_held_conversation_names_the_holder(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)

    async with backend.client("bob") as bob:
        with pytest.raises(ConflictError) as caught:
            await bob.takeover(chat.id, held.version, ReasonCode.CUSTOMER_REQUEST)

    problem = caught.value.problem
    assert problem.status == 409
    assert problem.holder == backend.operator_ids["alice"]
    assert "alice" in str(caught.value)
    assert problem.current is not None and problem.current["holder"] == problem.holder


async def test_only_the_holder_may_write(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("bob") as bob:
        with pytest.raises(ConflictError, match="take over"):
            await bob.send_message(chat.id, "Hello from Bob")
    async with backend.client("alice") as alice:
        await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)

    async with backend.client("bob") as bob:
        with pytest.raises(ConflictError) as caught:
            await bob.send_message(chat.id, "Hello from Bob")
        assert caught.value.problem.holder == backend.operator_ids["alice"]
        with pytest.raises(ConflictError):
            await bob.handback(chat.id, (await detail_of(backend, chat)).version)

    async with backend.channel() as channel:
        seen = await channel.messages(chat)
    assert all("Bob" not in m.text for m in seen)


async def test_takeover_again_by_the_holder_changes_nothing(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        again = await alice.takeover(chat.id, held.version, ReasonCode.CUSTOMER_REQUEST)
    async with backend.client("sam") as sam:
        takeovers = (await sam.list_audit(conversation=chat.id, action="takeover")).items

    assert again.holder == held.holder
    assert again.version == held.version
    assert len(takeovers) == 1


async def test_takeover_with_a_stale_version_is_refused(backend: Backend) -> None:
    chat = await backend.chat("human")
    old = await detail_of(backend, chat)
    async with backend.channel() as channel:
        await channel.say(chat, "Hello? Anyone there?")
        await backend.drafted()

    async with backend.client("alice") as alice:
        with pytest.raises(StaleVersionError) as caught:
            await alice.takeover(chat.id, old.version, ReasonCode.CUSTOMER_REQUEST)
    assert caught.value.problem.status == 412
    assert (await detail_of(backend, chat)).holder is None


async def test_handback_returns_the_conversation_to_the_ai(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        held = await alice.send_message(chat.id, "Sorted, anything else?")
        back = await alice.handback(chat.id, held.version)

    assert back.status is ConversationStatus.BOT
    assert back.holder is None
    assert back.escalation_reason is None
    async with backend.channel() as channel:
        await channel.say(chat, CONFIDENT)
        await backend.drafted()
    after = await detail_of(backend, chat)
    assert after.status is ConversationStatus.AWAITING_REVIEW
    assert after.draft is not None


async def test_handback_while_the_customer_waits_drafts_a_reply(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        async with backend.channel() as channel:
            await channel.say(chat, CONFIDENT)
            await backend.drafted()
        held = await alice.get_conversation(chat.id)
        back = await alice.handback(chat.id, held.version)

    assert back.status is ConversationStatus.AWAITING_REVIEW
    assert back.draft is not None


async def test_supervisor_force_releases_a_hold(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)

    async with backend.client("bob") as bob:
        with pytest.raises(ForbiddenError):
            await bob.release(chat.id, held.version, ReasonCode.OTHER, "alice went home")
    async with backend.client("alice") as alice:
        with pytest.raises(ForbiddenError):
            await alice.release(chat.id, held.version, ReasonCode.OTHER, "let go")
    async with backend.client("sam") as sam:
        released = await sam.release(chat.id, held.version, ReasonCode.OTHER, "alice went home")

    assert released.holder is None
    assert released.status is ConversationStatus.ESCALATED
    assert released.escalation_reason is EscalationReason.RELEASED
    async with backend.client("bob") as bob:
        taken = await bob.takeover(chat.id, released.version, ReasonCode.CUSTOMER_REQUEST)
    assert taken.holder == backend.operator_ids["bob"]
    async with backend.client("alice") as alice:
        with pytest.raises(ConflictError):
            await alice.send_message(chat.id, "I'm back")


async def test_release_of_an_unheld_conversation_is_a_conflict(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("sam") as sam:
        with pytest.raises(ConflictError, match="nobody holds"):
            await sam.release(chat.id, detail.version, ReasonCode.POLICY)


async def test_close_ends_the_conversation(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    detail = await detail_of(backend, chat)
    pending = detail.draft
    assert pending is not None

    async with backend.client("alice") as alice:
        closed = await alice.close(chat.id, detail.version)
        assert closed.status is ConversationStatus.CLOSED
        assert closed.draft is None
        with pytest.raises(ConflictError):
            await alice.approve(pending.id, pending.version)
        with pytest.raises(ConflictError, match="closed"):
            await alice.takeover(chat.id, closed.version, ReasonCode.POLICY)
    async with backend.channel() as channel:
        with pytest.raises(ConflictError, match="closed"):
            await channel.say(chat, "Hello?")
            await backend.drafted()
        seen = await channel.messages(chat)
    assert not any(m.author is Author.AI for m in seen)


async def test_closing_someone_elses_hold_needs_a_supervisor(backend: Backend) -> None:
    chat = await backend.chat("human")
    detail = await detail_of(backend, chat)
    async with backend.client("alice") as alice:
        held = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
    async with backend.client("bob") as bob:
        with pytest.raises(ConflictError) as caught:
            await bob.close(chat.id, held.version)
    assert caught.value.problem.holder == backend.operator_ids["alice"]

    async with backend.client("sam") as sam:
        closed = await sam.close(chat.id, held.version)
    assert closed.status is ConversationStatus.CLOSED
    assert closed.holder is None
