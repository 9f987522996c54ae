"""The scripted customers' parts: who they are and what they say, from `scenarios.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from backend_client import Customer

KINDS = (
    "question",
    "refund",
    "angry",
    "human",
    "pii",
    "injection",
    "legal",
    "data",
    "hostile_text",
)
"""Every kind of scenario the scenario file may hold."""


@dataclass(frozen=True)
class Scenario:
    """One scripted customer: who they are and what they say, in order."""

    name: str
    kind: str
    """One of `KINDS`."""
    customer: Customer
    turns: tuple[str, ...]


def load_scenarios() -> list[Scenario]:
    """The scenarios shipped in `hitl/simulator/scenarios.json`.

    Raises `ValueError` naming the scenario when the file is malformed, so a
    bad edit fails at load time rather than halfway through a demo.
    """
    return list(_load_scenarios())


@cache
def _load_scenarios() -> tuple[Scenario, ...]:
    raw = resources.files(__package__).joinpath("scenarios.json").read_text("utf-8")
    return tuple(scenario_from(item) for item in json.loads(raw))


def scenario_from(item: dict[str, object]) -> Scenario:
    """One scenario from its JSON object; `ValueError` naming it when it is malformed."""
    name = str(item.get("name", "?"))
    kind = item.get("kind")
    turns = item.get("turns")
    if kind not in KINDS:
        raise ValueError(f"scenario {name!r}: unknown kind {kind!r}")
    if not isinstance(turns, list) or not 1 <= len(turns) <= 4:
        raise ValueError(f"scenario {name!r}: needs 1 to 4 turns")
    if not all(isinstance(turn, str) and turn.strip() for turn in turns):
        raise ValueError(f"scenario {name!r}: every turn must be non-empty text")
    return Scenario(
        name=name,
        kind=str(kind),
        customer=Customer.model_validate(item.get("customer")),
        turns=tuple(turns),
    )
