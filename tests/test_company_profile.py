"""The company profile: a TOML file, HITL_* variables over it, flags over both."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.config import ConfigError, load_settings, unknown_keys
from backend.domain.disclosure import disclosure_problems
from backend.settings import DEFAULT_DISCLOSURE, EXAMPLE_DIR, Settings
from backend_client import ReviewMode
from hitl.cli import main

GOOD_DISCLOSURE = 'I am Pip, an AI assistant. Write "person" to reach a person.'


def profile(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "company.toml"
    path.write_text(text, "utf-8")
    return path


def test_every_key_of_the_example_is_known_and_it_loads() -> None:
    settings = load_settings(EXAMPLE_DIR / "config.toml")
    assert settings.disclosure == DEFAULT_DISCLOSURE
    assert "Larkspur Goods" in settings.system_prompt and "{company}" not in settings.system_prompt
    assert settings.knowledge.path == EXAMPLE_DIR / "kb"


def test_environment_wins_over_the_file_and_flags_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = profile(
        tmp_path,
        '[company]\nname = "Fernhill Bikes"\n'
        '[review]\nmode = "flagged"\nhold_seconds = 3\nconfidence_threshold = 0.9\n',
    )
    monkeypatch.setenv("HITL_REVIEW__HOLD_SECONDS", "7")
    monkeypatch.setenv("HITL_COMPANY__NAME", "Fernhill Cycles")
    settings = load_settings(path, review={"confidence_threshold": 0.5})
    assert settings.company.name == "Fernhill Cycles"  # env over file
    assert settings.review.hold_seconds == 7  # env over file
    assert settings.review.confidence_threshold == 0.5  # flag over file
    assert settings.review.mode is ReviewMode.FLAGGED  # the file's, kept beside the flag
    assert "Fernhill Cycles" in settings.disclosure_text


def test_hitl_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_CONFIG", str(profile(tmp_path, '[company]\nname = "Acme"\n')))
    assert load_settings().company.name == "Acme"


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "me").mkdir()
    (tmp_path / "me" / "prompt.md").write_text("You help {company} customers.", "utf-8")
    path = profile(
        tmp_path / "me",
        '[company]\nname = "Acme"\n[assistant]\nsystem_prompt_file = "prompt.md"\n'
        '[knowledge]\npath = "articles/"\n',
    )
    settings = load_settings(path)
    assert settings.knowledge.path == tmp_path / "me" / "articles"
    assert settings.system_prompt == "You help Acme customers."


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[review]\nmood = 'all'\n", "review.mood"),
        ("dbpath = 'x.db'\n", "dbpath"),
        ("[bot]\nkind = 'openai'\napi-key = 'k'\n", "bot.api-key"),
        ("[knowlege]\npath = 'kb'\n", "knowlege"),
    ],
)
def test_an_unknown_key_is_refused_by_name(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=f"unknown key: {named}"):
        load_settings(profile(tmp_path, text))


def test_unknown_keys_lists_them_all() -> None:
    data = {"review": {"mode": "all", "x": 1}, "y": 2, "bot": {"kind": "builtin"}}
    assert unknown_keys(data, Settings) == ["review.x", "y"]


def test_a_disclosure_that_hides_the_ai_is_refused_at_start(tmp_path: Path) -> None:
    path = profile(tmp_path, '[assistant]\ndisclosure = "Hi! How can I help you today?"\n')
    with pytest.raises(ConfigError, match="assistant.disclosure") as caught:
        load_settings(path)
    assert "AI" in str(caught.value) and "person" in str(caught.value)


def test_serve_refuses_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    path = profile(tmp_path, "[review]\nmode = 'all'\nhold_secs = 1\n")
    with pytest.raises(SystemExit) as caught:
        main(["serve", "--config", str(path), "--db", str(tmp_path / "x.db")])
    assert "review.hold_secs" in str(caught.value)


def test_a_config_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(profile(tmp_path, "[company\nname = 1"))


@pytest.mark.parametrize(
    "text",
    [
        DEFAULT_DISCLOSURE,
        GOOD_DISCLOSURE,
        "You're chatting with our virtual assistant. Type 'agent' any time to get a human.",
        'Hallo, ich bin eine KI. Schreiben Sie "Mensch", um mit einer Person zu sprechen.',
        "Bonjour, je suis une IA. Écrivez « conseiller » pour parler à une personne.",
        "Hola, soy una IA. Escriba «humano» para hablar con una persona.",
        "This is an automated assistant (a bot). Reply HUMAN and a member of our team answers.",
    ],
)
def test_a_disclosure_that_says_both_passes(text: str) -> None:
    assert disclosure_problems(text) == []


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("Hi, I'm Nova from Larkspur Goods. How can I help?", 2),
        ("Hi, I'm Nova, an AI assistant for Larkspur Goods.", 1),
        ('Hi, I\'m Nova. To talk to a person, just write "human".', 1),
        ("", 2),
    ],
)
def test_a_disclosure_missing_either_fails(text: str, missing: int) -> None:
    assert len(disclosure_problems(text)) == missing


def test_the_demo_runs_on_the_example_whatever_hitl_config_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hitl demo` passes the example's file explicitly: zero configuration, even when the
    environment names another company's (broken) profile."""
    monkeypatch.setenv("HITL_CONFIG", str(profile(tmp_path, "[review]\nbogus = 1\n")))
    settings = load_settings(
        EXAMPLE_DIR / "config.toml",
        db_path=tmp_path / "demo.db",
        review={"mode": "flagged"},
        limits={"unlimited_clients": ["127.0.0.1"]},
    )
    assert settings.company.name == "Larkspur Goods"
    assert settings.review.mode is ReviewMode.FLAGGED
    assert settings.review.hold_seconds == 10  # the file's, beside the flag
    assert settings.limits.unlimited_clients == ["127.0.0.1"]
