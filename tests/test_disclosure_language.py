"""The disclosure per language (AI Act art. 50): chosen, versioned, journaled, never off."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.config import ConfigError, load_settings
from backend.settings import AssistantSettings, Settings
from backend_client import Author, ConversationDetail, ReasonCode
from tests.helpers import BASE, Backend, pending_draft, seed_operators

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

GERMAN = (
    "Hallo, ich bin Nova, eine KI. Ein Mensch prüft, was ich schreibe. "
    'Schreiben Sie jederzeit "Mensch", um mit einer Person zu sprechen.'
)
FRENCH = 'Bonjour, je suis Nova, une IA. Écrivez "humain" pour parler à une personne.'


async def _detail(backend: Backend, cid: str) -> ConversationDetail:
    async with backend.client("ada") as ada:
        return await ada.get_conversation(cid)


def _version(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[Backend]:
    """A backend whose profile has a German and a French disclosure beside the default."""
    settings = Settings(
        db_path=tmp_path / "hitl.db",
        secret="test-secret",
        assistant=AssistantSettings(disclosures={"de": GERMAN, "FR": FRENCH}),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield seed_operators(Backend(app=app, url=BASE, transport=httpx.ASGITransport(app=app)))
    app.state.store.close()


async def test_a_german_customer_is_told_in_german_and_the_version_is_recorded(
    backend: Backend,
) -> None:
    async with backend.channel() as channel:
        austrian = await channel.start_chat("Anna", "anna@example.at", language="de-AT")
        shown = await channel.messages(austrian)
        italian = await channel.start_chat("Gio", language="it")
        german_again = await channel.start_chat("Ben", language="de")
    assert shown[0].author is Author.SYSTEM and shown[0].text == GERMAN
    async with backend.client("ada") as ada:
        detail = await ada.get_conversation(austrian.id)
        other = await ada.get_conversation(italian.id)
        verified = await ada.verify_audit()
    assert detail.customer.language == "de-AT"
    async with backend.client("ada") as ada:
        export = await ada.dsr_export("anna@example.at")  # art. 15: what Anna was shown
    mine = export.conversations[0]
    assert (mine.disclosure_shown, mine.disclosure_version) == (GERMAN, _version(GERMAN))
    assert mine.language == "de-AT"
    assert detail.disclosure_version == _version(GERMAN)
    default = backend.app.state.hitl.settings.disclosure_text
    assert other.messages[0].text == default  # no Italian configured: the default
    assert other.disclosure_version == _version(default)
    assert (await _detail(backend, german_again.id)).disclosure_version == _version(GERMAN)
    assert verified.ok


async def test_a_language_that_is_no_tag_is_a_clear_error(backend: Backend) -> None:
    async with httpx.AsyncClient(transport=backend.transport, base_url=BASE) as raw:
        answer = await raw.post(
            "/v1/channel/conversations",
            json={"customer": {"name": "Eve", "language": "<script>"}},
        )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "language" in answer.text and "<script>" not in answer.text


async def test_the_report_splits_overrides_by_customer_language(backend: Backend) -> None:
    chats = []
    async with backend.channel() as channel:
        for language in ("de-AT", "de-DE", None):
            chat = await channel.start_chat("Kunde", language=language)
            await channel.say(chat, "Wo ist meine Bestellung 1234?")
            chats.append(chat)
    await backend.drafted()
    async with backend.client("alice") as alice:
        first, second, third = [await pending_draft(backend, chat) for chat in chats]
        await alice.approve(first.id, first.version)
        await alice.edit(second.id, second.version, "Sie ist unterwegs.", ReasonCode.INCORRECT)
        await alice.approve(third.id, third.version)
    async with backend.client("sam") as sam:
        report = await sam.oversight_report(first.created_at - timedelta(hours=1))
    rows = {r.key: (r.decisions, r.overrides, r.rate) for r in report.by_language}
    assert rows == {"de": (2, 1, 0.5), "not recorded": (1, 0, 0.0)}


def _profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "company.toml"
    path.write_text(text, "utf-8")
    return path


def test_a_bad_german_disclosure_is_refused_naming_its_key(tmp_path: Path) -> None:
    path = _profile(tmp_path, '[assistant.disclosures]\nde = "Hallo! Wie kann ich helfen?"\n')
    with pytest.raises(ConfigError, match=r"assistant\.disclosures\.de is refused"):
        load_settings(path)


def test_a_good_german_disclosure_loads_from_the_profile(tmp_path: Path) -> None:
    path = _profile(tmp_path, f"[assistant.disclosures]\nde = '''{GERMAN}'''\n")
    settings = load_settings(path)
    assert settings.disclosure_for("de-CH") == ("de", GERMAN)
    assert settings.disclosure_for(None) == (None, settings.disclosure_text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[assistant]\ndisclosure = ""\n', "assistant.disclosure"),
        ('[assistant]\ndisclosure = "   "\n', "assistant.disclosure"),
        ('[assistant.disclosures]\nfr = ""\n', "assistant.disclosures.fr"),
        (
            '[assistant.disclosures]\n"not a tag" = "I am an AI; write human for a person."\n',
            "assistant.disclosures.not a tag",
        ),
    ],
)
def test_no_setting_turns_the_disclosure_off(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=f"{key} is refused"):
        load_settings(_profile(tmp_path, text))


def test_an_empty_disclosure_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HITL_DISCLOSURE", "")
    with pytest.raises(ValueError, match="disclosure is refused: it is empty"):
        Settings()
