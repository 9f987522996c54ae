"""Friction where review is too fast (AI Act art. 14(4)(b)): confirm, and a run is flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.domain.review_speed import confirmation_matches, reading_check
from backend.settings import Settings
from backend_client import Action, ConfirmationRequiredError
from tests.helpers import Backend, ManualClock, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

CONFIDENT = "How long does shipping take?"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "h.db", secret="s", reading_words_per_second=4, fast_run_flag=2
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def test_the_rule_compares_reading_time_with_time_taken() -> None:
    check = reading_check("one two three four five six seven eight", 1.0, 4)
    assert (check.words, check.seconds_needed, check.too_fast) == (8, 2.0, True)
    assert not confirmation_matches(check, None) and not confirmation_matches(check, 7)
    assert confirmation_matches(check, 8)
    assert confirmation_matches(reading_check("one two", 1.0, 4), None)


async def test_a_fast_approval_needs_the_drafts_length_confirmed(
    backend: Backend, clock: ManualClock
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    words = len(draft.text.split())
    async with backend.client("alice") as alice:
        with pytest.raises(ConfirmationRequiredError) as refused:
            await alice.approve(draft.id, draft.version)
        assert refused.value.words == words
        assert f"{words} words" in str(refused.value.problem.detail)
        with pytest.raises(ConfirmationRequiredError):
            await alice.approve_confirmed(draft.id, draft.version, words - 1)
        sent = await alice.approve_confirmed(draft.id, draft.version, words)
    assert sent.messages[-1].text == draft.text


async def test_an_approval_after_reading_time_needs_nothing_more(
    backend: Backend, clock: ManualClock
) -> None:
    chat = await backend.chat(CONFIDENT)
    draft = await pending_draft(backend, chat)
    clock.advance(len(draft.text.split()) / 4 + 0.5)
    async with backend.client("alice") as alice:
        await alice.approve(draft.id, draft.version)


async def test_a_run_of_fast_approvals_is_flagged_to_supervisors(
    backend: Backend, clock: ManualClock
) -> None:
    for _ in range(2):
        chat = await backend.chat(CONFIDENT)
        draft = await pending_draft(backend, chat)
        async with backend.client("bob") as bob:
            await bob.approve_confirmed(draft.id, draft.version, len(draft.text.split()))
    async with backend.client("sam") as sam:
        flags = (await sam.list_audit(action=Action.FLAG_FAST_RUN.value)).items
    assert len(flags) == 1 and flags[0].actor == "system"
    assert flags[0].note is not None and flags[0].note.startswith("bob (")
