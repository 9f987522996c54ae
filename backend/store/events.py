"""The events table: what the service hands over is persisted in order and trimmed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from backend_client import (
    Event,
    EventType,
)

from .common import Connection, UnwrittenEvent

WRITE_BATCH = 200
"""Events written per statement (SQLite allows 32,766 parameters)."""


class EventRows(Connection):
    """The persisted event log the live stream reads from."""

    def append_event(
        self, type: EventType, conversation_id: str | None, data: dict[str, Any]
    ) -> None:
        """Append an event in the current transaction (written, with its id, as it commits)."""
        event = UnwrittenEvent(type, self.now(), conversation_id, data)
        if self._depth:
            self._unwritten.append(event)
        else:
            with self.transaction():
                self._unwritten.append(event)

    def _before_commit(self) -> None:
        self._write_events()

    def _write_events(self) -> None:
        """Write the transaction's events in the order they were appended, then run the hooks.

        Last in the transaction rather than as they are appended: on
        PostgreSQL the order of the events (their ids) is then held only from
        here to the commit (`_lock_appends`), so commit order stays id order
        while the rest of transactions with different scopes run side by side.
        """
        if not self._unwritten:
            return
        self._lock_appends()
        while self._unwritten:  # a hook may append events of its own
            batch, self._unwritten = self._unwritten[:WRITE_BATCH], self._unwritten[WRITE_BATCH:]
            rows = self.db.execute(
                "INSERT INTO events (type, at, conversation_id, data) VALUES "
                + ", ".join("(?, ?, ?, ?)" for _ in batch)
                + " RETURNING id",
                [
                    v
                    for e in batch
                    for v in (e.type.value, e.at, e.conversation_id, json.dumps(e.data))
                ],
            ).fetchall()
            # One statement, one writer: the ids are the batch's, in order (RETURNING's own
            # order is not promised, so they are sorted).
            ids = sorted(int(r[0]) for r in rows)
            events = [
                Event(
                    id=i,
                    type=e.type,
                    at=datetime.fromisoformat(e.at),
                    conversation_id=e.conversation_id,
                    data=e.data,
                )
                for i, e in zip(ids, batch, strict=True)
            ]
            self._pending.extend(events)
            for event in events:
                for hook in self.event_hooks:
                    hook(event)

    def events_after(self, after: int, limit: int = 1000) -> list[Event]:
        """Events with an id above `after`, oldest first."""
        rows = self.db.execute(
            "SELECT id, type, at, conversation_id, data FROM events WHERE id > ? "
            "ORDER BY id LIMIT ?",
            [after, limit],
        ).fetchall()
        return [
            Event(id=r[0], type=r[1], at=r[2], conversation_id=r[3], data=json.loads(r[4]))
            for r in rows
        ]

    def event_bounds(self) -> tuple[int, int]:
        """The oldest id retention still keeps and the newest id given out ((0, 0) before any).

        Retention trims from the old end; an erasure removes events of one
        conversation from the middle. Only the first makes a client's position
        unreachable, so the bound comes from what retention trimmed, not from
        the oldest row left.
        """
        high = self.newest_event_id()
        if not high:
            return (0, 0)
        return (int(self.get_meta("events_trimmed_through") or 0) + 1, high)

    def trim_events(self, keep: int) -> None:
        """Forget all but the newest `keep` events."""
        with self.transaction():
            cutoff = self.event_bounds()[1] - keep
            if cutoff >= self.event_bounds()[0]:
                self.db.execute("DELETE FROM events WHERE id <= ?", [cutoff])
                self.set_meta("events_trimmed_through", str(cutoff))
