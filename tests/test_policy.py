"""The pure rules in `backend.domain.policy`: the review gate, reasons, texts, If-Match, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.domain import policy
from backend.domain.policy import Permission
from backend.errors import Forbidden, Invalid, StaleVersion
from backend.settings import ReviewSettings
from backend_client import DRAFT_REASONS, TAKEOVER_REASONS, Flag, ReasonCode, ReviewMode, Role

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def gate(mode: ReviewMode, flags: set[Flag], confidence: float) -> policy.GateDecision:
    review = ReviewSettings(mode=mode, confidence_threshold=0.75, hold_seconds=10)
    return policy.review_gate(flags, confidence, review, NOW)


# -- the review gate -------------------------------------------------------------------------


@pytest.mark.parametrize("flags", [set(), {Flag.REFUND}, {Flag.LOW_CONFIDENCE, Flag.PII}])
@pytest.mark.parametrize("confidence", [0.0, 0.5, 0.75, 1.0])
def test_mode_all_holds_every_draft_for_a_human(flags: set[Flag], confidence: float) -> None:
    decision = gate(ReviewMode.ALL, flags, confidence)
    assert decision.send_now is False
    assert decision.send_at is None


@pytest.mark.parametrize("confidence", [0.75, 0.76, 0.99, 1.0])
def test_mode_flagged_lets_confident_clean_drafts_out_after_the_hold(confidence: float) -> None:
    decision = gate(ReviewMode.FLAGGED, set(), confidence)
    assert decision.send_now is False
    assert decision.send_at == NOW + timedelta(seconds=10)


@pytest.mark.parametrize("confidence", [0.0, 0.45, 0.7499])
def test_mode_flagged_holds_unsure_drafts(confidence: float) -> None:
    decision = gate(ReviewMode.FLAGGED, set(), confidence)
    assert (decision.send_now, decision.send_at) == (False, None)


@pytest.mark.parametrize("flag", list(Flag))
def test_mode_flagged_holds_any_flagged_draft_however_confident(flag: Flag) -> None:
    decision = gate(ReviewMode.FLAGGED, {flag}, 1.0)
    assert (decision.send_now, decision.send_at) == (False, None)


def test_mode_flagged_reads_flags_from_a_one_shot_iterable() -> None:
    review = ReviewSettings(mode=ReviewMode.FLAGGED)
    decision = policy.review_gate(iter([Flag.LEGAL]), 1.0, review, NOW)
    assert decision.send_at is None


def test_mode_flagged_threshold_and_hold_come_from_settings() -> None:
    review = ReviewSettings(mode=ReviewMode.FLAGGED, confidence_threshold=0.9, hold_seconds=0)
    assert policy.review_gate(set(), 0.89, review, NOW).send_at is None
    assert policy.review_gate(set(), 0.9, review, NOW).send_at == NOW


@pytest.mark.parametrize("flags", [set(), {Flag.PROMPT_INJECTION}])
def test_mode_off_sends_at_once(flags: set[Flag]) -> None:
    assert gate(ReviewMode.OFF, flags, 0.1).send_now is True


# -- reasons and texts ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [c for c in ReasonCode if c is not ReasonCode.OTHER])
def test_reasons_other_than_other_need_no_note(code: ReasonCode) -> None:
    assert policy.check_reason(code, None, takeover=code not in DRAFT_REASONS) is None


@pytest.mark.parametrize("code", [c for c in TAKEOVER_REASONS if c not in DRAFT_REASONS])
def test_takeover_reasons_are_refused_on_a_draft_and_accepted_on_a_takeover(
    code: ReasonCode,
) -> None:
    with pytest.raises(Invalid, match="reason to take over"):
        policy.check_reason(code, None)
    assert policy.check_reason(code, None, takeover=True) is None


@pytest.mark.parametrize("note", [None, "", "   ", "\n"])
def test_other_needs_a_note(note: str | None) -> None:
    with pytest.raises(Invalid) as caught:
        policy.check_reason(ReasonCode.OTHER, note)
    assert [e.field for e in caught.value.errors] == ["note"]
    assert caught.value.status == 422


def test_notes_are_trimmed_and_blank_ones_dropped() -> None:
    assert policy.check_reason(ReasonCode.OTHER, "  wrong store  ") == "wrong store"
    assert policy.check_reason(ReasonCode.TONE, "   ") is None


def test_a_note_must_fit() -> None:
    assert policy.check_reason(ReasonCode.TONE, "n" * policy.NOTE_LIMIT) == "n" * policy.NOTE_LIMIT
    with pytest.raises(Invalid) as caught:
        policy.check_reason(ReasonCode.TONE, "n" * (policy.NOTE_LIMIT + 1))
    assert [e.field for e in caught.value.errors] == ["note"]


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\u3000"])
def test_blank_text_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        policy.check_text("instruction", text, 100)
    assert [e.field for e in caught.value.errors] == ["instruction"]


def test_text_limit_is_inclusive() -> None:
    assert policy.check_text("text", "x" * 10, 10) == "x" * 10
    with pytest.raises(Invalid, match="at most 10"):
        policy.check_text("text", "x" * 11, 10)


def test_text_is_returned_unchanged() -> None:
    assert policy.check_text("text", "  Hello\n", 100) == "  Hello\n"


# -- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ('"3"', 3), ("3", 3), ('W/"3"', 3), (' "12" ', 12), ('"0"', 0)],
)
def test_parse_if_match(header: str | None, version: int | None) -> None:
    assert policy.parse_if_match(header) == version


@pytest.mark.parametrize("header", ['"abc"', '""', "*", '"1.5"', "three", '"3", "4"'])
def test_parse_if_match_refuses_what_is_not_a_version(header: str) -> None:
    with pytest.raises(Invalid) as caught:
        policy.parse_if_match(header)
    assert [e.field for e in caught.value.errors] == ["If-Match"]


def test_check_version() -> None:
    policy.check_version(None, 7, "draft")
    policy.check_version(7, 7, "draft")
    with pytest.raises(StaleVersion, match="version 6, it is now 7") as caught:
        policy.check_version(6, 7, "draft")
    assert caught.value.status == 412


# -- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "permission",
    [Permission.DECIDE, Permission.SUPERVISE, Permission.AUDIT, Permission.UNMASKED],
)
def test_trainer_is_read_only_and_masked(permission: Permission) -> None:
    assert policy.may(Role.TRAINER, Permission.READ)
    assert not policy.may(Role.TRAINER, permission)
    with pytest.raises(Forbidden, match="trainer") as caught:
        policy.require(Role.TRAINER, permission)
    assert caught.value.status == 403


@pytest.mark.parametrize("permission", [Permission.SUPERVISE, Permission.AUDIT])
def test_agent_decides_but_does_not_supervise(permission: Permission) -> None:
    assert policy.may(Role.AGENT, Permission.READ)
    assert policy.may(Role.AGENT, Permission.DECIDE)
    assert policy.may(Role.AGENT, Permission.UNMASKED)
    with pytest.raises(Forbidden, match="agent"):
        policy.require(Role.AGENT, permission)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
@pytest.mark.parametrize(
    "permission",
    [
        Permission.READ,
        Permission.DECIDE,
        Permission.SUPERVISE,
        Permission.AUDIT,
        Permission.METRICS,
        Permission.UNMASKED,
    ],
)
def test_supervisor_and_admin_may_do_everything_an_operator_does(
    role: Role, permission: Permission
) -> None:
    policy.require(role, permission)


def test_every_role_has_an_entry() -> None:
    assert set(policy.ROLE_PERMISSIONS) == set(Role)
