"""The tamper catalogue: every kind of edit to the journal's file is caught (issue 14.5, 14.9).

A real journal (decisions on two chats, one of them erased) is copied once per
tampering; the copy is edited behind the backend's back with plain SQL, and
`hitl audit verify` must exit 1 naming an entry (2 for a bad checkpoint file),
never with a traceback and never with "ok".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.domain.journal import verify_chain
from backend_client import ReasonCode
from hitl.cli import main
from tests.helpers import Backend, pending_draft

SECRET = "test-secret"

Tamper = Callable[[sqlite3.Connection], object]
"""Edits the journal's file; what it returns (a cursor) is not looked at."""

TAMPERINGS: dict[str, Tamper] = {
    "edit a note": lambda db: db.execute("UPDATE audit SET note = 'fine' WHERE seq = 2"),
    "edit a time": lambda db: db.execute(
        "UPDATE audit SET at = '2020-01-01T00:00:00.000000+00:00' WHERE seq = 1"
    ),
    "edit an actor": lambda db: db.execute("UPDATE audit SET actor = 'op_x' WHERE seq = 1"),
    "edit an action": lambda db: db.execute("UPDATE audit SET action = 'approve' WHERE seq = 2"),
    "delete an entry": lambda db: db.execute("DELETE FROM audit WHERE seq = 2"),
    "reorder two entries": lambda db: db.executescript(
        "UPDATE audit SET seq = -1 WHERE seq = 1; UPDATE audit SET seq = 1 WHERE seq = 2;"
        "UPDATE audit SET seq = 2 WHERE seq = -1;"
    ),
    "insert an entry": lambda db: db.execute(
        "INSERT INTO audit (seq, at, actor, role, action, prev_hash, hash) SELECT "
        "(SELECT max(seq) + 1 FROM audit), at, actor, role, 'approve', hash, hash "
        "FROM audit WHERE seq = (SELECT max(seq) FROM audit)"
    ),
    "change a text": lambda db: db.execute(
        "UPDATE audit_texts SET final_text = 'something else' WHERE final_text IS NOT NULL"
    ),
    "null a text of a conversation never erased": lambda db: db.execute(
        "UPDATE audit_texts SET ai_text = NULL WHERE ai_text IS NOT NULL"
    ),
    "delete the texts of a conversation never erased": lambda db: db.execute(
        "DELETE FROM audit_texts WHERE ai_text IS NOT NULL"
    ),
    "a BLOB in a text column": lambda db: db.execute(
        "UPDATE audit_texts SET ai_text = X'00ff' WHERE ai_text IS NOT NULL"
    ),
    "a BLOB in the note": lambda db: db.execute("UPDATE audit SET note = X'00ff' WHERE seq = 2"),
    "a number as the hash": lambda db: db.execute("UPDATE audit SET hash = 7 WHERE seq = 1"),
}


@pytest.fixture
async def journal(backend: Backend, tmp_path: Path) -> Path:
    """A copy of a journal: an edit and a rejection in one chat, a second chat erased."""
    kept = await backend.chat("Where is my parcel?")
    erased = await backend.chat("Do you ship to Norway?")
    async with backend.client("alice") as alice:
        draft = await pending_draft(backend, kept)
        await alice.edit(draft.id, draft.version, "It ships today.", ReasonCode.TONE, note="n")
        other = await pending_draft(backend, erased)
        await alice.reject(other.id, other.version, ReasonCode.POLICY)
    async with backend.client("ada") as ada:
        await ada.erase(erased.id)
    path = tmp_path / "journal.db"
    with sqlite3.connect(path) as copy:
        backend.store.db.conn.backup(copy)
    return path


def _verify(path: Path, *extra: str) -> int:
    return main(["audit", "verify", "--db", str(path), *extra])


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_SECRET", SECRET)


def test_the_untouched_journal_verifies_with_its_erasure(journal: Path) -> None:
    assert _verify(journal) == 0


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_every_tampering_is_caught(
    journal: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(journal) as db:
        TAMPERINGS[name](db)
    assert _verify(journal) == 1
    assert "FAILED at entry" in capsys.readouterr().err


def test_truncation_is_caught_against_a_checkpoint(journal: Path, tmp_path: Path) -> None:
    checkpoint = tmp_path / "head.json"
    assert main(["audit", "checkpoint", "--db", str(journal), "--out", str(checkpoint)]) == 0
    with sqlite3.connect(journal) as db:
        db.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    assert _verify(journal, "--checkpoint", str(checkpoint)) == 1


@pytest.mark.parametrize("content", ["", "{}", "[1]", '{"entries": "x", "head": 1}', "\xff"])
def test_a_bad_checkpoint_file_is_named_and_exits_2(
    journal: Path, tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "head.json"
    checkpoint.write_text(content, encoding="latin-1")
    assert _verify(journal, "--checkpoint", str(checkpoint)) == 2
    assert str(checkpoint) in capsys.readouterr().err


def test_verify_chain_names_the_first_missing_text(journal: Path) -> None:
    with sqlite3.connect(journal) as db:
        db.execute("DELETE FROM audit_texts WHERE final_text IS NOT NULL")
        db.row_factory = sqlite3.Row
        rows = [
            dict(r)
            for r in db.execute(
                "SELECT a.*, t.ai_text, t.final_text FROM audit a "
                "LEFT JOIN audit_texts t USING (seq) ORDER BY a.seq"
            )
        ]
    result = verify_chain(rows, SECRET)
    assert not result.ok and result.first_bad == 1
