"""Invariant 2 as a rule: the first message says it is an AI and how to reach a person."""

from __future__ import annotations

import re

__all__ = ["disclosure_problems"]

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
