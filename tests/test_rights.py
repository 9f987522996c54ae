"""Data subjects' rights and contest: access, erasure by person, complaints, corrections."""

from __future__ import annotations

import pytest

from backend_client import (
    Action,
    Author,
    ConflictError,
    ConversationStatus,
    EscalationReason,
    ForbiddenError,
    NotFoundError,
    ReasonCode,
)
from tests.helpers import Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

EMAIL = "Jo.Smith@Example.com"
OTHER = "kim@example.org"


async def _person_with_two_chats(backend: Backend) -> list[str]:
    """Two conversations of Jo (one edited, one rejected), one of Kim."""
    ids = []
    for name, email, text in [
        ("Jo Smith", EMAIL, "Where is my order 1234?"),
        ("Jo Smith", EMAIL.lower(), "Can I get a refund for my order?"),
        ("Kim Lee", OTHER, "Where is my order 9999?"),
    ]:
        async with backend.channel() as channel:
            chat = await channel.start_chat(name, email)
            await channel.say(chat, text)
        draft = await pending_draft(backend, chat)
        async with backend.client("alice") as alice:
            await alice.edit(draft.id, draft.version, f"Answer for {name}.", ReasonCode.INCORRECT)
        ids.append(chat.id)
    return ids


async def test_an_access_export_holds_everything_about_the_person_and_nobody_else(
    backend: Backend,
) -> None:
    jo1, jo2, kim = await _person_with_two_chats(backend)
    async with backend.client("ada") as admin:
        export = await admin.dsr_export("jo.smith@example.com")
        journal = (await admin.list_audit(action=Action.DSR_EXPORT.value)).items
    assert [c.id for c in export.conversations] == [jo1, jo2]
    first = export.conversations[0]
    assert first.name == "Jo Smith" and first.disclosure_shown is not None
    assert "AI assistant" in first.disclosure_shown
    assert [m.author for m in first.messages][:2] == [Author.SYSTEM, Author.CUSTOMER]
    ai = [m for m in first.messages if m.author is Author.AI]
    assert ai[0].ai_generated and ai[0].edited_by_person and ai[0].reviewed_by_person
    assert first.drafts and first.drafts[0].status.value == "edited"
    assert [(d.action, d.actor_role.value, d.reason_code) for d in first.decisions] == [
        (Action.EDIT, "agent", ReasonCode.INCORRECT)
    ]
    assert "Kim" not in export.model_dump_json()
    assert len(journal) == 1 and journal[0].note == "access export of 2 conversation(s)"


async def test_erasure_by_person_erases_all_their_conversations_and_only_theirs(
    backend: Backend,
) -> None:
    jo1, jo2, kim = await _person_with_two_chats(backend)
    async with backend.client("ada") as admin:
        result = await admin.erase_person(EMAIL)
        assert result.conversations == [jo1, jo2] and EMAIL not in result.model_dump_json()
        for cid in (jo1, jo2):
            detail = await admin.get_conversation(cid)
            assert detail.status is ConversationStatus.CLOSED
            assert detail.customer.name == "[erased]" and detail.customer.email is None
            assert all(
                m.text == "[erased]" for m in detail.messages if m.author is not Author.SYSTEM
            )
        assert (await admin.get_conversation(kim)).customer.name == "Kim Lee"
        erasures = (await admin.list_audit(action=Action.ERASE.value)).items
        assert {e.conversation_id for e in erasures} == {jo1, jo2}
        assert (await admin.verify_audit()).ok
        pairs = (await admin.training_pairs()).items
        assert {p.conversation_id for p in pairs} == {kim}  # later exports leave Jo out
        with pytest.raises(NotFoundError):
            await admin.dsr_export(EMAIL)  # nothing is left that is findable by their email


async def test_only_an_admin_may_export_or_erase_a_person(backend: Backend) -> None:
    await _person_with_two_chats(backend)
    async with backend.client("sam") as sam:
        with pytest.raises(ForbiddenError):
            await sam.dsr_export(EMAIL)
        with pytest.raises(ForbiddenError):
            await sam.erase_person(EMAIL)


async def test_a_complaint_escalates_and_tells_the_customer_when_a_person_replies(
    backend: Backend,
) -> None:
    async with backend.channel() as channel:
        chat = await channel.start_chat("Jo", "jo@example.com")
        await channel.say(chat, "How long does shipping take?")
        receipt = await channel.complain(chat, "That answer was wrong and I want a person.")
        seen = await channel.messages(chat)
    assert receipt.escalation_reason == "complaint" and receipt.reply_within_minutes == 60
    assert seen[-1].author is Author.SYSTEM and "within 60 minutes" in seen[-1].text
    assert seen[-2].text == "That answer was wrong and I want a person."
    assert not [m for m in seen if m.ai_generated]  # the pending draft never went out
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        queue = (await alice.list_conversations()).items
    assert detail.status is ConversationStatus.ESCALATED and detail.draft is None
    assert detail.escalation_reason is EscalationReason.COMPLAINT
    assert [c.escalation_reason for c in queue if c.id == chat.id] == [EscalationReason.COMPLAINT]


async def test_a_complaint_in_a_held_conversation_or_without_text_still_counts(
    backend: Backend,
) -> None:
    chat = await backend.chat("Hello")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        await alice.takeover(chat.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
    async with backend.channel() as channel:
        receipt = await channel.complain(chat)
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
    assert receipt.message.author is Author.SYSTEM
    assert detail.status is ConversationStatus.HUMAN
    assert detail.escalation_reason is EscalationReason.COMPLAINT


async def test_a_correction_names_the_wrong_message_and_is_journaled(backend: Backend) -> None:
    chat = await backend.chat("How long does shipping take?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        sent = await alice.approve(draft.id, draft.version)
        wrong = [m for m in sent.messages if m.author is Author.AI][0]
        corrected = await alice.correct(
            chat.id, wrong.id, "Correction: shipping takes 5 days, not 2.", ReasonCode.OUTDATED
        )
        with pytest.raises(NotFoundError):
            await alice.correct(chat.id, "m_nope", "x", ReasonCode.OUTDATED)
    async with backend.client("sam") as sam:
        entry = (await sam.list_audit(action=Action.CORRECT.value)).items[0]
    async with backend.channel() as channel:
        last = (await channel.messages(chat))[-1]
    assert last.correction_of == wrong.id and last.correction_reason is ReasonCode.OUTDATED
    assert last.author is Author.HUMAN and not last.ai_generated
    assert last.reviewed_by == backend.operator_ids["alice"]
    assert corrected.messages[-1].id == last.id
    assert entry.reason_code is ReasonCode.OUTDATED and entry.note == f"corrects: {wrong.id}"
    assert entry.final_text == "Correction: shipping takes 5 days, not 2."


async def test_a_closed_chat_cannot_complain(backend: Backend) -> None:
    chat = await backend.chat("Hello")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        await alice.close(chat.id, detail.version)
    async with backend.channel() as channel:
        with pytest.raises(ConflictError):
            await channel.complain(chat, "too late")
