"""A backend killed (-9) while the model is writing picks the draft up again, and drafts once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.settings import EXAMPLE_DIR
from backend.store import Store
from hitl.embedded import free_port
from tests.stubs import ModelStub, Turn

ROOT = Path(__file__).resolve().parent.parent
CITED = "You have 30 days to return an item for a full refund [1]."


def wait_for(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.05)
    return result


class Served:
    """`hitl serve --config FILE` as a real process."""

    def __init__(self, config: Path, db: Path) -> None:
        self.args = [sys.executable, "-m", "hitl", "serve", "--config", str(config)]
        self.args += ["--db", str(db), "--port", str(free_port())]
        self.url = f"http://127.0.0.1:{self.args[-1]}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "HITL_SECRET": "crash-test"}
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

        def up() -> bool:
            try:
                return httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path, model_stub: ModelStub) -> Iterator[Served]:
    config = tmp_path / "company.toml"
    config.write_text(
        f"""
[knowledge]
path = "{EXAMPLE_DIR / "kb"}"
[bot]
kind = "openai"
base_url = "{model_stub.base_url}"
model = "stub"
retries = 0
""",
        "utf-8",
    )
    server = Served(config, tmp_path / "hitl.db")
    yield server
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        server.process.wait(timeout=10)


def test_kill_9_while_drafting_then_restart_drafts_once(
    served: Served, model_stub: ModelStub, tmp_path: Path
) -> None:
    model_stub.default = Turn(reply=CITED)
    model_stub.then(Turn(reply="never delivered [1]", latency=30))
    served.start()
    chat = httpx.post(served.url + "/v1/channel/conversations", json={"customer": {"name": "Jo"}})
    cid, token = chat.json()["id"], chat.json()["customer_token"]
    said = httpx.post(
        f"{served.url}/v1/channel/conversations/{cid}/messages",
        json={"text": "How long do I have to return something?"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert said.status_code in (200, 201)
    wait_for(lambda: len(model_stub.requests) == 1)  # the model is writing
    served.kill()

    served.start()
    store = Store(tmp_path / "hitl.db")
    try:
        drafts = wait_for(lambda: store.db.execute("SELECT text FROM drafts").fetchall())
        assert drafts == [(CITED,)]
        # Closed with its draft (two attempts: the killed one and this one): no later
        # start has anything left to draft for this message.
        jobs = store.db.execute("SELECT state, attempts FROM draft_jobs").fetchall()
        assert jobs == [("done", 2)]
    finally:
        store.close()
    assert len(model_stub.requests) == 2
