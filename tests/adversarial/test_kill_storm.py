"""kill -9 in the middle of a decision storm against a real `hitl serve` on loopback.

Clients approve many drafts at once, each with its own Idempotency-Key; the
server process is SIGKILLed mid-storm. After a restart: every decision that
got a 2xx is there (durable), the journal verifies, and retrying every request
with its key answers 200 (the first answer, or the decision applied now) —
never a 409 for a decision its own sender made.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from backend.domain.journal import verify_chain
from backend.store import Store
from backend_client import ChannelClient, Role

SECRET = "storm-secret"
CHATS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(db: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`hitl serve` as a child process (killed however the test ends)."""
    env = {**os.environ, "HITL_SECRET": SECRET}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hitl",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--log-level",
            "error",
        ],
        env=env,
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


async def _ready(url: str, token: str) -> None:
    # Up to 60 s: on a loaded 2-core CI machine, a cold `hitl serve` has taken over 10 s.
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(1200):
            with contextlib.suppress(httpx.TransportError):
                if (
                    await http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
                ).is_success:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError("hitl serve did not start")


async def test_every_2xx_survives_a_kill_9_and_retries_answer_200(tmp_path: Path) -> None:
    db = tmp_path / "storm.db"
    store = Store(db)
    _, token = store.add_operator("alice", Role.AGENT)
    store.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}"}

    with serving(db, port) as server:
        await _ready(url, token)
        async with ChannelClient(url) as channel:
            chats = [await channel.start_chat(f"C{i}") for i in range(CHATS)]
            for chat in chats:
                await channel.say(chat, "Where is my parcel?")
        async with httpx.AsyncClient(base_url=url, headers=auth) as http:
            drafts = []
            for chat in chats:
                for _ in range(100):
                    detail = (await http.get(f"/v1/conversations/{chat.id}")).json()
                    if detail["draft"]:
                        break
                    await asyncio.sleep(0.02)
                drafts.append(detail["draft"])

            ok: dict[str, int] = {}

            async def approve(draft: dict[str, object]) -> None:
                with contextlib.suppress(httpx.TransportError):
                    response = await http.post(
                        f"/v1/drafts/{draft['id']}/approve",
                        headers={
                            "Idempotency-Key": f"k-{draft['id']}",
                            "If-Match": f'"{draft["version"]}"',
                        },
                    )
                    if response.is_success:
                        ok[str(draft["id"])] = response.status_code

            storm = [asyncio.create_task(approve(d)) for d in drafts]
            await asyncio.sleep(0.05)
            os.kill(server.pid, signal.SIGKILL)
            await asyncio.gather(*storm)

    survived = Store(db)
    try:
        for did in ok:
            draft = survived.draft(did)
            assert draft is not None and draft.status == "approved", did
        assert verify_chain(survived.audit_rows(), SECRET).ok
    finally:
        survived.close()

    with serving(db, port):
        await _ready(url, token)
        async with httpx.AsyncClient(base_url=url, headers=auth) as http:
            for draft in drafts:
                retry = await http.post(
                    f"/v1/drafts/{draft['id']}/approve",
                    headers={
                        "Idempotency-Key": f"k-{draft['id']}",
                        "If-Match": f'"{draft["version"]}"',
                    },
                )
                assert retry.status_code == 200, (draft["id"], draft["id"] in ok, retry.text)
