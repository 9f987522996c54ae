"""Keys and looks from the config file: a keymap by binding id, and the theme.

Every binding in the console has an `id` (`conv.approve`, `queue.find`, `app.quit`, …);
`[keymap]` in `config.toml` gives any of them other keys, as Posting and Harlequin do.
An id that names no binding, or a theme nobody registered, is said out loud at start
and otherwise ignored: a typo must not stop the console.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

__all__ = ["DEFAULT_THEME", "apply_keymap", "apply_theme", "binding_ids", "config_notice"]

DEFAULT_THEME = "textual-dark"
"""The theme when none is configured, or the configured one does not exist."""


def _console_classes() -> Iterator[type[DOMNode]]:
    import console

    for module in pkgutil.walk_packages(console.__path__, "console."):
        importlib.import_module(module.name)
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("console."):
            yield cls


def binding_ids() -> dict[str, Binding]:
    """Every binding the console defines, by id (what `[keymap]` may remap)."""
    found: dict[str, Binding] = {}
    for cls in _console_classes():
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                found.setdefault(binding.id, binding)
    return found


def apply_keymap(app: App[Any], keymap: Mapping[str, str]) -> list[str]:
    """Remap the bindings `keymap` names (id → keys, comma-separated); return unknown ids."""
    if not keymap:
        return []
    known = binding_ids()
    unknown = sorted(set(keymap) - set(known))
    app.set_keymap({key: value for key, value in keymap.items() if key in known})
    return unknown


def apply_theme(app: App[Any], name: str) -> bool:
    """Use the theme `name` if it exists (else the default); False if it did not."""
    exists = name in app.available_themes
    app.theme = name if exists else DEFAULT_THEME
    return exists


def config_notice(app: App[Any], bad_theme: str | None, unknown_ids: list[str]) -> None:
    """Say what in the config file was not used: a theme that does not exist, unknown ids."""
    problems = []
    if bad_theme is not None:
        problems.append(f"no theme {bad_theme!r} (using {DEFAULT_THEME})")
    if unknown_ids:
        problems.append("keymap: no binding " + ", ".join(repr(i) for i in unknown_ids))
    if problems:
        app.notify("; ".join(problems), title="Config file", severity="warning", markup=False)
