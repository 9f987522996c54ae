"""Reviewer metrics and the oversight report: built from a seeded database, matching the API."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from backend.checkpoints import generate_key, load_private_key, sign
from backend.domain.journal import Checkpoint
from backend.report import render
from backend.settings import Settings
from backend_client import CalibrationItem, ReasonCode, ReviewerReport
from hitl.cli import main
from tests.helpers import Backend, ManualClock, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "h.db", secret="s", reading_words_per_second=4)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def _seed(backend: Backend, clock: ManualClock) -> None:
    """Day 1: alice approves one slowly and one fast, edits one; bob rejects one.
    Day 2: alice misses a calibration draft, bob catches one; a complaint waits 10 minutes;
    an admin erases a person; everything closes."""
    async with backend.client("sam") as sam:
        await sam.load_calibration(
            [
                CalibrationItem(
                    customer_message="Refund?",
                    bad_draft="No refunds ever.",
                    what_is_wrong="30-day refunds",
                )
            ]
        )
    drafts = []
    for n in range(4):
        chat = await backend.chat(CONFIDENT)
        drafts.append((chat, await pending_draft(backend, chat)))
        if n == 0:
            words = len(drafts[0][1].text.split())
            clock.advance(words / 4 * 2)  # twice the reading time: a careful approval
    async with backend.client("alice") as alice, backend.client("bob") as bob:
        await alice.approve(drafts[0][1].id, drafts[0][1].version)
        await alice.approve_confirmed(drafts[1][1].id, drafts[1][1].version, words)  # fast
        await alice.edit(drafts[2][1].id, drafts[2][1].version, "Two days.", ReasonCode.TONE)
        await bob.reject(drafts[3][1].id, drafts[3][1].version, ReasonCode.INCORRECT)

    clock.advance(86400)
    service = backend.app.state.hitl
    cal_a, cal_b = service.seed_calibration(), service.seed_calibration()
    async with backend.client("alice") as alice, backend.client("bob") as bob:
        first = (await alice.get_conversation(cal_a)).draft
        second = (await bob.get_conversation(cal_b)).draft
        assert first and second
        clock.advance(30)
        await alice.approve(first.id, first.version)
        await bob.reject(second.id, second.version, ReasonCode.INCORRECT)
    complaining = await backend.chat("Hello")
    async with backend.channel() as channel:
        await channel.complain(complaining, "Nobody answers me")
    clock.advance(600)
    async with backend.client("bob") as bob:
        detail = await bob.get_conversation(complaining.id)
        await bob.takeover(complaining.id, detail.version, ReasonCode.CUSTOMER_REQUEST)
    async with backend.client("ada") as ada:
        await ada.erase_person("jo@example.com")


async def test_reviewer_metrics_by_hand(backend: Backend, clock: ManualClock) -> None:
    start = clock.now
    await _seed(backend, clock)
    async with backend.client("sam") as sam:
        report: ReviewerReport = await sam.reviewer_metrics(since=start - timedelta(hours=1))
    alice, bob = (next(m for m in report.reviewers if m.name == n) for n in ("alice", "bob"))
    assert (alice.decisions, alice.approvals, alice.fast_approvals) == (4, 3, 1)
    assert alice.fast_share == round(1 / 3, 4)
    assert (alice.calibration_seen, alice.calibration_caught, alice.catch_rate) == (1, 0, 0.0)
    assert (bob.calibration_seen, bob.calibration_caught, bob.catch_rate) == (1, 1, 1.0)
    assert alice.override_rate == round(1 / 3, 4) and bob.override_rate == 1.0
    assert [p.decisions for p in alice.trend] == [3, 1]
    assert alice.median_seconds_per_100_words is not None
    assert alice.trend[1].median_seconds_per_100_words == pytest.approx(30 * 100 / 3, abs=0.01)


async def test_the_report_builds_from_a_seeded_database_and_matches_the_api(
    backend: Backend, clock: ManualClock
) -> None:
    start = clock.now - timedelta(hours=1)
    await _seed(backend, clock)
    async with backend.client("sam") as sam:
        figures = await sam.oversight_report(start, checkpoint=(3, "not-the-head"))
        reviewers = await sam.reviewer_metrics(since=start)
    page = render(figures)

    found = re.search(r'id="figures">(.*?)</script>', page, re.S)
    assert found is not None
    embedded = json.loads(found.group(1))
    assert embedded == figures.model_dump(mode="json")
    assert embedded["reviewers"] == reviewers.model_dump(mode="json")["reviewers"]
    assert figures.decisions == 4 and figures.overrides == 2 and figures.override_rate == 0.5
    assert f'id="override-rate">{figures.override_rate * 100:.1f}%' in page
    assert (figures.calibration_caught, figures.calibration_missed) == (1, 1)
    assert {r.key: r.count for r in figures.override_reasons} == {"tone": 1, "incorrect": 1}
    complaint = next(r for r in figures.escalations if r.reason == "complaint")
    assert (complaint.count, complaint.taken, complaint.over_sla) == (1, 1, 0)
    assert complaint.median_wait_seconds is not None and 600 <= complaint.median_wait_seconds < 601
    assert len(figures.erasures) == 5 and figures.journal.ok
    assert figures.checkpoint is not None and figures.checkpoint.startswith("FAILED")
    assert len(figures.override_trend) == 1  # calibration decisions are not the AI's record
    # Self-contained: nothing is fetched (the SVG namespace is a name, not a request).
    assert not re.search(r"\b(src|href)=|<link|<img|@import|url\(", page)
    assert page.count("<svg") >= 4


async def test_hitl_report_writes_the_page(
    live_backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    chat = await live_backend.chat("Where is <script>alert(1)</script> my order?")
    draft = await pending_draft(live_backend, chat)
    async with live_backend.client("alice") as alice:
        await alice.edit(draft.id, draft.version, "Today.", ReasonCode.OTHER, note="<b>x</b>")
    db = str(live_backend.app.state.settings.db_path)
    checkpoint = tmp_path / "cp.json"
    monkeypatch.setenv("HITL_SECRET", "s")
    assert main(["audit", "checkpoint", "--db", db, "--out", str(checkpoint)]) == 0
    kept = Checkpoint.loads(checkpoint.read_text())
    public = generate_key(tmp_path / "signing.key")
    signed = tmp_path / "signed.json"
    signed.write_text(sign(kept, load_private_key(tmp_path / "signing.key"), datetime.now(UTC)))
    monkeypatch.setenv("HITL_URL", live_backend.url)
    monkeypatch.setenv("HITL_TOKEN", live_backend.tokens["sam"])
    out = tmp_path / "report.html"
    argv = ["report", "--since", "2000-01-01", "--out", str(out), "--checkpoint", str(signed)]
    assert await asyncio.to_thread(main, [*argv, "--public-key", str(public)]) == 0
    page = out.read_text()
    assert "The journal verifies" in page and "Checkpoint: holds" in page
    assert "its signature by signing.key.pub holds" in page
    unsigned = [*argv[:-1], str(checkpoint), "--public-key", str(public)]
    assert await asyncio.to_thread(main, unsigned) == 0
    assert "its signature FAILED: the checkpoint is not signed" in out.read_text()
    assert "<script>alert" not in page and "<b>x</b>" not in page


async def test_a_checkpoint_count_past_64_bits_is_a_bad_field_not_a_crash(
    backend: Backend,
) -> None:
    """Found by the schema fuzzer: 2**63 reached SQLite and came back as a 500."""
    async with httpx.AsyncClient(
        transport=backend.transport,
        base_url=backend.url,
        headers={"Authorization": "Bearer " + backend.tokens["sam"]},
    ) as http:
        response = await http.get(
            "/v1/reports/oversight",
            params={"checkpoint_entries": str(2**63), "checkpoint_head": "x"},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("checkpoint_entries")
