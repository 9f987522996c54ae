"""`hitl erase --email` and `hitl dsr export`, run as a person would, against a live backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from hitl.cli import main
from tests.helpers import Backend


async def _run(*argv: str) -> int:
    # main() runs its own event loop: off this test's loop, in a thread.
    return await asyncio.to_thread(main, list(argv))


async def test_dsr_export_then_erase_by_email(
    live_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    ids = []
    for text in ("Where is my order?", "Hello again"):
        async with live_backend.channel() as channel:
            chat = await channel.start_chat("Jo Export", "jo.export@example.com")
            await channel.say(chat, text)
            ids.append(chat.id)
    monkeypatch.setenv("HITL_URL", live_backend.url)
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["ada"])
    out = tmp_path / "jo.json"

    assert await _run("dsr", "export", "--email", "jo.export@example.com", "--out", str(out)) == 0
    assert "2/2 conversations" in capsys.readouterr().err
    document = json.loads(out.read_text())
    assert [c["id"] for c in document["conversations"]] == ids
    assert document["conversations"][0]["messages"][1]["text"] == "Where is my order?"

    assert await _run("erase", "--email", "jo.export@example.com") == 0
    printed = capsys.readouterr()
    assert printed.out.split() == ids and "2 conversation(s)" in printed.err
    assert await _run("dsr", "export", "--email", "jo.export@example.com") == 1
    assert await _run("erase") == 2
