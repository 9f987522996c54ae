"""A small offline classifier for "does the customer ask for a person?".

The rules in `asking.py` are the floor; they were written from phrasings one
knows, and other phrasings slip past them (German ones especially). This
multinomial naive Bayes over character 2–5-grams of the folded text catches
the phrasings that look like requests without anyone having written a rule
for them, and it needs no model server: its weights ship inside the package as
`person_model.json` (trained on the corpus's dev half only by
`benchmarks/train_person_model.py`, deterministically; its threshold was
chosen by cross-validation within the dev half). Character n-grams cope with
German compounds and inflection ("Mitarbeiterin", "jemandem") for free.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .asking import fold

__all__ = ["PersonModel", "classifier_asks", "grams", "load_model"]

SIZES = range(2, 6)
"""Character n-gram lengths."""


def grams(text: str) -> Iterator[str]:
    """The character 2–5-grams of the folded text, padded with a space at each end."""
    padded = f" {fold(text)} "
    for n in SIZES:
        for i in range(len(padded) - n + 1):
            yield padded[i : i + n]


@dataclass(frozen=True)
class PersonModel:
    """Log-odds weights per n-gram, a prior, and the threshold the score must reach."""

    prior: float
    threshold: float
    weights: dict[str, float]

    def score(self, text: str) -> float:
        """Prior plus the mean log-odds of the message's n-grams (unknown ones count 0).

        The mean, not the sum, so a long ordinary message does not drift to
        certainty just by being long.
        """
        total = count = 0.0
        for gram in grams(text):
            total += self.weights.get(gram, 0.0)
            count += 1
        return self.prior + (total / count if count else 0.0)

    def asks(self, text: str) -> bool:
        """Whether the score reaches the threshold."""
        return self.score(text) >= self.threshold

    def to_json(self) -> str:
        """The shipped data file: sorted, rounded, so training twice gives the same bytes."""
        data = {
            "kind": "multinomial naive Bayes, char 2-5-grams of fold(text), mean log-odds",
            "prior": round(self.prior, 6),
            "threshold": round(self.threshold, 6),
            "weights": {g: round(w, 4) for g, w in sorted(self.weights.items())},
        }
        return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> PersonModel:
        """Read a model written by `to_json`."""
        data = json.loads(text)
        return cls(
            prior=float(data["prior"]),
            threshold=float(data["threshold"]),
            weights={str(g): float(w) for g, w in data["weights"].items()},
        )


@cache
def load_model() -> PersonModel:
    """The model shipped in the package (read once)."""
    text = resources.files("backend.domain").joinpath("person_model.json").read_text("utf-8")
    return PersonModel.from_json(text)


def classifier_asks(text: str) -> bool:
    """Whether the shipped classifier thinks the customer asks for a person."""
    return bool(text.strip()) and load_model().asks(text)
