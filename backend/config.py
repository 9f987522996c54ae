"""The company profile: a TOML file read into `Settings`, refusing keys it does not know.

`load_settings(config, **flags)` is what `hitl serve`, `hitl kb` and the other
commands call: flags win over `HITL_*` variables, which win over the file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .db_url import is_postgres_url
from .settings import FILE_DATA, Settings

__all__ = ["ConfigError", "load_settings", "read_profile", "unknown_keys"]

RELATIVE_PATHS = (("knowledge", "path"), ("assistant", "system_prompt_file"))
"""Paths in the file that are relative to the file itself, not to where hitl was started."""


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


def unknown_keys(data: dict[str, Any], model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every key of `data` (dotted, e.g. `review.mood`) that `model` has no field for."""
    found = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            found.append(prefix + key)
            continue
        kind = field.annotation
        if isinstance(value, dict) and isinstance(kind, type) and issubclass(kind, BaseModel):
            found += unknown_keys(value, kind, f"{prefix}{key}.")
    return found


def read_profile(path: Path) -> dict[str, Any]:
    """The config file's values, with its relative paths made relative to the file."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    unknown = unknown_keys(data, Settings)
    if unknown:
        names = ", ".join(unknown)
        raise ConfigError(f"{path}: unknown key{'s' if len(unknown) > 1 else ''}: {names}")
    base = path.resolve().parent
    for section, key in RELATIVE_PATHS:
        table = data.get(section)
        if isinstance(table, dict) and isinstance(table.get(key), str):
            table[key] = str(base / table[key])
    return data


def _nested(flags: dict[str, Any]) -> dict[str, Any]:
    """Flags without the unset ones; a section's dict merges into the file's section."""
    clean: dict[str, Any] = {}
    for key, value in flags.items():
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_unset=True)
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
            if not value:
                continue
        if value is not None:
            clean[key] = value
    return clean


def load_settings(config: Path | str | None = None, **flags: Any) -> Settings:
    """Settings from `config` (or `$HITL_CONFIG`), the environment and `flags`, in that order
    of strength, weakest first. Raises `ConfigError` naming what is wrong."""
    path = config if config is not None else os.environ.get("HITL_CONFIG") or None
    data = read_profile(Path(path)) if path is not None else {}
    token = FILE_DATA.set(data)
    target = flags.get("db_path")
    if target is not None and is_postgres_url(target):
        # `--db` names either a SQLite file or a PostgreSQL database.
        flags = {k: v for k, v in flags.items() if k != "db_path"} | {"db_url": str(target)}
    try:
        return Settings(**_nested(flags))
    except ValidationError as exc:
        where = f"{path}: " if path is not None else ""
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(where + problems) from exc
    finally:
        FILE_DATA.reset(token)
