"""Asking for a person, measured on a corpus in four languages (invariant 3)."""

from __future__ import annotations

from pathlib import Path

from backend.domain.escalation_eval import read_corpus, score

CORPUS = read_corpus(Path(__file__).parent / "data" / "escalation_corpus.tsv")


def test_the_corpus_is_big_enough_in_every_language() -> None:
    asks = [e for e in CORPUS if e.asks]
    ordinary = [e for e in CORPUS if not e.asks]
    assert len(asks) >= 150 and len(ordinary) >= 150
    for lang in ("en", "de", "fr", "es"):
        assert sum(e.lang == lang for e in asks) >= 30
    assert {e.split for e in CORPUS} == {"dev", "heldout"}


def test_rules_and_classifier_hold_on_the_half_they_were_built_from() -> None:
    """Dev rows were added that the rules miss (for the classifier to learn from)."""
    dev = score(e for e in CORPUS if e.split == "dev")
    assert dev.recall >= 0.97 and dev.wrong == [], (dev.missed, dev.wrong)


def test_the_held_out_half_stays_at_what_the_readme_reports() -> None:
    """A floor at the measured figures (recall 0.963, precision 1.0): no silent regression."""
    held = score(e for e in CORPUS if e.split == "heldout")
    assert held.recall >= 0.96 and held.precision >= 0.98, (held.missed, held.wrong)
    rules = score((e for e in CORPUS if e.split == "heldout"), rules_only=True)
    assert rules.recall >= 0.88 and rules.precision >= 0.98


def test_the_issues_tricky_messages_do_not_escalate() -> None:
    tricky = {
        "my human resources department ordered this",
        "is the agent of this parcel DHL?",
        "a real person signed this book?",
    }
    assert tricky <= {e.text for e in CORPUS if not e.asks}
    assert score(e for e in CORPUS if e.text in tricky).fp == 0


def test_company_phrases_extend_the_rules() -> None:
    [example] = [e for e in CORPUS if e.text == "Ich möchte das mit einem Kundenberater klären"]
    # The classifier now catches it too; the phrase still extends the rules themselves.
    assert score([example], rules_only=True).fn == 1
    assert score([example], ("kundenberater",), rules_only=True).tp == 1
