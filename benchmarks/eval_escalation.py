"""Precision and recall of asking-for-a-person on the corpus, per split and language; speed.

    python benchmarks/eval_escalation.py [-v]

The rules were developed on the `dev` half of tests/data/escalation_corpus.tsv;
the `heldout` half is only measured. `-v` lists the messages it gets wrong.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.domain.escalation_eval import read_corpus, score  # noqa: E402
from backend.domain.signals import escalation_reason  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "escalation_corpus.tsv"


def main() -> None:
    """Print the table (Markdown) and the time per message."""
    examples = read_corpus(CORPUS)
    print("| split | language | requests | ordinary | recall | precision |")
    print("|---|---|---|---|---|---|")
    for split in ("dev", "heldout"):
        for lang in ("en", "de", "fr", "es", "all"):
            part = [e for e in examples if e.split == split and lang in (e.lang, "all")]
            s = score(part)
            asks = sum(e.asks for e in part)
            print(
                f"| {split} | {lang} | {asks} | {len(part) - asks} | "
                f"{s.recall:.3f} | {s.precision:.3f} |"
            )
            if "-v" in sys.argv and lang == "all":
                for e in s.missed:
                    print(f"  missed [{e.lang}] {e.text}")
                for e in s.wrong:
                    print(f"  wrongly escalated [{e.lang}] {e.text}")
    texts = [e.text for e in examples] * 20
    started = time.perf_counter()
    for text in texts:
        escalation_reason(text)
    per = (time.perf_counter() - started) / len(texts)
    print(f"\n{len(texts)} messages classified, {per * 1e6:.0f} µs per message (all reasons)")


if __name__ == "__main__":
    main()
