"""The console's picture of the queue, driven by snapshots and live events."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from typing import Any

from backend_client import ConversationStatus, ConversationSummary, Customer, Event, EventType
from console.live.queue_rows import QueueRow
from console.live.queue_state import QueueFilter, QueueState

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
_event_ids = iter(range(1, 1_000_000))


def summary(
    cid: str,
    status: ConversationStatus = ConversationStatus.BOT,
    *,
    version: int = 1,
    waiting: int | None = None,
    updated: int = 0,
    holder: str | None = None,
    **extra: Any,
) -> ConversationSummary:
    """A queue row; `waiting`/`updated` are minutes after T0."""
    return ConversationSummary(
        id=cid,
        status=status,
        version=version,
        holder=holder,
        customer=Customer(name=f"Customer {cid}"),
        waiting_since=T0 + timedelta(minutes=waiting) if waiting is not None else None,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=updated),
        **extra,
    )


def event(type: EventType, data: ConversationSummary | dict[str, Any]) -> Event:
    payload = data.model_dump(mode="json") if isinstance(data, ConversationSummary) else data
    cid = payload.get("id")
    return Event(id=next(_event_ids), type=type, at=T0, conversation_id=cid, data=payload)


def updated(s: ConversationSummary) -> Event:
    return event(EventType.CONVERSATION_UPDATED, s)


def ids(rows: list[QueueRow]) -> list[str]:
    return [row.id for row in rows]


def test_snapshot_then_events() -> None:
    state = QueueState()
    state.load([summary("a", waiting=5), summary("b", waiting=1)])
    assert ids(state.rows()) == ["b", "a"]

    changed = state.apply(event(EventType.CONVERSATION_CREATED, summary("c", waiting=0)))
    assert changed == {"c"}
    assert ids(state.rows()) == ["c", "b", "a"]

    changed = state.apply(updated(summary("c", version=2, waiting=None)))
    assert changed == {"c"}
    assert ids(state.rows()) == ["b", "a", "c"]
    assert state.get("c").version == 2  # type: ignore[union-attr]


def test_a_new_snapshot_replaces_everything() -> None:
    state = QueueState()
    state.load([summary("a"), summary("b")])
    state.load([summary("c"), summary("d", ConversationStatus.CLOSED)])
    assert ids(state.rows()) == ["c"]
    assert "a" not in state and len(state) == 1


def test_an_out_of_order_older_version_is_ignored() -> None:
    state = QueueState()
    state.load([summary("a", ConversationStatus.BOT, version=3)])
    changed = state.apply(updated(summary("a", ConversationStatus.ESCALATED, version=2)))
    assert changed == set()
    assert state.get("a").status is ConversationStatus.BOT  # type: ignore[union-attr]


def test_the_same_event_twice_changes_nothing_the_second_time() -> None:
    state = QueueState()
    e = event(EventType.CONVERSATION_CREATED, summary("a"))
    assert state.apply(e) == {"a"}
    assert state.apply(e) == set()


def test_closed_leaves_the_queue_and_a_late_older_update_does_not_bring_it_back() -> None:
    state = QueueState()
    state.load([summary("a", version=1), summary("b", version=1)])
    assert state.apply(updated(summary("a", ConversationStatus.CLOSED, version=3))) == {"a"}
    assert ids(state.rows()) == ["b"]
    assert state.index_of("a") is None

    assert state.apply(updated(summary("a", ConversationStatus.ESCALATED, version=2))) == set()
    assert "a" not in state
    # Reopened later (a newer version) it comes back.
    assert state.apply(updated(summary("a", ConversationStatus.ESCALATED, version=4))) == {"a"}
    assert "a" in state


def test_closing_an_unknown_conversation_changes_nothing() -> None:
    state = QueueState()
    assert state.apply(updated(summary("x", ConversationStatus.CLOSED))) == set()
    assert len(state) == 0


def test_filters_and_counts() -> None:
    state = QueueState()
    state.load(
        [
            summary("bot", ConversationStatus.BOT),
            summary("rev1", ConversationStatus.AWAITING_REVIEW, waiting=3),
            summary("rev2", ConversationStatus.AWAITING_REVIEW, waiting=1),
            summary("esc", ConversationStatus.ESCALATED, waiting=2),
            summary("mine", ConversationStatus.HUMAN, holder="ana", waiting=4),
            summary("theirs", ConversationStatus.HUMAN, holder="bo"),
        ]
    )
    assert ids(state.rows(QueueFilter.REVIEW)) == ["rev2", "rev1"]
    assert ids(state.rows(QueueFilter.ESCALATED)) == ["esc"]
    assert ids(state.rows(QueueFilter.MINE, "ana")) == ["mine"]
    assert state.rows(QueueFilter.MINE, None) == []
    assert state.len_of(QueueFilter.ALL) == 6

    counts = state.counts()
    assert counts[ConversationStatus.AWAITING_REVIEW] == 2
    assert counts[ConversationStatus.ESCALATED] == 1
    assert counts[ConversationStatus.HUMAN] == 2
    assert counts[ConversationStatus.BOT] == 1
    assert counts[ConversationStatus.CLOSED] == 0

    # A takeover moves a row from Escalated to Mine.
    state.apply(updated(summary("esc", ConversationStatus.HUMAN, version=2, holder="ana")))
    assert state.rows(QueueFilter.ESCALATED) == []
    assert ids(state.rows(QueueFilter.MINE, "ana")) == ["mine", "esc"]
    assert state.counts()[ConversationStatus.ESCALATED] == 0
    # A handback empties Mine for that row.
    state.apply(updated(summary("esc", ConversationStatus.BOT, version=3)))
    assert ids(state.rows(QueueFilter.MINE, "ana")) == ["mine"]


def test_sort_order_longest_waiting_first_then_not_waiting_by_update() -> None:
    state = QueueState()
    state.load(
        [
            summary("idle-new", updated=9),
            summary("wait-2", waiting=2, updated=1),
            summary("idle-old", updated=1),
            summary("wait-0b", waiting=0, updated=5),
            summary("wait-0a", waiting=0, updated=3),
        ]
    )
    assert ids(state.rows()) == ["wait-0a", "wait-0b", "wait-2", "idle-old", "idle-new"]


def test_index_and_row_access_without_materialising() -> None:
    state = QueueState()
    state.load([summary(f"c{i}", waiting=i) for i in range(10)])
    assert state.index_of("c7") == 7
    assert state.row_at(7).id == "c7"
    assert state.index_of("c7", QueueFilter.ESCALATED) is None
    assert state.index_of("nope") is None
    state.apply(updated(summary("c7", version=2, waiting=-1)))
    assert state.index_of("c7") == 0
    assert state.row_at(-1).id == "c9"


def test_reset_asks_for_a_reload_and_a_snapshot_clears_it() -> None:
    state = QueueState()
    state.load([summary("a")])
    assert state.apply(event(EventType.RESET, {})) == set()
    assert state.needs_reload
    assert "a" in state  # the old picture stays on screen until the reload arrives
    state.load([summary("b")])
    assert not state.needs_reload


def test_events_that_do_not_change_a_row_are_ignored() -> None:
    state = QueueState()
    state.load([summary("a")])
    message = {
        "id": "m1",
        "conversation_id": "a",
        "author": "customer",
        "text": "hi",
        "created_at": T0.isoformat(),
    }
    assert state.apply(event(EventType.MESSAGE_CREATED, message)) == set()
    assert state.apply(event(EventType.AI_PAUSED, {})) == set()
    assert ids(state.rows()) == ["a"]


def closed(s: ConversationSummary) -> Event:
    return updated(s.model_copy(update={"status": ConversationStatus.CLOSED}))


def test_pages_add_up_to_the_same_queue_as_one_snapshot() -> None:
    # Waiting rows first, then idle ones in creation order, as the backend
    # pages them: the idle ones sort by update here, so later pages land
    # between rows already held, not only at the end.
    items = [
        summary(
            f"w{i}",
            ConversationStatus.AWAITING_REVIEW if i % 3 else ConversationStatus.BOT,
            waiting=i,
            updated=i,
            holder="ana" if i % 4 == 0 else None,
        )
        for i in range(30)
    ] + [
        summary(f"i{i}", ConversationStatus.HUMAN, updated=(i * 7) % 20, holder="bo")
        for i in range(20)
    ]
    whole = QueueState()
    whole.load(items)

    paged = QueueState()
    paged.begin_reload()
    assert paged.add_page(items[:5]) == {f"w{i}" for i in range(5)}
    assert ids(paged.rows()) == [f"w{i}" for i in range(5)]  # drawable before the rest
    for start in range(5, len(items), 12):
        paged.add_page(items[start : start + 12])
    assert paged.end_reload() == set()

    for queue_filter in QueueFilter:
        for me in ("ana", "bo", None):
            assert ids(paged.rows(queue_filter, me)) == ids(whole.rows(queue_filter, me))
    assert paged.counts() == whole.counts()


def test_an_event_newer_than_the_page_that_carries_its_conversation_wins() -> None:
    state = QueueState()
    state.begin_reload()
    state.add_page([summary("a", waiting=1)])
    # Escalated by a live event before its page arrives: the page is older.
    state.apply(updated(summary("b", ConversationStatus.ESCALATED, version=3, waiting=2)))
    assert state.add_page([summary("b", version=2, waiting=2), summary("c", waiting=3)]) == {"c"}
    assert state.get("b").status is ConversationStatus.ESCALATED  # type: ignore[union-attr]
    assert state.end_reload() == set()
    assert ids(state.rows()) == ["a", "b", "c"]
    # A page newer than what the event said does replace it.
    state.begin_reload()
    assert state.add_page([summary("b", version=4, waiting=2)]) == {"b"}
    assert state.get("b").status is ConversationStatus.BOT  # type: ignore[union-attr]


def test_a_conversation_closed_during_a_reload_does_not_come_back_with_its_page() -> None:
    state = QueueState()
    state.load([summary("held", version=1, waiting=1)])
    state.begin_reload()
    state.apply(closed(summary("held", version=3)))  # held before: leaves now
    state.apply(closed(summary("new", version=2)))  # never seen: nothing to remove
    assert "held" not in state
    # Pages read before the closes still carry both, at older versions.
    assert (
        state.add_page([summary("held", version=2, waiting=1), summary("new", waiting=2)]) == set()
    )
    state.end_reload()
    assert len(state) == 0


def test_a_reload_keeps_the_old_rows_until_it_is_complete_then_drops_what_it_lacks() -> None:
    state = QueueState()
    state.load([summary("a", waiting=1), summary("gone", waiting=2), summary("moved", waiting=3)])
    state.begin_reload()
    assert state.add_page([summary("a", waiting=1)]) == set()  # unchanged: nothing to redraw
    assert "gone" in state  # still on screen while the rest is on its way
    # Updated after the request (the keyset pages may skip it as it moves),
    # and created after the request: neither is in any page, both stay.
    state.apply(updated(summary("moved", version=2, waiting=0)))
    state.apply(event(EventType.CONVERSATION_CREATED, summary("born", waiting=4)))
    assert state.end_reload() == {"gone"}
    assert ids(state.rows()) == ["moved", "a", "born"]
    assert not state.reloading


def test_an_abandoned_reload_keeps_every_row() -> None:
    state = QueueState()
    state.load([summary("a"), summary("b")])
    state.begin_reload()
    state.add_page([summary("a")])
    state.abandon_reload()
    assert state.end_reload() == set()
    assert ids(state.rows()) == ["a", "b"]


def test_a_row_keeps_name_preview_and_waiting_time_apart_whatever_the_customer_wrote() -> None:
    tricky = summary("t", waiting=3, last_message="line one\n\x00line\ttwo\x1b[31m").model_copy(
        update={"customer": Customer(name="Eve\x00 Mallory\n")}
    )
    idle = summary("i", updated=7)
    state = QueueState()
    state.load([tricky, idle])
    row = state.get("t")
    assert row is not None
    assert (row.name, row.preview) == ("Eve Mallory · #t", "line one line two")
    assert row.waiting_since == (T0 + timedelta(minutes=3)).timestamp()
    idle_row = state.get("i")
    assert idle_row is not None and idle_row.waiting_since is None


def test_rows_cost_the_garbage_collector_nothing() -> None:
    """Every row the queue keeps is a plain tuple the collector untracks, flags and all."""
    state = QueueState()
    state.load(
        [
            summary("a", ConversationStatus.AWAITING_REVIEW, waiting=1, flags=["refund", "pii"]),
            summary(
                "b", ConversationStatus.ESCALATED, waiting=2, escalation_reason="asked_for_human"
            ),
            summary("c", ConversationStatus.HUMAN, holder="op_1"),
        ]
    )
    state.apply(updated(summary("d", ConversationStatus.BOT, version=2)))
    gc.collect()
    rows = state.view()
    assert len(rows) == 4
    assert not any(gc.is_tracked(row) for row in rows)
