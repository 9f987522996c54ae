"""Console settings: arguments over environment over the TOML file over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from console.config import ConsoleConfig, MissingTokenError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HITL_* variables leak in from the machine running the tests."""
    for name in ("HITL_URL", "HITL_TOKEN", "HITL_SLA_SECONDS", "HITL_THEME", "HITL_CONFIG_PATH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    """A config file that sets every field."""
    path = tmp_path / "config.toml"
    path.write_text(
        'url = "http://toml.example:1"\ntoken = "toml-token"\nsla_seconds = 30\ntheme = "nord"\n'
    )
    return path


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    config = ConsoleConfig(config_path=tmp_path / "absent.toml")
    assert config.url == "http://127.0.0.1:8765"
    assert config.token is None
    assert config.sla_seconds == 60
    assert config.theme == "textual-dark"


def test_toml_file_is_read(toml_file: Path) -> None:
    config = ConsoleConfig(config_path=toml_file)
    assert (config.url, config.token, config.sla_seconds, config.theme) == (
        "http://toml.example:1",
        "toml-token",
        30,
        "nord",
    )


def test_environment_overrides_toml(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_TOKEN", "env-token")
    monkeypatch.setenv("HITL_SLA_SECONDS", "5")
    config = ConsoleConfig(config_path=toml_file)
    assert config.token == "env-token"
    assert config.sla_seconds == 5
    assert config.url == "http://toml.example:1"  # not in the environment: the file's


def test_arguments_override_environment(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_TOKEN", "env-token")
    config = ConsoleConfig(token="cli-token", config_path=toml_file)
    assert config.token == "cli-token"


def test_config_path_from_environment(toml_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_CONFIG_PATH", str(toml_file))
    assert ConsoleConfig().theme == "nord"


def test_config_is_frozen(tmp_path: Path) -> None:
    config = ConsoleConfig(config_path=tmp_path / "absent.toml")
    with pytest.raises(ValidationError):
        config.url = "http://elsewhere"  # type: ignore[misc]


def test_missing_token_says_how_to_give_one(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(MissingTokenError) as raised:
        ConsoleConfig(config_path=path).require_token()
    message = str(raised.value)
    assert "--token" in message and "HITL_TOKEN" in message and str(path) in message


def test_require_token_returns_it(tmp_path: Path) -> None:
    config = ConsoleConfig(token="t0k", config_path=tmp_path / "absent.toml")
    assert config.require_token() == "t0k"


def test_bad_sla_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        ConsoleConfig(sla_seconds=0, config_path=tmp_path / "absent.toml")
