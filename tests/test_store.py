"""The store on its own: transactions and the events they announce."""

import pytest

from backend.store import Store
from backend_client import EventType


def test_nested_failure_announces_nothing_rolled_back():
    store = Store(":memory:")
    seen = []
    store.listeners.append(seen.extend)
    with store.transaction():
        store.append_event(EventType.AI_PAUSED, None, {"n": 1})
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.append_event(EventType.AI_RESUMED, None, {"n": 2})
                raise RuntimeError("inner fails")
    assert [e.data["n"] for e in seen] == [1]
    assert [e.data["n"] for e in store.events_after(0)] == [1]


def test_override_log_search_finds_other_forms_of_a_word() -> None:
    from backend.store import OperatorRecord
    from backend_client import Action, Role

    store = Store(":memory:")
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
