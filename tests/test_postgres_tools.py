"""Moving to PostgreSQL and running several workers: `hitl db copy`, `hitl serve --workers`."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest

from backend.store import connect
from backend_client import ReasonCode, Role
from hitl.cli import main
from tests import pg
from tests.helpers import Backend, ServeProcess

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture
def postgres() -> None:
    pg.require()


@pytest.fixture
def target(pg_url: str) -> str:
    """The PostgreSQL database a deployment moves to."""
    return pg_url


async def _deployment(backend: Backend) -> str:
    """A SQLite deployment with an approval, an edit and a takeover in its journal."""
    chat = await backend.chat("Where is my parcel?")
    await backend.drafted(chat)
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
        assert draft is not None
        await alice.approve(draft.id, draft.version)
        async with backend.channel() as channel:
            await channel.say(chat, "Can I return it?")
        await backend.drafted(chat)
        detail = await alice.get_conversation(chat.id)
        assert detail.draft is not None
        detail = await alice.edit(
            detail.draft.id, detail.draft.version, "Yes, within 30 days.", ReasonCode.INCOMPLETE
        )
        await alice.takeover(chat.id, detail.version, ReasonCode.OTHER, "the customer asked")
    return chat.id


async def test_db_copy_moves_a_deployment_and_its_journal_verifies(
    backend: Backend,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HITL_SECRET", "test-secret")  # the deployment's configured journal key
    cid = await _deployment(backend)
    async with backend.client("sam") as sam:
        before = await sam.verify_audit()
    source = backend.app.state.settings.db_path

    code = await asyncio.to_thread(
        main, ["db", "copy", "--from", f"sqlite:///{source}", "--to", target]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert f"journal ok: {before.entries} entries, head {before.head}" in out
    assert await asyncio.to_thread(main, ["audit", "verify", "--db", target]) == 0
    copied = connect(target)
    try:
        row = copied.conversation_row(cid)
        assert row is not None and row["holder"] == backend.operator_ids["alice"]
        assert [m.text for m in copied.messages(cid)] == [
            m.text for m in backend.store.messages(cid)
        ]
        # Ids go on after the copied ones: a new operator and a new event do not collide.
        copied.add_operator("newcomer", Role.AGENT)
        assert copied.audit_rows()  # the journal's texts came along
    finally:
        copied.close()


async def test_db_copy_refuses_a_target_that_holds_a_deployment(
    backend: Backend, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _deployment(backend)
    source = f"sqlite:///{backend.app.state.settings.db_path}"
    assert await asyncio.to_thread(main, ["db", "copy", "--from", source, "--to", target]) == 0

    assert await asyncio.to_thread(main, ["db", "copy", "--from", source, "--to", target]) == 2
    assert "already has conversations" in capsys.readouterr().err


def test_serve_refuses_workers_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--db", str(tmp_path / "x.db"), "--workers", "2"]) == 2
    assert "--workers needs PostgreSQL" in capsys.readouterr().err


def test_serve_with_two_workers_answers_from_both(target: str) -> None:
    store = connect(target)
    _, token = store.add_operator("sup", Role.SUPERVISOR)
    store.close()
    server = ServeProcess(target, "--workers", "2")
    try:
        server.wait_up(timeout=40)
        url, process = server.url, server.process
        # Two worker processes serve the one port (the parent only supervises them).
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        workers = [
            c for c in children if "multiprocessing" in Path(f"/proc/{c}/cmdline").read_text()
        ]
        assert len(workers) >= 2
        pause = httpx.post(
            url + "/v1/ai/pause",
            headers={"Authorization": f"Bearer {token}"},
            json={"reason": "workers"},
        )
        assert pause.status_code == 200
        # Whichever worker answers next knows: the state is in the database, not a process.
        states = {
            httpx.get(url + "/v1/ai", headers={"Authorization": f"Bearer {token}"}).json()["paused"]
            for _ in range(6)
        }
        assert states == {True}
    finally:
        server.stop()


def test_a_database_that_is_not_there_is_named_with_the_servers_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = pg.url_of("hitl_no_such_database")
    with pytest.raises(SystemExit) as verify:
        main(["audit", "verify", "--db", missing])
    assert 'database "hitl_no_such_database" does not exist' in str(verify.value)
    assert main(["serve", "--db", missing]) == 2
    assert "cannot open the database" in capsys.readouterr().err
