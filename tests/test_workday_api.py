"""What agents expect (issue 15), through the API: find, notes, history, assignment, …

The real backend in-process; each test reads what an operator would be shown.
"""

from __future__ import annotations

import pytest

from backend.domain.workday import viewers_now
from backend.store.queue_find import find_condition, find_words
from backend_client import (
    Action,
    ChatStarted,
    EscalationReason,
    EventType,
    ForbiddenError,
    InvalidRequestError,
    fill_reply,
    over_sla,
    sla_minutes,
)
from tests.helpers import Backend

pytestmark = pytest.mark.both_stores


async def chat_as(backend: Backend, name: str, email: str | None, *turns: str) -> ChatStarted:
    """A customer `name` (`email`) starts a chat and says `turns`, each drafted for."""
    async with backend.channel() as channel:
        chat = await channel.start_chat(name, email)
        for turn in turns:
            await channel.say(chat, turn)
            await backend.drafted(chat)
        return chat


# -- find in the queue -----------------------------------------------------------------


async def test_find_matches_name_email_words_and_flags(backend: Backend) -> None:
    ann = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    bo = await chat_as(backend, "Bo Park", "bo@else.test", "I want a refund for the kettle")
    async with backend.client("alice") as alice:
        assert await alice.find_in_queue("ann") == {ann.id}
        assert await alice.find_in_queue("ELSE.test") == {bo.id}
        assert await alice.find_in_queue("parcel") == {ann.id}
        assert await alice.find_in_queue("kettle refund") == {bo.id}
        assert await alice.find_in_queue("kettle parcel") == set()
        detail = await alice.get_conversation(bo.id)
        if detail.draft is not None and detail.draft.flags:
            flag = detail.draft.flags[0].value
            assert bo.id in await alice.find_in_queue(flag)


async def test_find_takes_wildcards_literally(backend: Backend) -> None:
    await chat_as(backend, "Cy Ward", "cy@shop.test", "hello there")
    async with backend.client("alice") as alice:
        assert await alice.find_in_queue("%") == set()
        assert await alice.find_in_queue("_") == set()


async def test_a_trainer_finds_only_by_what_they_may_see(backend: Backend) -> None:
    ann = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    async with backend.client("tina") as tina:
        # Her email is masked for a trainer: finding by it must not confirm whose chat it is.
        assert await tina.find_in_queue("ann@shop.test") == set()
        assert await tina.find_in_queue(ann.id) == {ann.id}


def test_find_words_are_bounded() -> None:
    assert find_words("  a   b ") == ["a", "b"]
    assert len(find_words(" ".join("w" * 200 for _ in range(20)))) == 8
    sql, params = find_condition("")
    assert (sql, params) == ("1 = 1", [])
    assert "?" in find_condition("x")[0] and "LIKE lower(?)" in find_condition("x")[0]


# -- internal notes ----------------------------------------------------------------------


async def test_a_note_is_for_colleagues_never_for_the_customer(backend: Backend) -> None:
    chat = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    async with backend.client("alice") as alice, backend.client("bob") as bob:
        note = await alice.add_note(chat.id, "Called the courier: it left today.")
        assert [n.text for n in await bob.notes(chat.id)] == [note.text]
        assert note.author == backend.operator_ids["alice"]
        timeline = await bob.timeline(chat.id)
        assert [i.note.text for i in timeline.items if i.kind == "note" and i.note] == [note.text]
        detail = await bob.get_conversation(chat.id)
        assert all("courier" not in m.text for m in detail.messages)
    async with backend.channel() as channel:
        seen = await channel.messages(chat)
    assert seen and all("courier" not in m.text for m in seen)
    # The customer's stream and the webhooks read messages and statuses only: the note
    # travels as its own event type, and never inside a message.
    events = backend.store.events_after(0, 1000)
    carrying = {e.type for e in events if "courier" in str(e.data)}
    assert carrying == {EventType.NOTE_CREATED}


async def test_a_trainer_reads_notes_masked_and_writes_none(backend: Backend) -> None:
    chat = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    async with backend.client("alice") as alice, backend.client("tina") as tina:
        await alice.add_note(chat.id, "She gave ann@shop.test and +44 20 7946 0958")
        (masked,) = await tina.notes(chat.id)
        assert "ann@shop.test" not in masked.text
        with pytest.raises(ForbiddenError):
            await tina.add_note(chat.id, "hello")
        with pytest.raises(InvalidRequestError):
            await alice.add_note(chat.id, "   ")
    async with backend.client("ada") as ada:
        # What is held about her (art. 15) includes what colleagues noted.
        (held,) = (await ada.dsr_export("ann@shop.test")).conversations
        assert [n.text for n in held.internal_notes] == [
            "She gave ann@shop.test and +44 20 7946 0958"
        ]
        await ada.erase(chat.id)
        assert all("ann@shop.test" not in n.text for n in await ada.notes(chat.id))


# -- the customer's history --------------------------------------------------------------


async def test_history_is_the_same_customers_other_conversations(backend: Backend) -> None:
    first = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    second = await chat_as(backend, "Ann L.", "ANN@shop.test", "Still no parcel")
    await chat_as(backend, "Ann Lee", "other@shop.test", "hello")
    nameless1 = await chat_as(backend, "Zed", None, "hi")
    nameless2 = await chat_as(backend, "Zed", None, "hi again")
    async with backend.client("alice") as alice:
        assert [c.id for c in await alice.history(second.id)] == [first.id]
        assert [c.id for c in await alice.history(nameless2.id)] == [nameless1.id]


# -- assignment --------------------------------------------------------------------------


async def test_assignment_is_shown_journaled_and_checked(backend: Backend) -> None:
    chat = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    async with backend.client("sam") as sam, backend.client("alice") as alice:
        detail = await sam.get_conversation(chat.id)
        after = await sam.assign(chat.id, detail.version, "alice")
        assert after.assignee == backend.operator_ids["alice"]
        assert after.version == detail.version + 1
        (entry,) = [e async for e in sam.iter_audit(action=Action.ASSIGN.value)]
        assert entry.note == "assigned to alice" and entry.conversation_id == chat.id
        with pytest.raises(InvalidRequestError, match="trainer"):
            await sam.assign(chat.id, None, "tina")
        with pytest.raises(InvalidRequestError, match="no such operator"):
            await sam.assign(chat.id, None, "nobody")
        back = await alice.assign(chat.id, None, None)
        assert back.assignee is None
    async with backend.client("tina") as tina:
        with pytest.raises(ForbiddenError):
            await tina.assign(chat.id, None, "alice")


# -- saved replies -----------------------------------------------------------------------


async def test_saved_replies_are_kept_by_supervisors(backend: Backend) -> None:
    async with backend.client("sam") as sam, backend.client("alice") as alice:
        reply = await sam.add_saved_reply(
            "Greeting", "Hi {customer.first_name}, {agent.name} here."
        )
        assert [r.title for r in await alice.saved_replies()] == ["Greeting"]
        with pytest.raises(ForbiddenError):
            await alice.add_saved_reply("Mine", "hello")
        with pytest.raises(InvalidRequestError, match="unknown variable"):
            await sam.add_saved_reply("Bad", "Hi {customer.shoe_size}")
        await sam.replace_saved_reply(reply.id, "Greeting", "Hello {customer.name}")
        assert (await alice.saved_replies())[0].text == "Hello {customer.name}"
        await sam.delete_saved_reply(reply.id)
        assert await alice.saved_replies() == []
    text = "Hi {customer.first_name}, {agent.name} here. {unknown.thing}"
    filled = fill_reply(text, customer_name="Ann Lee", agent_name="alice")
    assert filled == "Hi Ann, alice here. {unknown.thing}"


# -- who else is here --------------------------------------------------------------------


async def test_presence_names_the_other_viewers(backend: Backend) -> None:
    chat = await chat_as(backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    async with backend.client("alice") as alice, backend.client("sam") as sam:
        assert (await alice.viewing(chat.id)).viewers == []
        assert (await sam.viewing(chat.id)).viewers == [backend.operator_ids["alice"]]
        await alice.viewing(chat.id, leaving=True)
        assert (await sam.viewing(chat.id)).viewers == []
    assert viewers_now({"a": 0.0, "b": 10.0, "me": 10.0}, 20.0, "me") == ["b"]


# -- the promise of a person --------------------------------------------------------------


async def test_the_sla_is_the_settings_and_complaints_keep_their_own(backend: Backend) -> None:
    async with backend.client("alice") as alice:
        promises = await alice.workday_settings()
    assert promises.escalation_sla_minutes == 15
    assert sla_minutes(EscalationReason.COMPLAINT, promises) == promises.complaint_reply_minutes
    assert sla_minutes(EscalationReason.ASKED_FOR_HUMAN, promises) == 15
    assert over_sla(EscalationReason.ASKED_FOR_HUMAN, 16 * 60, promises)
    assert not over_sla(EscalationReason.ASKED_FOR_HUMAN, 14 * 60, promises)
    assert not over_sla(EscalationReason.COMPLAINT, 16 * 60, promises)  # told 60 minutes
