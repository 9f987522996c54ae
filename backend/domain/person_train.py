"""Training the ask-for-a-person classifier (`person_model.py`), deterministically.

`benchmarks/train_person_model.py` calls `build` and writes the result to
`backend/domain/person_model.json`; the tests call it too and check that the
shipped file is exactly what the dev half of the corpus gives. Only `dev`
rows are used; the threshold comes from cross-validation within them.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from .escalation_eval import read_corpus
from .person_model import PersonModel, grams
from .signals import rules_ask_for_person

__all__ = ["FOLDS", "PRECISION", "build", "choose_threshold", "train"]

FOLDS = 5
PRECISION = 0.97
"""The out-of-fold precision the threshold must keep (rules OR classifier)."""


def train(examples: list[tuple[str, bool]], alpha: float = 0.1, min_docs: int = 2) -> PersonModel:
    """Multinomial naive Bayes on (text, asks) pairs; n-grams seen in fewer than
    `min_docs` messages are dropped (they only memorise). The threshold is 0
    here; the training script sets it from cross-validation."""
    counts: dict[bool, dict[str, int]] = {True: {}, False: {}}
    docs: dict[str, int] = {}
    for text, asks in examples:
        seen = list(grams(text))
        for gram in seen:
            counts[asks][gram] = counts[asks].get(gram, 0) + 1
        for gram in set(seen):
            docs[gram] = docs.get(gram, 0) + 1
    vocab = sorted(g for g, d in docs.items() if d >= min_docs)
    totals = {label: sum(counts[label].get(g, 0) for g in vocab) for label in (True, False)}
    size = len(vocab)
    weights = {}
    for gram in vocab:
        p = (counts[True].get(gram, 0) + alpha) / (totals[True] + alpha * size)
        q = (counts[False].get(gram, 0) + alpha) / (totals[False] + alpha * size)
        weights[gram] = math.log(p / q)
    n_yes = sum(asks for _, asks in examples)
    prior = math.log(max(n_yes, 1) / max(len(examples) - n_yes, 1))
    return PersonModel(prior=prior, threshold=0.0, weights=weights)


def choose_threshold(dev: list[tuple[str, bool]]) -> tuple[float, float, float]:
    """(threshold, out-of-fold recall, out-of-fold precision) of rules OR classifier.

    5-fold cross-validation within dev (fold = row index mod 5): the threshold
    with the highest out-of-fold recall whose precision stays at or above
    `PRECISION`; of equal recalls the higher, more cautious threshold wins.
    """
    scored: list[tuple[float, bool, bool]] = []
    for fold in range(FOLDS):
        model = train([x for i, x in enumerate(dev) if i % FOLDS != fold])
        for i, (text, asks) in enumerate(dev):
            if i % FOLDS == fold:
                scored.append((model.score(text), rules_ask_for_person(text), asks))
    best = (math.inf, 0.0, 1.0)
    for threshold in sorted({s for s, _, _ in scored}, reverse=True):
        hits = [(rule or s >= threshold, asks) for s, rule, asks in scored]
        tp = sum(got and asks for got, asks in hits)
        fp = sum(got and not asks for got, asks in hits)
        fn = sum(asks and not got for got, asks in hits)
        recall, precision = tp / (tp + fn), tp / (tp + fp) if tp + fp else 1.0
        if precision >= PRECISION and recall > best[1]:
            best = (threshold, recall, precision)
    return best


def build(corpus: Path) -> tuple[PersonModel, float, float]:
    """The model from the corpus's dev half, with its cross-validated recall and precision."""
    dev = [(e.text, e.asks) for e in read_corpus(corpus) if e.split == "dev"]
    threshold, recall, precision = choose_threshold(dev)
    return replace(train(dev), threshold=threshold), recall, precision
