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
