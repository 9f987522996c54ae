"""The conversation status machine: every (status, act) pair, the refused ones included."""

from __future__ import annotations

import itertools

import pytest

from backend.domain.transitions import Act, allows, move
from backend.errors import Conflict
from backend_client import ConversationStatus

BOT = ConversationStatus.BOT
REVIEW = ConversationStatus.AWAITING_REVIEW
ESCALATED = ConversationStatus.ESCALATED
HUMAN = ConversationStatus.HUMAN
CLOSED = ConversationStatus.CLOSED
NO = None
"""Refused."""

# One row per act; columns:      bot        review     escalated  human      closed
EXPECTED: dict[Act, tuple[ConversationStatus | None, ...]] = {
    Act.CUSTOMER_WRITES: (BOT, BOT, ESCALATED, HUMAN, NO),
    Act.DRAFT_WAITS: (REVIEW, REVIEW, NO, NO, NO),
    Act.AI_SENDS: (BOT, BOT, NO, NO, NO),
    Act.DRAFT_DISCARDED: (BOT, BOT, NO, NO, NO),
    Act.ESCALATE: (ESCALATED, ESCALATED, NO, NO, NO),
    Act.TAKEOVER: (HUMAN, HUMAN, HUMAN, NO, NO),
    Act.HANDBACK: (NO, NO, NO, BOT, NO),
    Act.RELEASE: (NO, NO, NO, ESCALATED, NO),
    Act.CLOSE: (CLOSED, CLOSED, CLOSED, CLOSED, NO),
    Act.ERASE: (CLOSED, CLOSED, CLOSED, CLOSED, CLOSED),
}
COLUMNS = (BOT, REVIEW, ESCALATED, HUMAN, CLOSED)


def test_the_grid_names_every_act_and_status() -> None:
    assert set(EXPECTED) == set(Act)
    assert set(COLUMNS) == set(ConversationStatus)


@pytest.mark.parametrize(("status", "act"), list(itertools.product(COLUMNS, Act)))
def test_every_status_and_act(status: ConversationStatus, act: Act) -> None:
    expected = EXPECTED[act][COLUMNS.index(status)]
    assert allows(status, act) is (expected is not None)
    if expected is None:
        with pytest.raises(Conflict) as refused:
            move(status, act)
        assert refused.value.status == 409 and status.value in refused.value.detail
    else:
        assert move(status, act) is expected


def test_the_ai_never_acts_where_a_person_is_needed_or_in_charge() -> None:
    """Invariant 3 and takeovers: escalated, held or closed conversations get no AI text."""
    for status in (ESCALATED, HUMAN, CLOSED):
        for act in (Act.DRAFT_WAITS, Act.AI_SENDS, Act.DRAFT_DISCARDED):
            assert not allows(status, act)


def test_a_closed_conversation_refuses_everything_but_erasure() -> None:
    assert [act for act in Act if allows(CLOSED, act)] == [Act.ERASE]
