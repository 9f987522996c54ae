"""The ask-for-a-person classifier: rules as the floor, a shipped model on top (issue 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from backend.domain.person_model import classifier_asks, load_model
from backend.domain.person_train import build
from backend.domain.signals import escalation_reason, rules_ask_for_person
from backend_client import EscalationReason

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "escalation_corpus.tsv"


def test_requests_the_rules_miss_escalate_in_every_language() -> None:
    requests = {
        "en": "I'd rather deal with a person than a bot",
        "de": "Holen Sie bitte jemanden vom Team",
        "fr": "Un conseiller peut-il me téléphoner ?",
        "es": "¿Me pueden comunicar con un asesor?",
    }
    for text in requests.values():
        assert classifier_asks(text), text
        assert escalation_reason(text) is EscalationReason.ASKED_FOR_HUMAN, text
    # The classifier earns its place: the rules alone let these three through.
    assert not any(rules_ask_for_person(requests[lang]) for lang in ("de", "fr", "es"))


def test_the_issues_tricky_ordinary_messages_do_not_escalate() -> None:
    for text in (
        "my human resources department ordered this",
        "is the agent of this parcel DHL?",
        "a real person signed this book?",
        "Der Mitarbeiter im Laden war sehr freundlich",
        "La personne qui a livré était très gentille",
        "",
    ):
        assert not classifier_asks(text), text
        assert escalation_reason(text) is None, text


def test_company_phrases_still_extend_it() -> None:
    assert escalation_reason("Ich möchte zur Reklamationsstelle") is None
    assert escalation_reason("Ich möchte zur Reklamationsstelle", ("reklamationsstelle",)) is (
        EscalationReason.ASKED_FOR_HUMAN
    )


def test_the_shipped_model_is_what_the_dev_half_trains() -> None:
    """Reproducible: training again on the corpus's dev half gives the shipped bytes."""
    model, recall, precision = build(CORPUS)
    shipped = (ROOT / "backend" / "domain" / "person_model.json").read_text("utf-8")
    assert model.to_json() == shipped
    assert load_model().weights.keys() == model.weights.keys()
    assert recall >= 0.95 and precision >= 0.97


def test_the_model_file_loads_from_an_installed_package(tmp_path: Path) -> None:
    """What setuptools installs (package-data) carries the model, and it loads from there."""
    built = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py"]
        + ["--build-lib", str(built)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert (built / "backend" / "domain" / "person_model.json").is_file()
    probe = (
        "import backend.domain.person_model as m;"
        "print(m.__file__);"
        "print(m.classifier_asks('Holen Sie bitte jemanden vom Team'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(built), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out == [str(built / "backend" / "domain" / "person_model.py"), "True"]
