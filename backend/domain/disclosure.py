"""Invariant 2 as a rule: the first message says it is an AI and how to reach a person."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

__all__ = [
    "choose_disclosure",
    "disclosure_problems",
    "disclosure_version",
    "language_key",
]

from backend_client import LANGUAGE_TAG_PATTERN

_LANGUAGE = re.compile(LANGUAGE_TAG_PATTERN)

_SAYS_AI = re.compile(
    r"\b(?:AI|A\.I\.|KI|IA|bot|chatbot|artificial intelligence|automated assistant|"
    r"virtual assistant|k[üu]nstliche intelligenz|intelligence artificielle|"
    r"inteligencia artificial|assistant virtuel|asistente virtual)\b",
    re.IGNORECASE,
)
_A_PERSON = (
    r"(?:person|human|people|agent|someone|somebody|member of (?:our|the) (?:staff|team)|"
    r"colleague|staff|team|Mensch|Person|Mitarbeiter\w*|humain|personne|conseill\w+|"
    r"humano|persona|agente)"
)
_A_WAY = (
    r"(?:write|type|say|ask|send|click|press|call|email|e-mail|reply|tap|"
    r"schreib\w*|tipp\w*|frag\w*|klick\w*|anruf\w*|"
    r"[ée]crive?z?|tapez|demandez|cliquez|appelez|"
    r"escrib\w*|pida|pide|pulse|llame|haga clic)"
)
_HOW_TO_REACH = re.compile(
    rf"{_A_WAY}\b.{{0,80}}\b{_A_PERSON}\b|\b{_A_PERSON}\b.{{0,80}}\b{_A_WAY}",
    re.IGNORECASE | re.DOTALL,
)


def disclosure_problems(text: str) -> list[str]:
    """What a disclosure fails to say: empty when it says it is an AI and how to reach a person.

    Checked at start for `[assistant] disclosure`: the customer's first message must
    tell them both (invariant 2), so a config that drops either is refused.
    """
    problems = []
    if not _SAYS_AI.search(text):
        problems.append("it does not say the customer is talking to an AI")
    if not _HOW_TO_REACH.search(text):
        problems.append('it does not say how to reach a person (e.g. write "human")')
    return problems


def language_key(tag: str) -> str | None:
    """A language tag in the one spelling keys and lookups share (lower case), or None."""
    tag = tag.strip()
    return tag.lower() if _LANGUAGE.match(tag) else None


def disclosure_version(text: str) -> str:
    """The version of a disclosure: the first 16 hex digits of its text's SHA-256.

    The same text is the same version on every backend, so the journal and a
    person's access export can say which words a customer was shown.
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def choose_disclosure(
    language: str | None, by_language: Mapping[str, str], default: str
) -> tuple[str | None, str]:
    """The disclosure for a customer's language: `(key used or None, text)`.

    `de-AT` uses `de-at` if configured, then `de`, then the default (key None).
    `by_language` has its keys in `language_key` spelling.
    """
    tag = language_key(language) if language else None
    while tag:
        if tag in by_language:
            return tag, by_language[tag]
        tag = tag.rpartition("-")[0]
    return None, default
