"""Calibration drafts: known-bad drafts among real ones, never reaching anyone, scored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from backend_client import (
    Author,
    CalibrationItem,
    ConversationStatus,
    ForbiddenError,
    ReasonCode,
)
from hitl.cli import main
from tests.helpers import Backend

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

ITEMS = [
    CalibrationItem(
        customer_message="Can I return shoes I wore outside?",
        bad_draft="Yes, any item can be returned within 365 days, worn or not.",
        what_is_wrong="worn items cannot be returned; the window is 30 days",
    ),
    CalibrationItem(
        customer_message="Do you ship to Canada?",
        bad_draft="No, we only ship within the EU.",
        what_is_wrong="we ship to Canada (7-10 days)",
    ),
]


async def _seeded(backend: Backend) -> list[str]:
    """The ids of the seeded conversations (looked up behind the API: reviewers cannot)."""
    rows = backend.store.db.execute(
        "SELECT id FROM conversations WHERE calibration_id IS NOT NULL ORDER BY created_at"
    )
    return [r[0] for r in rows]


async def test_seeded_drafts_look_real_never_reach_anyone_and_are_scored(
    backend: Backend,
) -> None:
    async with backend.client("sam") as sam:
        state = await sam.load_calibration(ITEMS)
        assert state.items == 2
        await sam.set_calibration_rate(0.5)
    for n in range(4):
        await backend.chat(f"Hello number {n}")
    seeded = await _seeded(backend)
    assert len(seeded) == 2  # half of four chats brought one along

    async with backend.client("alice") as alice:
        queue = {c.id: c for c in (await alice.list_conversations()).items}
        real = next(c for c in queue.values() if c.id not in seeded)
        fake = queue[seeded[0]]
        # Same fields, same kinds of values: nothing on the wire gives a seeded one away.
        assert fake.model_dump().keys() == real.model_dump().keys()
        assert fake.status is ConversationStatus.AWAITING_REVIEW and fake.customer.email is None
        first = await alice.get_conversation(seeded[0])
        assert first.draft is not None and first.draft.text == ITEMS[0].bad_draft
        done = await alice.approve(first.draft.id, first.draft.version)
        second = await alice.get_conversation(seeded[1])
        assert second.draft is not None
        caught = await alice.edit(
            second.draft.id, second.draft.version, "Yes, 7-10 days.", ReasonCode.INCORRECT
        )
    assert done.status is ConversationStatus.CLOSED
    told = done.messages[-1]
    assert told.author is Author.SYSTEM and "a miss" in told.text
    assert ITEMS[0].what_is_wrong in told.text
    assert "a catch" in caught.messages[-1].text

    # No customer channel: no token opens a seeded conversation.
    async with httpx.AsyncClient(base_url=backend.url, transport=backend.transport) as http:
        for token in ("", "calibration: no customer channel", backend.tokens["alice"]):
            response = await http.get(
                f"/v1/channel/conversations/{seeded[0]}/messages",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code in (401, 404)

    async with backend.client("sam") as sam:
        state = await sam.calibration()
    assert (state.seeded, state.catches, state.misses) == (2, 1, 1)
    async with backend.client("ada") as ada:
        pairs = (await ada.training_pairs()).items
    assert not {p.conversation_id for p in pairs} & set(seeded)


async def test_only_supervisors_load_and_seed(backend: Backend) -> None:
    async with backend.client("alice") as alice:
        with pytest.raises(ForbiddenError):
            await alice.load_calibration(ITEMS)
        with pytest.raises(ForbiddenError):
            await alice.set_calibration_rate(1)


async def test_a_supervisor_loads_a_file_from_the_command_line(
    live_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    lines = tmp_path / "bad.jsonl"
    lines.write_text("\n".join(item.model_dump_json() for item in ITEMS) + "\n")
    monkeypatch.setenv("HITL_URL", live_backend.url)
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["sam"])
    argv = ["calibration", "load", str(lines), "--rate", "0.25"]
    assert await asyncio.to_thread(main, argv) == 0
    assert "2 calibration drafts loaded; seeding rate 0.25" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["calibration", "status"]) == 0
    assert "items 2  rate 0.25  seeded 0" in capsys.readouterr().out
    lines.write_text('[{"customer_message": "x"}]')
    with pytest.raises(SystemExit, match="bad_draft"):
        main(["calibration", "load", str(lines)])
