"""The events table: what the service hands over is persisted in order and trimmed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from backend_client import (
    Event,
    EventType,
)

from .common import Connection


class EventRows(Connection):
    """The persisted event log the live stream reads from."""

    def append_event(
        self, type: EventType, conversation_id: str | None, data: dict[str, Any]
    ) -> Event:
        """Append an event in the current transaction."""
        at = self.now()
        row = self.db.execute(
            "INSERT INTO events (type, at, conversation_id, data) VALUES (?, ?, ?, ?) RETURNING id",
            [type.value, at, conversation_id, json.dumps(data)],
        ).fetchone()
        event = Event(
            id=int(row[0]),
            type=type,
            at=datetime.fromisoformat(at),
            conversation_id=conversation_id,
            data=data,
        )
        self._pending.append(event)
        for hook in self.event_hooks:
            hook(event)
        return event

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
