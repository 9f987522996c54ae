"""The store on its own: transactions and the events they announce."""

import asyncio

import pytest

from backend.store import Store
from backend_client import Event, EventType
from tests.helpers import Backend, eventually


@pytest.mark.both_stores
async def test_nested_failure_announces_nothing_rolled_back(store: Store) -> None:
    seen: list[Event] = []
    store.listeners.append(seen.extend)
    with store.transaction():
        store.append_event(EventType.AI_PAUSED, None, {"n": 1})
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.append_event(EventType.AI_RESUMED, None, {"n": 2})
                raise RuntimeError("inner fails")
    # A later commit's event comes after everything this one announced (on PostgreSQL
    # the listeners hear from another thread).
    store.append_event(EventType.AI_RESUMED, None, {"n": 3})
    await eventually(lambda: len(seen) >= 2)
    assert [e.data["n"] for e in seen] == [1, 3]
    assert [e.data["n"] for e in store.events_after(0)] == [1, 3]


@pytest.mark.both_stores
def test_override_log_search_finds_other_forms_of_a_word(store: Store) -> None:
    from backend.store import OperatorRecord
    from backend_client import Action, Role

    sam = OperatorRecord(id="op_1", name="sam", role=Role.SUPERVISOR)
    with store.transaction():
        store.append_audit(
            "secret",
            operator=sam,
            action=Action.REJECT,
            reason_code="policy",
            note="customer was refunded twice already",
            conversation_id="c_1",
            draft_id="d_1",
            bot=None,
            ai_text="We will refund you.",
            final_text=None,
        )
    assert [e.seq for e in store.list_audit(q="refunds").items] == [1]
    assert [e.seq for e in store.list_audit(q="twice refund").items] == [1]
    assert store.list_audit(q="voucher").items == []


@pytest.mark.both_stores
def test_override_log_names_the_operator_and_filters_by_name_or_id(store: Store) -> None:
    from backend_client import Action, Role

    alice, _ = store.add_operator("alice", Role.AGENT)
    bob, _ = store.add_operator("bob", Role.AGENT)
    with store.transaction():
        for who in (alice, bob, alice):
            store.append_audit(
                "secret",
                operator=who,
                action=Action.TAKEOVER,
                reason_code="other",
                note=f"by {who.name}",
                conversation_id=None,
                draft_id=None,
                bot=None,
                ai_text=None,
                final_text=None,
            )
    assert [e.actor_name for e in store.list_audit().items] == ["alice", "bob", "alice"]
    assert [e.seq for e in store.list_audit(actor="alice").items] == [3, 1]
    assert [e.seq for e in store.list_audit(actor=bob.id).items] == [2]
    assert store.list_audit(actor="nobody").items == []


async def test_the_backend_keeps_answering_while_the_journal_is_verified(
    live_backend: Backend,
) -> None:
    """Verifying a large journal must not stop everyone else's calls."""
    from backend.store import OperatorRecord
    from backend_client import Action, Role

    store = live_backend.store
    sam = OperatorRecord(id=live_backend.operator_ids["sam"], name="sam", role=Role.SUPERVISOR)
    with store.transaction():
        for n in range(40_000):
            store.append_audit(
                "test-secret",
                operator=sam,
                action=Action.PAUSE if n % 2 else Action.RESUME,
                reason_code=None,
                note=None,
                conversation_id=None,
                draft_id=None,
                bot=None,
                ai_text=None,
                final_text=None,
            )
    finished: list[str] = []
    async with live_backend.client("sam") as client:

        async def verify() -> None:
            result = await client.verify_audit()
            assert result.ok and result.entries == 40_000
            finished.append("verify")

        async def meanwhile() -> None:
            await asyncio.sleep(0.05)  # let the verification start first
            await client.me()
            finished.append("me")

        await asyncio.gather(verify(), meanwhile())
    assert finished == ["me", "verify"]
