"""Roles, masking, customer token isolation, every kind of bad request, and the queue listing."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.settings import Settings
from backend_client import (
    AsyncBackendClient,
    ChatStarted,
    ConversationStatus,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    ReasonCode,
    UnauthorizedError,
)
from tests.helpers import Backend, pending_draft, seed_operators

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"
PII_TEXT = "Reach me at jo.private@example.org or +44 7700 900123 about shipping"


def auth(backend: Backend, who: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {backend.tokens[who]}"}


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client, for requests the typed client cannot express."""
    async with httpx.AsyncClient(base_url=backend.url, transport=backend.transport) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    """A problem+json answer with `status`, naming `field` when given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body


# -- roles ------------------------------------------------------------------------------


async def test_trainer_cannot_decide_anything(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        version = (await alice.get_conversation(chat.id)).version

    async with backend.client("tina") as tina:
        attempts = [
            tina.approve(draft.id, draft.version),
            tina.edit(draft.id, draft.version, "Soon.", ReasonCode.TONE),
            tina.reject(draft.id, draft.version, ReasonCode.TONE),
            tina.reject(draft.id, draft.version, ReasonCode.TONE, regenerate=True),
            tina.regenerate(draft.id, draft.version, "shorter", ReasonCode.TONE),
            tina.takeover(chat.id, version, ReasonCode.POLICY),
            tina.send_message(chat.id, "Hello"),
            tina.handback(chat.id, version),
            tina.release(chat.id, version, ReasonCode.POLICY),
            tina.close(chat.id, version),
            tina.pause_ai(),
            tina.resume_ai(),
            tina.list_audit(),
            tina.verify_audit(),
        ]
        for attempt in attempts:
            with pytest.raises(ForbiddenError) as caught:
                await attempt
            assert "trainer" in str(caught.value)

    after = await pending_draft(backend, chat)
    assert after.id == draft.id and after.version == draft.version
    async with backend.client("sam") as sam:
        assert (await sam.list_audit()).items == []
        assert (await sam.ai_state()).paused is False


async def test_agent_cannot_supervise_or_read_the_audit(backend: Backend) -> None:
    async with backend.client("alice") as alice:
        for attempt in (
            alice.pause_ai(),
            alice.resume_ai(),
            alice.list_audit(),
            alice.verify_audit(),
        ):
            with pytest.raises(ForbiddenError):
                await attempt
        assert (await alice.ai_state()).paused is False


@pytest.mark.parametrize("who", ["sam", "ada"])
async def test_supervisor_and_admin_read_the_audit_and_pause(backend: Backend, who: str) -> None:
    async with backend.client(who) as boss:
        assert (await boss.pause_ai()).paused is True
        assert (await boss.resume_ai()).paused is False
        assert (await boss.verify_audit()).ok is True
        assert [e.action for e in (await boss.list_audit()).items] == ["resume", "pause"]


async def test_trainer_views_are_masked(backend: Backend) -> None:
    async with backend.channel() as channel:
        chat = await channel.start_chat("Jo Private", "jo.private@example.org")
        await channel.say(chat, PII_TEXT)
        await backend.drafted()

    async with backend.client("tina") as tina:
        detail = await tina.get_conversation(chat.id)
        queue = await tina.list_conversations()
        timeline = await tina.timeline(chat.id)
    async with backend.client("alice") as alice:
        clear = await alice.get_conversation(chat.id)

    assert clear.customer.email == "jo.private@example.org"
    assert PII_TEXT in [m.text for m in clear.messages]
    assert detail.customer.email == "[email]"
    assert detail.customer.name == "J."
    said = detail.messages[-1].text
    assert "jo.private@example.org" not in said and "7700" not in said
    assert "[email]" in said and "[phone]" in said
    row = next(s for s in queue.items if s.id == chat.id)
    assert row.customer.email == "[email]"
    everything = timeline.model_dump_json()
    assert "jo.private" not in everything and "7700 900123" not in everything
    assert "Jo Private" not in everything


async def test_trainer_timeline_masks_decisions(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.edit(
            draft.id,
            draft.version,
            "We will call you on +44 7700 900123.",
            ReasonCode.OTHER,
            "customer gave jo@example.com",
        )
    async with backend.client("tina") as tina:
        timeline = await tina.timeline(chat.id)

    decision = next(i.decision for i in timeline.items if i.kind == "decision")
    assert decision is not None
    assert decision.final_text == "We will call you on [phone]."
    assert decision.note == "customer gave [email]"


# -- customer tokens -----------------------------------------------------------------------


async def test_a_customer_token_only_opens_its_own_chat(backend: Backend) -> None:
    mine = await backend.chat("Hello, it's A")
    theirs = await backend.chat("Secret of B")
    forged = ChatStarted(id=theirs.id, customer_token=mine.customer_token)

    async with backend.channel() as channel:
        with pytest.raises(NotFoundError):
            await channel.messages(forged)
        with pytest.raises(NotFoundError):
            await channel.say(forged, "I am B now")
        made_up = ChatStarted(id="c_nope", customer_token=mine.customer_token)
        with pytest.raises(NotFoundError):
            await channel.messages(made_up)
        theirs_seen = await channel.messages(theirs)
    assert "I am B now" not in [m.text for m in theirs_seen]


async def test_an_operator_token_is_not_a_customer_token(backend: Backend) -> None:
    chat = await backend.chat("Hello")
    forged = ChatStarted(id=chat.id, customer_token=backend.tokens["ada"])
    async with backend.channel() as channel:
        with pytest.raises(NotFoundError):
            await channel.messages(forged)


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic abc", "Bearer wrong-token"])
async def test_channel_without_a_valid_token(
    backend: Backend, http: httpx.AsyncClient, header: str | None
) -> None:
    chat = await backend.chat("Hello")
    headers = {"Authorization": header} if header is not None else {}

    response = await http.get(f"/v1/channel/conversations/{chat.id}/messages", headers=headers)

    assert_problem(response, 404 if header == "Bearer wrong-token" else 401)


@pytest.mark.parametrize("token", ["", "hitl_unknown"])
async def test_operator_calls_without_a_known_token(backend: Backend, token: str) -> None:
    async with AsyncBackendClient(backend.url, token, transport=backend.transport) as nobody:
        with pytest.raises(UnauthorizedError):
            await nobody.list_conversations()
        with pytest.raises(UnauthorizedError):
            await nobody.pause_ai()


async def test_operator_call_with_no_header(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/v1/conversations"), 401)


# -- bad requests --------------------------------------------------------------------------


async def test_malformed_json_names_the_body(backend: Backend, http: httpx.AsyncClient) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    response = await http.post(
        f"/v1/drafts/{draft.id}/edit",
        content=b'{"text": "hi", "reason_code": ',
        headers={**auth(backend), "Content-Type": "application/json"},
    )

    assert_problem(response, 422, "body")
    assert (await pending_draft(backend, chat)).id == draft.id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": 5, "reason_code": "tone"}, "text"),
        ({"text": ["a"], "reason_code": "tone"}, "text"),
        ({"text": None, "reason_code": "tone"}, "text"),
        ({"text": "Fine.", "reason_code": "because"}, "reason_code"),
        ({"text": "Fine.", "reason_code": 3}, "reason_code"),
        ({"text": "Fine.", "reason_code": "tone", "note": {"x": 1}}, "note"),
        ({"reason_code": "tone"}, "text"),
        ({"text": "Fine."}, "reason_code"),
        ([], "body"),
    ],
)
async def test_edit_with_a_wrong_field_names_it(
    backend: Backend, http: httpx.AsyncClient, body: object, field: str
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    response = await http.post(f"/v1/drafts/{draft.id}/edit", json=body, headers=auth(backend))

    assert_problem(response, 422, field)
    assert (await pending_draft(backend, chat)).id == draft.id


async def test_reject_regenerate_must_be_a_boolean(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    response = await http.post(
        f"/v1/drafts/{draft.id}/reject",
        json={"reason_code": "tone", "regenerate": "perhaps"},
        headers=auth(backend),
    )
    assert_problem(response, 422, "regenerate")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
async def test_empty_texts_are_refused(backend: Backend, text: str) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        with pytest.raises(InvalidRequestError) as edit:
            await alice.edit(draft.id, draft.version, text, ReasonCode.TONE)
        with pytest.raises(InvalidRequestError) as regen:
            await alice.regenerate(draft.id, draft.version, text, ReasonCode.TONE)
    async with backend.channel() as channel:
        with pytest.raises(InvalidRequestError) as say:
            await channel.say(chat, text)
        with pytest.raises(InvalidRequestError) as start:
            await channel.start_chat(text)

    assert [e.field for e in edit.value.problem.errors] == ["text"]
    assert [e.field for e in regen.value.problem.errors] == ["instruction"]
    assert [e.field for e in say.value.problem.errors] == ["text"]
    assert [e.field for e in start.value.problem.errors] == ["customer.name"]


async def test_texts_longer_than_the_default_limit_are_refused(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        with pytest.raises(InvalidRequestError) as caught:
            await alice.edit(draft.id, draft.version, "x" * 4001, ReasonCode.TONE)
        assert "4000" in str(caught.value)
        assert [e.field for e in caught.value.problem.errors] == ["text"]
        detail = await alice.edit(draft.id, draft.version, "x" * 4000, ReasonCode.TONE)
    assert detail.messages[-1].text == "x" * 4000


@pytest.fixture
async def small_backend(tmp_path: Path) -> AsyncIterator[Backend]:
    """A backend that takes texts of at most 20 characters."""
    settings = Settings(db_path=tmp_path / "small.db", secret="s", max_text_length=20)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield seed_operators(
            Backend(app=app, url="http://small.test", transport=httpx.ASGITransport(app=app))
        )
    app.state.store.close()


async def test_a_configured_text_limit_applies_everywhere(small_backend: Backend) -> None:
    async with small_backend.channel() as channel:
        chat = await channel.start_chat("Jo")
        with pytest.raises(InvalidRequestError) as caught:
            await channel.say(chat, "x" * 21)
        assert [e.field for e in caught.value.problem.errors] == ["text"]
        await channel.say(chat, "shipping time?")
        await small_backend.drafted()
    async with small_backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        assert detail.draft is not None
        assert len(detail.draft.text) <= 20
        with pytest.raises(InvalidRequestError, match="20"):
            await alice.edit(detail.draft.id, detail.draft.version, "y" * 21, ReasonCode.TONE)
        sent = await alice.edit(detail.draft.id, detail.draft.version, "y" * 20, ReasonCode.TONE)
        held = await alice.takeover(chat.id, sent.version, ReasonCode.POLICY)
        with pytest.raises(InvalidRequestError):
            await alice.send_message(chat.id, "z" * 21)
        assert held.messages[-1].text == "y" * 20


async def test_unknown_ids_are_not_found(backend: Backend) -> None:
    async with backend.client("alice") as alice:
        for attempt in (
            alice.get_conversation("c_missing"),
            alice.timeline("c_missing"),
            alice.approve("d_missing", 1),
            alice.edit("d_missing", 1, "Hi.", ReasonCode.TONE),
            alice.reject("d_missing", 1, ReasonCode.TONE),
            alice.regenerate("d_missing", 1, "shorter", ReasonCode.TONE),
            alice.takeover("c_missing", 1, ReasonCode.TONE),
            alice.send_message("c_missing", "Hi."),
            alice.handback("c_missing", 1),
            alice.close("c_missing", 1),
        ):
            with pytest.raises(NotFoundError):
                await attempt
    async with backend.client("sam") as sam:
        with pytest.raises(NotFoundError):
            await sam.release("c_missing", 1, ReasonCode.TONE)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/drafts/{did}/edit", {"text": "Fine."}),
        ("/v1/drafts/{did}/reject", {}),
        ("/v1/drafts/{did}/regenerate", {"instruction": "shorter"}),
        ("/v1/conversations/{cid}/takeover", {"note": "mine"}),
        ("/v1/conversations/{cid}/release", {}),
    ],
)
async def test_reason_code_is_required(
    backend: Backend, http: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    response = await http.post(
        path.format(did=draft.id, cid=chat.id), json=body, headers=auth(backend, "sam")
    )

    assert_problem(response, 422, "reason_code")


@pytest.mark.parametrize("note", [None, "", "   "])
async def test_reason_other_needs_a_note(backend: Backend, note: str | None) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        version = (await alice.get_conversation(chat.id)).version
        for attempt in (
            alice.edit(draft.id, draft.version, "Fine.", ReasonCode.OTHER, note),
            alice.reject(draft.id, draft.version, ReasonCode.OTHER, note),
            alice.regenerate(draft.id, draft.version, "shorter", ReasonCode.OTHER, note),
            alice.takeover(chat.id, version, ReasonCode.OTHER, note),
        ):
            with pytest.raises(InvalidRequestError) as caught:
                await attempt
            assert [e.field for e in caught.value.problem.errors] == ["note"]
    assert (await pending_draft(backend, chat)).id == draft.id


async def test_an_overlong_note_is_refused(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        with pytest.raises(InvalidRequestError) as caught:
            await alice.reject(draft.id, draft.version, ReasonCode.TONE, "n" * 2001)
    assert [e.field for e in caught.value.problem.errors] == ["note"]


@pytest.mark.parametrize("if_match", ['"abc"', "three", '"1.5"', '""'])
async def test_bad_if_match_names_the_header(
    backend: Backend, http: httpx.AsyncClient, if_match: str
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)

    response = await http.post(
        f"/v1/drafts/{draft.id}/approve", headers={**auth(backend), "If-Match": if_match}
    )

    assert_problem(response, 422, "If-Match")
    assert (await pending_draft(backend, chat)).id == draft.id


@pytest.mark.parametrize("if_match", ['"1"', "1", 'W/"1"'])
async def test_if_match_forms_that_name_the_version(
    backend: Backend, http: httpx.AsyncClient, if_match: str
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    assert draft.version == 1

    response = await http.post(
        f"/v1/drafts/{draft.id}/approve", headers={**auth(backend), "If-Match": if_match}
    )

    assert response.status_code == 200, response.text


async def test_channel_after_must_be_a_message_of_the_chat(backend: Backend) -> None:
    chat = await backend.chat("Hello")
    other = await backend.chat("Hi")
    async with backend.channel() as channel:
        foreign = (await channel.messages(other))[0]
        with pytest.raises(InvalidRequestError) as caught:
            await channel.messages(chat, after=foreign.id)
        first = (await channel.messages(chat))[0]
        rest = await channel.messages(chat, after=first.id)
    assert [e.field for e in caught.value.problem.errors] == ["after"]
    assert [m.text for m in rest] == ["Hello"]


# -- the queue -------------------------------------------------------------------------------


async def open_chats(backend: Backend, count: int) -> list[str]:
    """`count` chats, each with a customer waiting, in the order they started waiting."""
    return [(await backend.chat(f"Question number {i} about shipping")).id for i in range(count)]


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
async def test_pagination_walks_every_open_conversation_once_in_waiting_order(
    backend: Backend, limit: int
) -> None:
    waiting = await open_chats(backend, 7)
    idle = (await backend.chat()).id  # no customer message yet: nobody waits, so last

    seen: list[str] = []
    cursor: str | None = None
    async with backend.client("alice") as alice:
        while True:
            page = await alice.list_conversations(limit=limit, cursor=cursor)
            assert len(page.items) <= limit
            seen += [c.id for c in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        iterated = [c.id async for c in alice.iter_conversations(page_size=limit)]

    assert seen == [*waiting, idle]
    assert iterated == seen


async def test_status_filter_and_closed_conversations(backend: Backend) -> None:
    reviewing = await open_chats(backend, 2)
    escalated = (await backend.chat("I want to speak to a human")).id
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(reviewing[0])
        await alice.close(reviewing[0], detail.version)

        default = [c.id for c in (await alice.list_conversations()).items]
        by_status = {
            status: [c.id for c in (await alice.list_conversations(status=status)).items]
            for status in ConversationStatus
        }

    assert default == [reviewing[1], escalated]
    assert by_status[ConversationStatus.AWAITING_REVIEW] == [reviewing[1]]
    assert by_status[ConversationStatus.ESCALATED] == [escalated]
    assert by_status[ConversationStatus.CLOSED] == [reviewing[0]]
    assert by_status[ConversationStatus.HUMAN] == []


async def test_holder_filter(backend: Backend) -> None:
    chats = await open_chats(backend, 3)
    async with backend.client("bob") as bob:
        detail = await bob.get_conversation(chats[1])
        await bob.takeover(chats[1], detail.version, ReasonCode.POLICY)
        mine = await bob.list_conversations(holder=backend.operator_ids["bob"])
    assert [c.id for c in mine.items] == [chats[1]]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(b"[]").decode(),
        base64.urlsafe_b64encode(b'["a"]').decode(),
        base64.urlsafe_b64encode(json.dumps([0, {"x": 1}, "a", "b"]).encode()).decode(),
    ],
)
async def test_a_forged_queue_cursor_is_refused(backend: Backend, cursor: str) -> None:
    async with backend.client("alice") as alice:
        with pytest.raises(InvalidRequestError) as caught:
            await alice.list_conversations(cursor=cursor)
    assert [e.field for e in caught.value.problem.errors] == ["cursor"]


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
async def test_a_bad_limit_is_refused(
    backend: Backend, http: httpx.AsyncClient, limit: str
) -> None:
    response = await http.get("/v1/conversations", params={"limit": limit}, headers=auth(backend))
    assert_problem(response, 422, "limit")


async def test_an_unknown_status_filter_is_refused(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    response = await http.get(
        "/v1/conversations", params={"status": "sleeping"}, headers=auth(backend)
    )
    assert_problem(response, 422, "status")


async def test_trainer_does_not_see_personal_data_in_an_instruction(backend: Backend) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    instruction = "say we wrote to jo.private@example.org"
    async with backend.client("alice") as alice:
        await alice.regenerate(draft.id, draft.version, instruction, ReasonCode.INCOMPLETE)
    async with backend.client("tina") as tina:
        detail = await tina.get_conversation(chat.id)
        timeline = await tina.timeline(chat.id)

    assert "jo.private" not in detail.model_dump_json()
    assert "jo.private" not in timeline.model_dump_json()
