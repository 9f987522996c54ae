"""Races: many operators deciding one draft or one conversation at once; exactly one wins.

Every round's losers get 409 or 412 (never a second reply to the customer,
never a second journal entry), and the journal verifies after all of them.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from backend.domain.journal import verify_chain
from backend_client import Role
from tests.helpers import BASE, Backend, pending_draft

OPERATORS = 20
ROUNDS = 4


def _bodies(kind: str) -> tuple[str, dict[str, object] | None]:
    if kind == "approve":
        return "approve", None
    if kind == "edit":
        return "edit", {"text": "A person's answer.", "reason_code": "tone"}
    return "reject", {"reason_code": "policy"}


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_many_operators_one_draft_exactly_one_winner(backend: Backend, round_: int) -> None:
    tokens = [backend.store.add_operator(f"op{i}", Role.AGENT)[1] for i in range(OPERATORS)]
    chat = await backend.chat("Where is my parcel?")
    draft = await pending_draft(backend, chat)
    rng = random.Random(round_)

    async def decide(token: str) -> int:
        action, body = _bodies(rng.choice(["approve", "edit", "reject"]))
        async with httpx.AsyncClient(transport=backend.transport, base_url=BASE) as http:
            response = await http.post(
                f"/v1/drafts/{draft.id}/{action}",
                json=body,
                headers={"Authorization": f"Bearer {token}", "If-Match": f'"{draft.version}"'},
            )
        return response.status_code

    statuses = await asyncio.gather(*(decide(t) for t in tokens))

    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}, statuses
    entries = [e for e in backend.store.list_audit(limit=1000).items if e.draft_id == draft.id]
    assert len(entries) == 1
    async with backend.channel() as channel:
        replies = [m for m in await channel.messages(chat) if m.author in ("ai", "human")]
    assert len(replies) <= 1
    assert verify_chain(backend.store.audit_rows(), "test-secret").ok


async def test_many_operators_one_takeover_exactly_one_holder(backend: Backend) -> None:
    tokens = [backend.store.add_operator(f"t{i}", Role.AGENT)[1] for i in range(OPERATORS)]
    chat = await backend.chat("I want to talk to a human")
    async with backend.client("alice") as alice:
        version = (await alice.get_conversation(chat.id)).version

    async def take(token: str) -> int:
        async with httpx.AsyncClient(transport=backend.transport, base_url=BASE) as http:
            response = await http.post(
                f"/v1/conversations/{chat.id}/takeover",
                json={"reason_code": "customer_request"},
                headers={"Authorization": f"Bearer {token}", "If-Match": f'"{version}"'},
            )
        return response.status_code

    statuses = await asyncio.gather(*(take(t) for t in tokens))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}
    takeovers = [
        e
        for e in backend.store.list_audit(limit=1000).items
        if e.conversation_id == chat.id and e.action == "takeover"
    ]
    assert len(takeovers) == 1
