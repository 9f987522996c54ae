"""Precision and recall of the ask-for-a-person rules on a labelled corpus.

One plain function that `benchmarks/eval_escalation.py` prints and the tests
assert on, so the README's figures and the suite's floor are the same number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from backend_client import EscalationReason

from .signals import escalation_reason, rules_ask_for_person

__all__ = ["Example", "Score", "read_corpus", "score"]


@dataclass(frozen=True)
class Example:
    """One labelled customer message."""

    asks: bool
    """True when it asks for (or plainly needs) a person."""
    lang: str
    split: str
    """`dev` (rules written and classifier trained from these) or `heldout` (only measured)."""
    text: str


@dataclass
class Score:
    """Counts and rates on a set of examples."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    missed: list[Example] = field(default_factory=list)
    wrong: list[Example] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Of the requests for a person, the share that escalated."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        """Of the messages that escalated as a request for a person, the share that were."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def read_corpus(path: Path) -> list[Example]:
    """The corpus: `label<TAB>lang<TAB>split<TAB>text` lines; `#` starts a comment."""
    examples = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, split, text = line.split("\t", 3)
        examples.append(Example(asks=label == "person", lang=lang, split=split, text=text))
    return examples


def score(
    examples: Iterable[Example], phrases: tuple[str, ...] = (), *, rules_only: bool = False
) -> Score:
    """How `escalation_reason` does on `examples` (asked_for_human counts as escalated).

    `rules_only` measures the hand-written rules without the classifier.
    """
    result = Score()
    for example in examples:
        if rules_only:
            got = rules_ask_for_person(example.text, phrases)
        else:
            got = escalation_reason(example.text, phrases) is EscalationReason.ASKED_FOR_HUMAN
        if got and example.asks:
            result.tp += 1
        elif got:
            result.fp += 1
            result.wrong.append(example)
        elif example.asks:
            result.fn += 1
            result.missed.append(example)
        else:
            result.tn += 1
    return result
