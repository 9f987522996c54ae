"""`since`/`until` are instants, not strings (14.6): offsets count, garbage is a 422."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import httpx
import pytest

from backend_client import InvalidRequestError, ReasonCode
from hitl.cli import main
from tests.helpers import BASE, Backend, pending_draft

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


async def _one_override(backend: Backend) -> None:
    chat = await backend.chat("Where is my parcel?")
    draft = await pending_draft(backend, chat)
    async with backend.client("alice") as alice:
        await alice.edit(draft.id, draft.version, "It ships today.", ReasonCode.TONE)


async def test_an_equal_instant_in_another_offset_finds_the_same_entries(
    backend: Backend,
) -> None:
    await _one_override(backend)
    async with backend.client("ada") as ada:
        entry = (await ada.list_audit()).items[-1]
        # The same instant written two hours ahead: the entry is at or after it.
        plus_two = entry.at.astimezone(timezone(timedelta(hours=2)))
        found = await ada.list_audit(since=plus_two.isoformat())
        pairs = await ada.training_pairs(since=plus_two.isoformat())
        none_before = await ada.list_audit(until=plus_two.isoformat())
    assert entry.seq in [e.seq for e in found.items]
    assert len(pairs.items) == 1
    assert entry.seq not in [e.seq for e in none_before.items]


@pytest.mark.parametrize(
    ("path", "param"),
    [("/v1/audit", "since"), ("/v1/audit", "until"), ("/v1/training/pairs", "since")],
)
async def test_a_time_that_is_not_one_is_422_naming_the_parameter(
    backend: Backend, path: str, param: str
) -> None:
    async with httpx.AsyncClient(transport=backend.transport, base_url=BASE) as raw:
        response = await raw.get(
            path,
            params={param: "not-a-date"},
            headers={"Authorization": f"Bearer {backend.tokens['ada']}"},
        )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [param]


async def test_the_client_raises_a_typed_error_naming_the_field(backend: Backend) -> None:
    async with backend.client("ada") as ada:
        with pytest.raises(InvalidRequestError) as caught:
            await ada.list_audit(since="not-a-date")
    assert [e.field for e in caught.value.problem.errors] == ["since"]


@pytest.mark.parametrize("command", ["audit export --db {db}", "export pairs"])
def test_the_cli_says_a_since_is_not_a_date(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*command.format(db=tmp_path / "x.db").split(), "--since", "not-a-date"])
    assert stopped.value.code == 2
    assert "not a date" in capsys.readouterr().err
