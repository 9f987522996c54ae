"""The command line as a new user meets it (issue 15): pipes, dates, names, the demo's roles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import Settings
from backend_client import Action, AsyncBackendClient, Role
from hitl.cli import main
from hitl.cli._common import open_store
from hitl.demo import demo_backend


def add(db: Path, name: str, role: str = "agent") -> int:
    """`hitl operator add NAME --role ROLE --db DB`'s exit code."""
    return main(["operator", "add", name, "--role", role, "--db", str(db)])


def test_audit_export_into_head_ends_without_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "pipe.db"
    settings, store = open_store(db, must_exist=False)
    sam, _ = store.add_operator("sam", Role.SUPERVISOR)
    with store.transaction():
        for index in range(3000):  # ~600 kB of CSV: more than a pipe holds
            store.append_audit(
                store.secret(settings.secret),
                operator=sam,
                action=Action.PAUSE,
                reason_code=None,
                note=f"bulk {index} " + "x" * 100,
                conversation_id=None,
                draft_id=None,
                bot=None,
                ai_text=None,
                final_text=None,
            )
    store.close()
    # Enough lines that the writer is still writing when `head` has left.
    script = (
        "import sys; from hitl.cli import main; "
        "sys.exit(main(['audit', 'export', '--db', sys.argv[1], '--format', 'csv']))"
    )
    command = f'{sys.executable} -c "{script}" {db} | head -n 1; exit ${{PIPESTATUS[0]}}'
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert result.stdout.startswith("seq")
    assert result.returncode == 141  # the writer stopped because the reader left


def test_since_that_is_not_a_date_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "since.db"
    assert add(db, "alice") == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["audit", "export", "--db", str(db), "--since", "yesterday"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert "not a date" in captured.err and captured.out == ""
    assert main(["audit", "export", "--db", str(db), "--since", "2026-11-27"]) == 0


def test_operator_add_refuses_an_empty_or_taken_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "names.db"
    assert add(db, "sam", "supervisor") == 0
    capsys.readouterr()
    assert add(db, "  ") == 2
    assert "needs a name" in capsys.readouterr().err
    assert add(db, "Sam ") == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["operator", "list", "--db", str(db)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1  # still one operator


async def test_the_demo_opens_a_trainers_console_when_asked(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "demo.db", secret="demo")
    with demo_backend(settings, role="trainer") as demo:
        about = demo.config.about or ""
        assert demo.config.url in about and str(settings.db_path) in about
        async with AsyncBackendClient(demo.config.url, demo.config.require_token()) as me:
            assert (await me.me()).role is Role.TRAINER
