"""A company other than Larkspur, with its own knowledge folder, drives the whole flow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.config import load_settings
from backend_client import Author, ConversationStatus, EscalationReason, Flag, ReasonCode
from tests.helpers import BASE, Backend, seed_operators
from tests.stubs import ModelStub, Turn, offered

DISCLOSURE = (
    "Hi, I'm Spoke, Fernhill Bikes' AI assistant; a mechanic reviews my replies. "
    'Write "mechanic" or "person" at any time to reach a person.'
)
ARTICLES = {
    "returns.md": "---\ntitle: Returning a bike\nurl: https://fernhill.example/returns\n"
    "tags: return, refund\nquestion: Can I return my bike?\n---\n\n"
    "You can return a bike within 14 days if it has not been ridden outdoors.\n",
    "servicing.md": "---\ntitle: Servicing\nurl: https://fernhill.example/service\n"
    "tags: service, repair, gears, brakes\n---\n\n"
    "A full service costs 89 euros and takes two working days in our workshop.\n",
}


def cite_if_offered(body: dict[str, Any]) -> str:
    """A model that answers from what it was given, like a well-behaved one."""
    return "Within 14 days, unridden [1]." if offered(body) else "I am not sure."


@pytest.fixture
def fernhill(tmp_path: Path) -> Path:
    kb = tmp_path / "fernhill" / "kb"
    kb.mkdir(parents=True)
    for name, text in ARTICLES.items():
        (kb / name).write_text(text, "utf-8")
    (tmp_path / "fernhill" / "prompt.md").write_text(
        "You are {assistant}, the workshop assistant of {company}.", "utf-8"
    )
    config = tmp_path / "fernhill" / "hitl.toml"
    config.write_text(
        f"""
[company]
name = "Fernhill Bikes"
[assistant]
name = "Spoke"
disclosure = '''{DISCLOSURE}'''
system_prompt_file = "prompt.md"
escalation_phrases = ["mechanic"]
[knowledge]
path = "kb"
[bot]
kind = "openai"
model = "fern-1"
retries = 0
""",
        "utf-8",
    )
    return config


@pytest.fixture
async def backend(fernhill: Path, tmp_path: Path, model_stub: ModelStub) -> AsyncIterator[Backend]:
    settings = load_settings(
        fernhill, db_path=tmp_path / "hitl.db", bot={"base_url": model_stub.base_url}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app)))
    app.state.store.close()


async def test_fernhill_disclosure_prompt_and_grounded_draft(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply=cite_if_offered)
    chat = await backend.chat("Can I return my bike if I changed my mind?")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
    assert detail.messages[0].author is Author.SYSTEM and detail.messages[0].text == DISCLOSURE
    system = model_stub.requests[0]["messages"][0]["content"]
    assert system == "You are Spoke, the workshop assistant of Fernhill Bikes."
    assert detail.draft is not None and detail.draft.text == "Within 14 days, unridden [1]."
    [source] = detail.draft.sources
    assert (source.title, source.url) == ("Returning a bike", "https://fernhill.example/returns")
    assert source.passage is not None and "14 days" in source.passage
    assert Flag.UNGROUNDED not in detail.draft.flags


async def test_fernhill_ungrounded_draft_is_flagged(
    backend: Backend, model_stub: ModelStub
) -> None:
    model_stub.default = Turn(reply="Sure, bring it in whenever you like [4].")
    chat = await backend.chat("Can I return my bike?")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
    assert detail.draft is not None and Flag.UNGROUNDED in detail.draft.flags
    assert Flag.UNGROUNDED in detail.flags


async def test_fernhill_escalation_phrase_reaches_a_person(backend: Backend) -> None:
    chat = await backend.chat("can I talk to the mechanic about my gears")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
    assert detail.status is ConversationStatus.ESCALATED
    assert detail.escalation_reason is EscalationReason.ASKED_FOR_HUMAN


async def test_fernhill_with_the_builtin_bot_answers_from_its_own_articles(
    fernhill: Path, tmp_path: Path
) -> None:
    settings = load_settings(fernhill, db_path=tmp_path / "b.db", bot={"kind": "builtin"})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app)))
        chat = await backend.chat("how much is a full service for my bike?")
        async with backend.client("alice") as alice:
            draft = (await alice.get_conversation(chat.id)).draft
        async with backend.client("alice") as alice:
            assert draft is not None
            await alice.regenerate(draft.id, draft.version, "more formal", ReasonCode.TONE)
            timeline = await alice.timeline(chat.id)
    app.state.store.close()
    assert "89 euros" in draft.text and draft.sources[0].title == "Servicing"
    formal = [item.draft for item in timeline.items if item.draft is not None][-1]
    assert formal.text.startswith("Thank you for contacting Fernhill Bikes.")
