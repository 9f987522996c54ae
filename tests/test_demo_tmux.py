"""`hitl demo` as a new user starts it: in a real terminal (tmux), read off the screen, quit with q.

Slow-ish (~5-10 s: a real process, a real backend, real simulated customers),
so it checks the whole first minute at once: the header knows who you are,
customers arrive, `?` says where the demo's backend and database are, and `q`
quits with status 0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux(*args: str) -> str:
    """Run a tmux command and return its output."""
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, timeout=30, check=True
    ).stdout


def wait_for_screen(session: str, words: str, timeout: float = 30.0) -> str:
    """The pane's text once it shows `words` (fails with the screen after `timeout`)."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if words in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{words!r} never appeared; the screen was:\n{screen}")


def test_hitl_demo_in_a_terminal(tmp_path: Path) -> None:
    session = f"hitl-smoke-{uuid.uuid4().hex[:8]}"
    db = tmp_path / "demo.db"
    status = tmp_path / "status"
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    command = (
        f"{sys.executable} -m hitl demo --db {db} --customers 3 --rate 5 --as agent; "
        f"echo $? > {status}"
    )
    tmux(
        "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
        "-e", f"HOME={env['HOME']}", "-e", f"XDG_DATA_HOME={env['XDG_DATA_HOME']}",
        command,
    )  # fmt: skip
    try:
        wait_for_screen(session, "demo-agent (agent)")
        screen = wait_for_screen(session, "● live")
        # Where to chat as a customer: in the app, not only on stderr before it started.
        assert "chat as a customer in a browser: http://127.0.0.1:" in screen
        tmux("send-keys", "-t", session, "?")
        wait_for_screen(session, "Keys — Queue")
        about = wait_for_screen(session, "database", timeout=5)
        assert "Demo as demo-agent" in about  # and the URL and database file after it
        tmux("send-keys", "-t", session, "Escape")
        time.sleep(0.3)
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 20
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status.exists(), "the demo did not quit on q"
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
