"""What agents expect (issue 15), through the API: find, notes, history, assignment, …

The real backend in-process; each test reads what an operator would be shown.
"""

from __future__ import annotations

from backend.store.queue_find import find_condition, find_words
from backend_client import ChatStarted
from tests.helpers import Backend


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
