"""The review gate through the API: what reaches a customer, and the decisions on drafts."""

from __future__ import annotations

import pytest

from backend.settings import Settings
from backend_client import (
    Author,
    ChatStarted,
    ConflictError,
    ConversationDetail,
    ConversationStatus,
    DraftStatus,
    EscalationReason,
    Flag,
    Message,
    ReasonCode,
)
from tests.helpers import Backend, ManualClock, eventually, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"
"""The built-in bot answers this with high confidence and no flags."""
UNSURE = "How do I return an item?"
"""The built-in bot answers this below the default threshold of 0.75."""


async def customer_view(backend: Backend, chat: ChatStarted) -> list[Message]:
    """What the customer of `chat` can see."""
    async with backend.channel() as channel:
        return await channel.messages(chat)


def ai_texts(messages: list[Message]) -> list[str]:
    return [m.text for m in messages if m.author is Author.AI]


async def test_approved_draft_reaches_the_customer_marked_as_ai(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    assert "business days" in draft.text

    async with backend.client("alice") as alice:
        detail = await alice.approve(draft.id, draft.version)

    assert detail.status is ConversationStatus.BOT
    assert detail.draft is None
    seen = await customer_view(backend, chat)
    assert [m.author for m in seen] == [Author.SYSTEM, Author.CUSTOMER, Author.AI]
    reply = seen[-1]
    assert reply.text == draft.text
    assert reply.ai_generated is True
    assert reply.draft_id == draft.id
    assert reply.operator == backend.operator_ids["alice"]


async def test_customer_never_sees_a_pending_draft(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    seen = await customer_view(backend, chat)

    assert ai_texts(seen) == []
    assert all(draft.text not in m.text for m in seen)


async def test_a_new_customer_message_supersedes_the_pending_draft(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    first = await pending_draft(backend, chat)
    async with backend.channel() as channel:
        await channel.say(chat, "What payment methods do you accept?")
        await backend.drafted()
    second = await pending_draft(backend, chat)

    assert second.id != first.id
    async with backend.client("alice") as alice:
        with pytest.raises(ConflictError, match="superseded"):
            await alice.approve(first.id, first.version)
    assert ai_texts(await customer_view(backend, chat)) == []


@pytest.mark.parametrize("opening", [CONFIDENT, "hi", "xqzv blorf wib"])
async def test_disclosure_comes_first_and_says_how_to_reach_a_person(
    backend: Backend, settings: Settings, opening: str
) -> None:
    chat = await backend.chat(opening)

    seen = await customer_view(backend, chat)

    first = seen[0]
    assert first.author is Author.SYSTEM
    assert first.text == settings.disclosure
    assert "AI" in first.text
    assert '"human"' in first.text


async def test_disclosure_stays_first_through_a_whole_conversation(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        detail = await alice.edit(draft.id, draft.version, "Two to four days.", ReasonCode.TONE)
        detail = await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
        detail = await alice.send_message(chat.id, "Hello, Alice here.")
        await alice.close(chat.id, detail.version)

    seen = await customer_view(backend, chat)
    assert seen[0].author is Author.SYSTEM
    assert "AI" in seen[0].text
    assert [m.author for m in seen].count(Author.SYSTEM) == 1


async def test_edit_sends_the_edited_text(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        detail = await alice.edit(
            draft.id, draft.version, "Delivery takes 2-4 business days.", ReasonCode.TONE
        )

    assert detail.status is ConversationStatus.BOT
    assert ai_texts(await customer_view(backend, chat)) == ["Delivery takes 2-4 business days."]
    assert ai_texts(detail.messages) == ["Delivery takes 2-4 business days."]


async def test_reject_escalates_and_sends_nothing(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        detail = await alice.reject(draft.id, draft.version, ReasonCode.INCORRECT)

    assert detail.status is ConversationStatus.ESCALATED
    assert detail.escalation_reason is EscalationReason.DRAFT_REJECTED
    assert detail.draft is None
    assert ai_texts(await customer_view(backend, chat)) == []


async def test_reject_with_regenerate_makes_a_new_draft(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    async with backend.client("alice") as alice:
        detail = await alice.reject(draft.id, draft.version, ReasonCode.INCOMPLETE, regenerate=True)

    assert detail.status is ConversationStatus.AWAITING_REVIEW
    assert detail.draft is not None
    assert detail.draft.id != draft.id
    assert detail.draft.status is DraftStatus.PENDING
    assert ai_texts(await customer_view(backend, chat)) == []


async def test_regenerate_follows_the_instruction(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    instruction = "Make it more formal and apologise for the wait."

    async with backend.client("alice") as alice:
        detail = await alice.regenerate(draft.id, draft.version, instruction, ReasonCode.TONE)

    new = detail.draft
    assert new is not None
    assert new.id != draft.id
    assert new.text != draft.text
    assert new.instruction == instruction
    assert "sorry" in new.text.lower()
    assert "Thank you for contacting" in new.text
    assert detail.status is ConversationStatus.AWAITING_REVIEW
    async with backend.client("sam") as sam:
        entries = (await sam.list_audit(conversation=chat.id, action="regenerate")).items
    assert len(entries) == 1
    assert entries[0].note is not None and instruction in entries[0].note
    assert ai_texts(await customer_view(backend, chat)) == []


async def test_approving_the_regenerated_draft_sends_the_new_text(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        detail = await alice.regenerate(draft.id, draft.version, "shorter", ReasonCode.TONE)
        assert detail.draft is not None
        await alice.approve(detail.draft.id, detail.draft.version)

    assert ai_texts(await customer_view(backend, chat)) == [detail.draft.text]


class TestFlaggedMode:
    """Review mode `flagged`: confident, unflagged drafts go out after a 0.3 s hold.

    The backend's clock is moved by hand and each check runs the sweep the
    backend runs in the background, so "nothing went out" is proven at a time
    well past the hold window instead of by sleeping through it.
    """

    @pytest.fixture
    def settings(self, flagged_settings: Settings) -> Settings:
        return flagged_settings

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @staticmethod
    def sweep_after(backend: Backend, clock: ManualClock, seconds: float) -> None:
        """Let `seconds` pass on the backend's clock, then send what is due, as the sweep does."""
        clock.advance(seconds)
        backend.app.state.hitl.send_due_drafts()

    async def test_nothing_goes_out_before_the_hold_window_ends(
        self, backend: Backend, clock: ManualClock
    ) -> None:
        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)
        assert draft.send_at is not None

        self.sweep_after(backend, clock, 0.2)
        assert ai_texts(await customer_view(backend, chat)) == []

        async def sent() -> list[str]:
            return ai_texts(await customer_view(backend, chat))

        self.sweep_after(backend, clock, 0.2)
        assert await eventually(sent, timeout=3) == [draft.text]
        async with backend.client("alice") as alice:
            detail = await alice.get_conversation(chat.id)
        assert detail.status is ConversationStatus.BOT
        assert detail.draft is None

    @pytest.mark.parametrize(
        ("question", "flag"),
        [
            (UNSURE, None),
            ("xqzv blorf wib", Flag.LOW_CONFIDENCE),
            ("Can I get a refund for my order?", Flag.REFUND),
        ],
    )
    async def test_flagged_or_unsure_drafts_wait_for_a_human(
        self, backend: Backend, clock: ManualClock, question: str, flag: Flag | None
    ) -> None:
        chat = await backend.chat(question)
        draft = await pending_draft(backend, chat)
        assert draft.send_at is None
        if flag is not None:
            assert flag in draft.flags

        self.sweep_after(backend, clock, 0.7)

        assert ai_texts(await customer_view(backend, chat)) == []
        assert (await pending_draft(backend, chat)).id == draft.id

    async def test_rejecting_during_the_hold_window_stops_the_draft(
        self, backend: Backend, clock: ManualClock
    ) -> None:
        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)
        async with backend.client("alice") as alice:
            await alice.reject(draft.id, draft.version, ReasonCode.POLICY)

        self.sweep_after(backend, clock, 0.7)

        assert ai_texts(await customer_view(backend, chat)) == []

    async def test_nothing_goes_out_while_the_ai_is_paused(
        self, backend: Backend, clock: ManualClock
    ) -> None:
        async with backend.client("sam") as sam:
            await sam.pause_ai()
        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)

        self.sweep_after(backend, clock, 0.7)

        assert ai_texts(await customer_view(backend, chat)) == []
        assert (await pending_draft(backend, chat)).id == draft.id

    async def test_pausing_stops_a_draft_already_in_its_hold_window(
        self, backend: Backend, clock: ManualClock
    ) -> None:
        chat = await backend.chat(CONFIDENT)
        await pending_draft(backend, chat)
        async with backend.client("sam") as sam:
            await sam.pause_ai()

        self.sweep_after(backend, clock, 0.7)

        assert ai_texts(await customer_view(backend, chat)) == []


async def test_approve_while_paused_is_refused(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("sam") as sam:
        state = await sam.pause_ai()
    assert state.paused is True

    async with backend.client("alice") as alice:
        with pytest.raises(ConflictError, match="paused"):
            await alice.approve(draft.id, draft.version)
        with pytest.raises(ConflictError, match="paused"):
            await alice.edit(draft.id, draft.version, "Soon.", ReasonCode.TONE)
        assert (await alice.ai_state()).paused is True

    assert ai_texts(await customer_view(backend, chat)) == []
    assert (await pending_draft(backend, chat)).id == draft.id


async def test_resume_lets_approvals_through_again(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("sam") as sam:
        await sam.pause_ai()
        state = await sam.resume_ai()
    assert state.paused is False

    async with backend.client("alice") as alice:
        detail: ConversationDetail = await alice.approve(draft.id, draft.version)

    assert ai_texts(detail.messages) == [draft.text]
