"""The code's own checks run as part of the test suite, so one command runs everything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["backend_client", "backend", "console", "hitl", "tests", "benchmarks"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.quality
def test_ruff_format() -> None:
    """Every file is formatted by ruff."""
    result = _run("ruff", "format", "--check", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.quality
def test_ruff_check() -> None:
    """ruff's lint rules (E, F, I, B, UP) pass."""
    result = _run("ruff", "check", *PACKAGES)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.quality
def test_mypy_strict_client() -> None:
    """The client package type-checks under mypy --strict."""
    result = _run("mypy", "--strict", "backend_client")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.quality
def test_mypy_backend_and_console() -> None:
    """The backend, the console and hitl type-check (non-strict)."""
    result = _run("mypy", "backend", "console", "hitl")
    assert result.returncode == 0, result.stdout + result.stderr


def test_layering() -> None:
    """backend_client imports no textual/console/backend; backend imports no console."""
    rules = {
        "backend_client": ("textual", "console", "backend."),
        "backend": ("console", "textual"),
    }
    for package, forbidden in rules.items():
        for path in (ROOT / package).rglob("*.py"):
            for line in path.read_text().splitlines():
                words = line.split()
                if len(words) >= 2 and words[0] in ("import", "from"):
                    module = words[1]
                    bad = [f for f in forbidden if module == f.rstrip(".") or module.startswith(f)]
                    assert not bad, f"{path.relative_to(ROOT)} imports {module}"
