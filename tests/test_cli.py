"""The `hitl` command line, run as a person would: through main(), and once as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import Settings
from backend_client import AsyncBackendClient, ReasonCode, Role
from hitl.cli import main
from hitl.demo import demo_backend
from tests.helpers import Backend, eventually


def test_help_lists_every_command_from_the_installed_entry_points() -> None:
    """`python -m hitl` and pip's `hitl` script both reach the same parser."""
    script = Path(sys.executable).with_name("hitl")
    for command in ([sys.executable, "-m", "hitl"], [str(script)]):
        result = subprocess.run(
            [*command, "--help"], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stderr
        for name in ("demo", "serve", "console", "operator", "simulate", "audit", "export"):
            assert name in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        "demo",
        "serve",
        "console",
        "operator add",
        "operator list",
        "simulate",
        "audit verify",
        "audit checkpoint",
        "audit export",
        "erase",
        "export pairs",
    ],
)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command.split(), "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: hitl {command}")


def test_operator_add_prints_the_token_last_and_stores_only_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ops.db"
    assert main(["operator", "add", "alice", "--role", "agent", "--db", str(db)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("hitl_") and len(token) > 30
    stored = sqlite3.connect(db).execute("SELECT name, role, token_hash FROM operators").fetchall()
    assert [(name, role) for name, role, _ in stored] == [("alice", "agent")]
    assert token not in stored[0][2]

    assert main(["operator", "list", "--db", str(db)]) == 0
    listed = capsys.readouterr().out
    assert "\tagent\talice" in listed and token not in listed


def test_operator_add_refuses_an_unknown_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["operator", "add", "x", "--role", "boss", "--db", str(tmp_path / "x.db")])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_audit_commands_on_a_missing_database_say_so(tmp_path: Path) -> None:
    # A SystemExit with a message: Python prints it to stderr and exits with status 1.
    with pytest.raises(SystemExit, match="no database"):
        main(["audit", "verify", "--db", str(tmp_path / "none.db")])
    assert not (tmp_path / "none.db").exists(), "verifying must not create an empty database"


async def _decide_some(backend: Backend) -> tuple[str, str]:
    """An edit and a rejection (with a human reply afterwards), through the real API."""
    first = await backend.chat("where is my parcel? write to jo.smith+shop@example.com")
    second = await backend.chat("how long do refunds take?")
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(first.id)
        assert detail.draft is not None
        await alice.edit(
            detail.draft.id,
            detail.draft.version,
            "It left our warehouse today; we'll mail jo.smith+shop@example.com the link.",
            ReasonCode.INCOMPLETE,
            "gave the dispatch date",
        )
        detail = await alice.get_conversation(second.id)
        assert detail.draft is not None
        detail = await alice.reject(detail.draft.id, detail.draft.version, ReasonCode.TONE)
        detail = await alice.takeover(detail.id, detail.version, ReasonCode.TONE)
        await alice.send_message(detail.id, "Refunds reach your card within 5 working days.")
    return first.id, second.id


async def test_audit_cli_verifies_checkpoints_exports_and_detects_tampering(
    backend: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _decide_some(backend)
    db = str(backend.app.state.settings.db_path)
    env_secret = {"HITL_SECRET": "test-secret"}
    os.environ.update(env_secret)
    try:
        assert main(["audit", "verify", "--db", db]) == 0
        assert "ok: 4 entries" in capsys.readouterr().out  # with the disclosure version

        checkpoint = tmp_path / "head.json"
        assert main(["audit", "checkpoint", "--db", db, "--out", str(checkpoint)]) == 0
        assert json.loads(checkpoint.read_text())["entries"] == 4

        out = tmp_path / "audit.jsonl"
        assert main(["audit", "export", "--db", db, "--format", "jsonl", "--out", str(out)]) == 0
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["action"] for r in rows] == ["disclosure", "edit", "reject", "takeover"]
        assert rows[1]["final_text"].startswith("It left our warehouse today")

        csv_out = tmp_path / "audit.csv"
        assert main(["audit", "export", "--db", db, "--format", "csv", "--out", str(csv_out)]) == 0
        assert csv_out.read_text().splitlines()[0].startswith("seq,at,actor,role,action")

        # Drop the newest entry behind the backend's back: only the checkpoint can tell.
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM audit WHERE seq = 4")
        capsys.readouterr()
        assert main(["audit", "verify", "--db", db]) == 0
        assert main(["audit", "verify", "--db", db, "--checkpoint", str(checkpoint)]) == 1
        assert "FAILED at entry 4" in capsys.readouterr().err

        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE audit SET note = 'nothing to see' WHERE seq = 1")
        assert main(["audit", "verify", "--db", db]) == 1
        assert "FAILED at entry 1" in capsys.readouterr().err
    finally:
        os.environ.pop("HITL_SECRET", None)


async def test_export_pairs_round_trip_each_override_once_and_masked_for_a_trainer(
    live_backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    edited, rejected = await _decide_some(live_backend)
    out = tmp_path / "pairs.jsonl"
    monkeypatch.setenv("HITL_URL", live_backend.url)
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["tina"])
    assert await _main_in_thread("export", "pairs", "--out", str(out)) == 0, capsys.readouterr()
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((p["conversation_id"], p["action"]) for p in pairs) == sorted(
        [(edited, "edit"), (rejected, "reject")]
    )
    by_action = {p["action"]: p for p in pairs}
    assert by_action["edit"]["chosen"].endswith("we'll mail [email] the link.")
    assert "jo.smith" not in out.read_text()
    assert by_action["reject"]["chosen"] == "Refunds reach your card within 5 working days."
    assert by_action["edit"]["context"][0]["role"] == "system"
    assert by_action["edit"]["context"][-1]["text"].startswith("where is my parcel?")
    assert by_action["edit"]["masked"] is True

    capsys.readouterr()
    assert await _main_in_thread("export", "pairs", "--unmasked") == 1
    assert "may not export training data unmasked" in capsys.readouterr().err

    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["ada"])
    assert await _main_in_thread("export", "pairs", "--unmasked") == 0
    assert "jo.smith+shop@example.com" in capsys.readouterr().out


async def _main_in_thread(*args: str) -> int:
    """Run `hitl ARGS` in a thread: the commands run an event loop of their own."""
    return await asyncio.to_thread(main, list(args))


async def test_erase_needs_an_admin_and_then_erases(
    live_backend: Backend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = await live_backend.chat("my email is jo.smith+shop@example.com", name="Jo Erase")
    monkeypatch.setenv("HITL_URL", live_backend.url)
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["sam"])
    assert await _main_in_thread("erase", chat.id) == 1
    assert "may not erase" in capsys.readouterr().err

    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["ada"])
    assert await _main_in_thread("erase", chat.id) == 0, capsys.readouterr().err
    assert f"erased the personal data of conversation {chat.id}" in capsys.readouterr().out
    async with live_backend.client("ada") as ada:
        detail = await ada.get_conversation(chat.id)
    assert detail.customer.name == "[erased]"
    assert all("jo.smith" not in m.text for m in detail.messages)


async def test_the_demo_brings_customers_into_a_supervisors_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hitl demo`'s backend: its customers arrive in the queue its console's token sees."""
    settings = Settings(db_path=tmp_path / "demo.db", secret="demo")
    with demo_backend(settings) as demo:
        assert demo.config.url in capsys.readouterr().err
        demo.start_customers(customers=3, rate=20)
        token = demo.config.require_token()
        async with AsyncBackendClient(demo.config.url, token) as console:
            assert (await console.me()).role is Role.SUPERVISOR

            async def queued() -> int:
                return len((await console.list_conversations()).items)

            assert await eventually(queued, timeout=10) >= 1
