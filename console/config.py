"""The console's settings: one frozen object, built once and passed into the app.

Precedence, highest first: arguments (the CLI's flags), `HITL_*` environment
variables, the TOML file in the user's config directory, the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["ConsoleConfig", "MissingTokenError", "default_config_path"]


def default_config_path() -> Path:
    """Where the optional TOML file lives: `<user config dir>/hitl/config.toml`."""
    return Path(platformdirs.user_config_dir("hitl")) / "config.toml"


class MissingTokenError(ValueError):
    """No operator token was configured; `str()` tells a person how to give one."""


class ConsoleConfig(BaseSettings):
    """How the console reaches the backend and how it behaves."""

    model_config = SettingsConfigDict(env_prefix="HITL_", frozen=True, extra="ignore")

    url: str = "http://127.0.0.1:8765"
    """Base URL of the hitl backend."""

    token: str | None = None
    """The operator's bearer token (ask an admin for one)."""

    sla_seconds: float = Field(default=60.0, gt=0)
    """A draft waiting longer than this raises a warning, once per draft."""

    theme: str = "textual-dark"
    """The Textual theme to start with (any of Textual's: nord, gruvbox, tokyo-night, …)."""

    keymap: dict[str, str] = Field(default_factory=dict)
    """Other keys for bindings, by binding id: `[keymap]` `"conv.approve" = "A"` in the file."""

    about: str | None = None
    """Extra lines for `?` (the demo says its backend's URL and database file)."""

    chat_url: str | None = None
    """The demo's customer chat page: the queue shows it on a line of its own."""

    config_path: Path | None = None
    """The TOML file to read instead of the default one (tests point it elsewhere)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the TOML file; no dotenv, no secrets dir."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path(init_settings))
        return (init_settings, env_settings, toml)

    def require_token(self) -> str:
        """The token, or a `MissingTokenError` that says how to set one."""
        if not self.token:
            raise MissingTokenError(
                "No operator token. Pass --token, set HITL_TOKEN, or put "
                f'token = "..." in {self.config_path or default_config_path()}.'
            )
        return self.token


def _toml_path(init_settings: PydanticBaseSettingsSource) -> Path:
    init_kwargs: dict[str, Any] = (
        init_settings.init_kwargs if isinstance(init_settings, InitSettingsSource) else {}
    )
    chosen = init_kwargs.get("config_path") or os.environ.get("HITL_CONFIG_PATH")
    return Path(chosen) if chosen else default_config_path()
