"""The outbox table: deliveries to the outside, durable from the transaction that caused them."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from backend_client import Event

from .common import Connection

EventHook = Callable[[Event], None]
"""Called for every event inside the transaction that appends it (so it may write rows)."""

AI_WRITTEN: ContextVar[bool] = ContextVar("hitl_outbox_ai_written", default=False)
"""Set while the outbox hook enqueues for an event that carries AI-written text: every
delivery written then, whichever channel's enqueuer writes it, waits out a pause."""


@dataclass(frozen=True)
class Delivery:
    """One row of the outbox as the worker sends it."""

    id: int
    key: str
    channel: str
    target: str
    conversation_id: str | None
    kind: str
    body: dict[str, Any]
    attempts: int
    ai_written: bool = False
    """It carries AI-written text: it waits while the AI is paused (the stop button)."""


DELIVERY_LEASE_SECONDS = 60.0
"""How long a delivery being sent is one process's; then another may try it (at least once:
receivers drop repeats by the delivery's key)."""


class OutboxRows(Connection):
    """What waits to be sent out, what was sent, and what could not be."""

    def enqueue(
        self,
        key: str,
        channel: str,
        target: str,
        conversation_id: str | None,
        kind: str,
        body: dict[str, Any],
    ) -> None:
        """Add a delivery in the current transaction (a repeated key is ignored)."""
        now = self.now()
        self.db.execute(
            "INSERT INTO outbox (key, channel, target, conversation_id, kind, body, "
            "created_at, next_at, ai_written) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO NOTHING",
            [
                key,
                channel,
                target,
                conversation_id,
                kind,
                json.dumps(body),
                now,
                now,
                int(AI_WRITTEN.get()),
            ],
        )

    def due_deliveries(
        self,
        limit: int = 50,
        lease: float = DELIVERY_LEASE_SECONDS,
        *,
        hold_ai_written: bool = False,
    ) -> list[Delivery]:
        """Deliveries whose time has come, oldest first, leased to this process for `lease`
        seconds: another backend process on the same database does not send them too.

        `hold_ai_written` (the AI is paused) leaves out deliveries that carry
        AI-written text; as they stay unsent, the later ones of their chat to
        the same target wait behind them too, so nothing overtakes.
        """
        with self.transaction():
            deliveries = self._due(limit, hold_ai_written)
            later = self.later(lease)
            for delivery in deliveries:
                self.db.execute("UPDATE outbox SET next_at = ? WHERE id = ?", [later, delivery.id])
        return deliveries

    def release_delivery(self, did: int) -> None:
        """Give a leased delivery back untried (it waits behind one that failed)."""
        with self.transaction():
            self.db.execute("UPDATE outbox SET next_at = ? WHERE id = ?", [self.now(), did])

    def _due(self, limit: int, hold_ai_written: bool = False) -> list[Delivery]:
        rows = self.db.execute(
            # A chat's deliveries to one target go in order: none overtakes one still retrying.
            "SELECT id, key, channel, target, conversation_id, kind, body, attempts, ai_written "
            "FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ? "
            "AND ai_written <= ? AND NOT EXISTS "
            "(SELECT 1 FROM outbox o WHERE o.conversation_id = outbox.conversation_id "
            "AND o.target = outbox.target AND o.id < outbox.id AND o.sent_at IS NULL "
            "AND o.failed_at IS NULL) ORDER BY id LIMIT ?",
            [self.now(), 0 if hold_ai_written else 1, limit],
        ).fetchall()
        return [
            Delivery(
                id=r[0],
                key=r[1],
                channel=r[2],
                target=r[3],
                conversation_id=r[4],
                kind=r[5],
                body=json.loads(r[6]),
                attempts=r[7],
                ai_written=bool(r[8]),
            )
            for r in rows
        ]

    def delivered(self, did: int) -> None:
        """Mark a delivery sent: it is never tried again."""
        with self.transaction():
            self.db.execute("UPDATE outbox SET sent_at = ? WHERE id = ?", [self.now(), did])

    def retry_later(self, did: int, error: str, delay: float, give_up: bool) -> None:
        """Record a failed attempt; try again after `delay` seconds, or give up."""
        later = self.later(delay)
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_at = ?, "
                "failed_at = CASE WHEN ? = 1 THEN ? END WHERE id = ?",
                [error[:500], later, int(give_up), self.now(), did],
            )

    def delivery_problem(self, cid: str) -> str | None:
        """Why the newest failing delivery of a conversation has not gone out, if one fails."""
        row = self.db.execute(
            "SELECT last_error FROM outbox WHERE conversation_id = ? AND sent_at IS NULL "
            "AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1",
            [cid],
        ).fetchone()
        return None if row is None else str(row[0])

    def deliveries(self, cid: str | None = None) -> list[dict[str, Any]]:
        """Every delivery (of one conversation), oldest first: for tools and tests."""
        sql = (
            "SELECT * FROM outbox" + (" WHERE conversation_id = ?" if cid else "") + " ORDER BY id"
        )
        cursor = self.db.execute(sql, [cid] if cid else [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def swap_channel_status(self, cid: str, status: str) -> str | None:
        """Remember what a conversation last announced; returns what it announced before."""
        row = self.db.execute(
            "SELECT status FROM channel_status WHERE conversation_id = ?", [cid]
        ).fetchone()
        self.db.execute(
            "INSERT INTO channel_status (conversation_id, status) VALUES (?, ?) "
            "ON CONFLICT (conversation_id) DO UPDATE SET status = excluded.status",
            [cid, status],
        )
        return None if row is None else str(row[0])
