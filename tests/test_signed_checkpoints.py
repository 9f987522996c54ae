"""The journal's keys outside the database, and signed checkpoints (issue 14.5)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.domain.journal import text_hmac
from backend.settings import JournalSettings, Settings
from backend_client import ReasonCode
from hitl.cli import main
from tests.helpers import BASE, Backend, eventually, pending_draft, seed_operators


async def _edited(backend: Backend) -> None:
    chat = await backend.chat("Where is my parcel?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.edit(draft.id, draft.version, "It ships today.", ReasonCode.TONE)


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """A checkpoint-signing key pair made by `hitl audit keygen`."""
    private = tmp_path / "keys" / "checkpoint.key"
    private.parent.mkdir()
    assert main(["audit", "keygen", "--out", str(private)]) == 0
    assert private.stat().st_mode & 0o077 == 0, "the private key is readable by others"
    return private, private.with_name("checkpoint.key.pub")


async def test_the_hmac_secret_can_live_in_a_file_outside_the_database(tmp_path: Path) -> None:
    secret_file = tmp_path / "journal.secret"
    secret_file.write_text("from-a-file\n")
    settings = Settings(
        db_path=tmp_path / "hitl.db", journal=JournalSettings(secret_file=secret_file)
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app=app, url=BASE, transport=httpx.ASGITransport(app)))
        await _edited(backend)
        entry = next(e for e in backend.store.list_audit().items if e.action == "edit")
        assert backend.store.get_meta("secret") is None
        assert entry.final_text_hmac == text_hmac("from-a-file", "It ships today.")
    app.state.store.close()


async def test_a_signed_checkpoint_proves_the_head_and_a_forged_one_fails(
    backend: Backend,
    settings: Settings,
    keys: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HITL_SECRET", "test-secret")
    private, public = keys
    await _edited(backend)
    db, signed = str(settings.db_path), tmp_path / "head.json"
    assert (
        main(["audit", "checkpoint", "--db", db, "--out", str(signed), "--sign-key", str(private)])
        == 0
    )
    verify = [
        "audit",
        "verify",
        "--db",
        db,
        "--checkpoint",
        str(signed),
        "--public-key",
        str(public),
    ]
    assert main(verify) == 0

    document = json.loads(signed.read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**document, "head": "0" * 64}))
    assert main([*verify[:5], str(forged), *verify[6:]]) == 1
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps({"entries": document["entries"], "head": document["head"]}))
    assert main([*verify[:5], str(unsigned), *verify[6:]]) == 1
    other = tmp_path / "other.key"
    assert main(["audit", "keygen", "--out", str(other)]) == 0
    assert main([*verify[:7], str(other) + ".pub"]) == 1


async def test_the_backend_writes_signed_checkpoints_on_a_schedule(
    tmp_path: Path, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    private, public = keys
    directory = tmp_path / "checkpoints"
    settings = Settings(
        db_path=tmp_path / "hitl.db",
        secret="test-secret",
        journal=JournalSettings(
            checkpoint_key_file=private, checkpoint_dir=directory, checkpoint_every_seconds=0.05
        ),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app=app, url=BASE, transport=httpx.ASGITransport(app)))
        await _edited(backend)
        entries = len(backend.store.list_audit().items)

        def latest_has_the_edit() -> bool:
            latest = directory / "latest.json"
            return latest.exists() and json.loads(latest.read_text())["entries"] == entries

        await eventually(latest_has_the_edit)
    app.state.store.close()
    monkeypatch.setenv("HITL_SECRET", "test-secret")
    assert (
        main(
            [
                "audit",
                "verify",
                "--db",
                str(settings.db_path),
                "--checkpoint",
                str(directory / "latest.json"),
                "--public-key",
                str(public),
            ]
        )
        == 0
    )
