"""Retention (GDPR art. 5(1)(e)): what is due is erased as a system act; the journal stays whole."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.domain.retention import cutoffs
from backend.settings import RetentionSettings, Settings, check_retention
from backend_client import Action, ReasonCode
from hitl.cli import main
from tests.helpers import BASE, Backend, ManualClock, eventually, pending_draft, seed_operators

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

DAY = 86400.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def _closed_chat(backend: Backend, text: str = "Where is my order 1234?") -> str:
    chat = await backend.chat(text)
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        sent = await alice.edit(draft.id, draft.version, "It ships today, Jo.", ReasonCode.TONE)
        await alice.close(chat.id, sent.version)
    return chat.id


def test_a_journal_kept_less_than_half_a_year_is_refused_at_start(tmp_path: Path) -> None:
    settings = Settings(
        db_path=tmp_path / "h.db", retention=RetentionSettings(journal_text_days=182)
    )
    with pytest.raises(ValueError, match="at least 183 days"):
        check_retention(settings)
    with pytest.raises(ValueError, match="183"):
        create_app(settings)
    check_retention(Settings(retention=RetentionSettings(journal_text_days=183)))


def test_cutoffs_count_back_from_now() -> None:
    now = ManualClock().now
    due = cutoffs(now, RetentionSettings(personal_data_days=90, journal_text_days=365))
    assert (now - due.personal_before).days == 90 and (now - due.journal_before).days == 365


async def test_personal_data_goes_when_due_and_the_journal_texts_later(
    backend: Backend, clock: ManualClock
) -> None:
    hitl = backend.app.state.hitl
    closed = await _closed_chat(backend)
    still_open = (await backend.chat("Hello there")).id
    entries_before = len(list(backend.store.audit_rows()))

    clock.advance(89 * DAY)
    assert hitl.run_retention().conversations == []

    clock.advance(2 * DAY)
    dry = hitl.run_retention(dry_run=True)
    assert dry.conversations == [closed] and dry.journal_seq is None
    row = backend.store.conversation_row(closed)
    assert row is not None and row["erased_at"] is None  # a dry run changes nothing

    run = hitl.run_retention()
    assert run.conversations == [closed] and run.journal_texts == 0
    async with backend.client("sam") as sam:
        detail = await sam.get_conversation(closed)
        other = await sam.get_conversation(still_open)
        entry = (await sam.list_audit(action=Action.RETENTION.value)).items[0]
        edits = (await sam.list_audit(action=Action.EDIT.value)).items
        assert (await sam.verify_audit()).ok
    assert detail.customer.name == "[erased]" and other.customer.name == "Jo Customer"
    assert entry.actor == "system" and entry.seq == run.journal_seq
    assert entry.note is not None and entry.note.startswith(run.summary())
    assert edits[0].final_text == "It ships today, Jo."  # the journal keeps its text longer
    assert hitl.run_retention().conversations == []  # nothing twice

    clock.advance(300 * DAY)
    run = hitl.run_retention()
    assert run.conversations == [] and run.journal_texts >= 1
    async with backend.client("sam") as sam:
        edits = (await sam.list_audit(action=Action.EDIT.value)).items
        assert (await sam.verify_audit()).ok
    assert edits[0].final_text is None and edits[0].final_text_hmac is not None
    # Entries themselves are never deleted: the two runs only added theirs.
    assert len(list(backend.store.audit_rows())) == entries_before + 2


async def test_the_background_job_erases_what_is_due_when_the_backend_starts(
    settings: Settings, tmp_path: Path
) -> None:
    clock = ManualClock()
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app)))
        cid = await _closed_chat(backend)
    app.state.store.close()

    clock.advance(100 * DAY)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        store = app.state.store
        await eventually(lambda: store.conversation_row(cid)["erased_at"] is not None)
        actors = [r["actor"] for r in store.audit_rows() if r["action"] == "retention"]
    app.state.store.close()
    assert actors == ["system"]


async def test_retention_run_command_shows_then_does_what_is_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(db_path=tmp_path / "old.db", secret="s")
    past: Callable[[], datetime] = ManualClock(datetime.fromisoformat("2020-01-06T09:00:00+00:00"))
    app = create_app(settings, clock=past)
    async with app.router.lifespan_context(app):
        cid = await _closed_chat(seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app))))
    app.state.store.close()
    config = tmp_path / "hitl.toml"
    config.write_text("[retention]\npersonal_data_days = 30\njournal_text_days = 400\n")
    db = ["--db", str(settings.db_path), "--config", str(config)]

    assert main(["retention", "run", "--dry-run", *db]) == 0
    out, err = capsys.readouterr()
    assert out.split() == [cid] and err.startswith("would erase")
    assert main(["retention", "run", *db]) == 0
    out, err = capsys.readouterr()
    assert out.split() == [cid] and "erased the personal data of 1" in err
    assert "journaled as entry" in err
    assert main(["retention", "run", *db]) == 0
    assert capsys.readouterr().out == ""

    config.write_text("[retention]\njournal_text_days = 30\n")
    assert main(["retention", "run", *db]) == 2
    assert "at least 183 days" in capsys.readouterr().err


def test_serve_refuses_a_journal_kept_too_briefly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HITL_RETENTION__JOURNAL_TEXT_DAYS", "90")
    assert main(["serve", "--db", str(tmp_path / "x.db")]) == 2
    assert "at least 183 days" in capsys.readouterr().err


async def test_a_retention_run_covers_only_texts_older_than_its_cutoff(
    backend: Backend, clock: ManualClock
) -> None:
    await _closed_chat(backend)
    clock.advance(400 * DAY)
    await _closed_chat(backend)  # a newer edit, whose text the journal must keep
    run = backend.app.state.hitl.run_retention()
    assert run.journal_texts >= 1
    async with backend.client("sam") as sam:
        assert (await sam.verify_audit()).ok
        newest_edit = (await sam.list_audit(action=Action.EDIT.value)).items[0]
    # Someone deletes the newer text behind the journal's back: no run covers that.
    backend.store.db.execute(
        "UPDATE audit_texts SET final_text = NULL WHERE seq = ?", [newest_edit.seq]
    )
    async with backend.client("sam") as sam:
        result = await sam.verify_audit()
    assert not result.ok and result.first_bad == newest_edit.seq
