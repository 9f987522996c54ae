"""Train the ask-for-a-person classifier on the corpus's dev half; write the shipped model.

    python benchmarks/train_person_model.py

Deterministic: the same corpus gives the same bytes in backend/domain/person_model.json.
Only `dev` rows are read; the threshold comes from 5-fold cross-validation within
dev (`backend/domain/person_train.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.domain.person_train import build  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "escalation_corpus.tsv"
OUT = ROOT / "backend" / "domain" / "person_model.json"


def main() -> None:
    """Cross-validate the threshold, train on all of dev, write the model file."""
    model, recall, precision = build(CORPUS)
    OUT.write_text(model.to_json(), "utf-8")
    print(
        f"{len(model.weights)} n-grams; threshold {model.threshold:.4f} (5-fold within dev, "
        f"rules OR classifier: recall {recall:.3f}, precision {precision:.3f})"
    )


if __name__ == "__main__":
    main()
