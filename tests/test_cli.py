"""The `hitl` command line, run as a person would: as a subprocess or through main()."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from backend_client import ReasonCode
from console.cli import main
from tests.helpers import Backend


def hitl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m console ...` (the `hitl` command) and capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_help_lists_every_command() -> None:
    result = hitl("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "console", "operator", "simulate", "audit", "export"):
        assert command in result.stdout


def test_operator_add_prints_the_token_last_and_stores_only_its_hash(tmp_path: Path) -> None:
    db = tmp_path / "ops.db"
    result = hitl("operator", "add", "alice", "--role", "agent", "--db", str(db))
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("hitl_") and len(token) > 30
    stored = sqlite3.connect(db).execute("SELECT name, role, token_hash FROM operators").fetchall()
    assert [(name, role) for name, role, _ in stored] == [("alice", "agent")]
    assert token not in stored[0][2]


def test_operator_add_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = hitl("operator", "add", "x", "--role", "boss", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_audit_commands_on_a_missing_database_say_so(tmp_path: Path) -> None:
    result = hitl("audit", "verify", "--db", str(tmp_path / "none.db"))
    assert result.returncode != 0
    assert "no database" in result.stderr


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
        assert "ok: 3 entries" in capsys.readouterr().out

        checkpoint = tmp_path / "head.json"
        assert main(["audit", "checkpoint", "--db", db, "--out", str(checkpoint)]) == 0
        assert json.loads(checkpoint.read_text())["entries"] == 3

        out = tmp_path / "audit.jsonl"
        assert main(["audit", "export", "--db", db, "--format", "jsonl", "--out", str(out)]) == 0
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["action"] for r in rows] == ["edit", "reject", "takeover"]
        assert rows[0]["final_text"].startswith("It left our warehouse today")

        csv_out = tmp_path / "audit.csv"
        assert main(["audit", "export", "--db", db, "--format", "csv", "--out", str(csv_out)]) == 0
        assert csv_out.read_text().splitlines()[0].startswith("seq,at,actor,role,action")

        # Drop the newest entry behind the backend's back: only the checkpoint can tell.
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM audit WHERE seq = 3")
        capsys.readouterr()
        assert main(["audit", "verify", "--db", db]) == 0
        assert main(["audit", "verify", "--db", db, "--checkpoint", str(checkpoint)]) == 1
        assert "FAILED at entry 3" in capsys.readouterr().err

        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE audit SET note = 'nothing to see' WHERE seq = 1")
        assert main(["audit", "verify", "--db", db]) == 1
        assert "FAILED at entry 1" in capsys.readouterr().err
    finally:
        os.environ.pop("HITL_SECRET", None)


async def test_export_pairs_round_trip_each_override_once_and_masked_for_a_trainer(
    live_backend: Backend, tmp_path: Path
) -> None:
    edited, rejected = await _decide_some(live_backend)
    out = tmp_path / "pairs.jsonl"
    env = {"HITL_URL": live_backend.url, "HITL_TOKEN": live_backend.tokens["tina"]}
    result = await _run_in_thread(hitl, "export", "pairs", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
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

    refused = await _run_in_thread(hitl, "export", "pairs", "--unmasked", env=env)
    assert refused.returncode == 1
    assert "may not export training data unmasked" in refused.stderr

    admin = {**env, "HITL_TOKEN": live_backend.tokens["ada"]}
    unmasked = await _run_in_thread(hitl, "export", "pairs", "--unmasked", env=admin)
    assert unmasked.returncode == 0
    assert "jo.smith+shop@example.com" in unmasked.stdout


async def _run_in_thread(
    run: Callable[..., subprocess.CompletedProcess[str]], *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run a blocking subprocess in a thread, so the test's event loop keeps turning."""
    return await asyncio.to_thread(functools.partial(run, *args, env=env))


async def test_erase_needs_an_admin_and_then_erases(live_backend: Backend) -> None:
    chat = await live_backend.chat("my email is jo.smith+shop@example.com", name="Jo Erase")
    env = {"HITL_URL": live_backend.url, "HITL_TOKEN": live_backend.tokens["sam"]}
    refused = await _run_in_thread(hitl, "erase", chat.id, env=env)
    assert refused.returncode == 1
    assert "may not erase" in refused.stderr

    admin = {**env, "HITL_TOKEN": live_backend.tokens["ada"]}
    done = await _run_in_thread(hitl, "erase", chat.id, env=admin)
    assert done.returncode == 0, done.stderr
    assert f"erased the personal data of conversation {chat.id}" in done.stdout
    async with live_backend.client("ada") as ada:
        detail = await ada.get_conversation(chat.id)
    assert detail.customer.name == "[erased]"
    assert all("jo.smith" not in m.text for m in detail.messages)
