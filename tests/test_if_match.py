"""Stale is stale: an If-Match behind the current version is 412, whoever sends it (14.8)."""

from __future__ import annotations

import pytest

from backend_client import ReasonCode, StaleVersionError
from tests.helpers import Backend

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


async def test_the_holder_taking_over_again_with_a_stale_version_gets_412(
    backend: Backend,
) -> None:
    chat = await backend.chat("I want to speak to a person")
    async with backend.client("alice") as alice:
        before = await alice.get_conversation(chat.id)
        held = await alice.takeover(chat.id, before.version, ReasonCode.POLICY)
        assert held.version > before.version
        with pytest.raises(StaleVersionError):
            await alice.takeover(chat.id, before.version, ReasonCode.POLICY)
        # With the current version it is a harmless repeat: the same hold, no new entry.
        again = await alice.takeover(chat.id, held.version, ReasonCode.POLICY)
    assert again.version == held.version
