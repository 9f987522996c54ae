"""Precision and recall of asking-for-a-person on the corpus, per split and language; speed.

    python benchmarks/eval_escalation.py [-v] [--dev]

The rules were developed, and the classifier trained (benchmarks/train_person_model.py),
on the `dev` half of tests/data/escalation_corpus.tsv; the `heldout` half is only
measured. `--dev` prints the dev half alone; `-v` lists the messages it gets wrong.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.domain.escalation_eval import read_corpus, score  # noqa: E402
from backend.domain.signals import escalation_reason, rules_ask_for_person  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "escalation_corpus.tsv"


def main() -> None:
    """Print the table (Markdown) and the time per message."""
    examples = read_corpus(CORPUS)
    print(
        "| split | language | requests | ordinary | rules recall | rules precision "
        "| rules + classifier recall | rules + classifier precision |"
    )
    print("|---|---|---|---|---|---|---|---|")
    splits = ("dev",) if "--dev" in sys.argv else ("dev", "heldout")
    for split in splits:
        for lang in ("en", "de", "fr", "es", "all"):
            part = [e for e in examples if e.split == split and lang in (e.lang, "all")]
            rules, both = score(part, rules_only=True), score(part)
            asks = sum(e.asks for e in part)
            print(
                f"| {split} | {lang} | {asks} | {len(part) - asks} | "
                f"{rules.recall:.3f} | {rules.precision:.3f} | "
                f"{both.recall:.3f} | {both.precision:.3f} |"
            )
            if "-v" in sys.argv and lang == "all":
                for e in both.missed:
                    print(f"  missed [{e.lang}] {e.text}")
                for e in both.wrong:
                    print(f"  wrongly escalated [{e.lang}] {e.text}")
    texts = [e.text for e in examples] * 20
    for name, judge in (("rules", rules_ask_for_person), ("all reasons", escalation_reason)):
        started = time.perf_counter()
        for text in texts:
            judge(text)
        per = (time.perf_counter() - started) / len(texts)
        print(f"\n{len(texts)} messages, {per * 1e6:.0f} µs per message ({name})")


if __name__ == "__main__":
    main()
