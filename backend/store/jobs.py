"""Drafting jobs: one row per customer message the AI should answer, durable across crashes.

States: `queued` → `running` → `done` | `superseded` | `failed`. A job is
finished in the same transaction as the draft it produced, so a crash either
leaves it open (and it runs again at start) or done, never both.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import Connection

OPEN_STATES = ("queued", "running")
JOB_LEASE_SECONDS = 120.0
"""How long a job is a process's to draft before another process may take it over (the
first one died): longer than the model's retries with their backoff take."""


@dataclass(frozen=True)
class DraftJob:
    """A customer message waiting for the AI's draft."""

    id: int
    conversation_id: str
    message_id: str
    attempts: int


class JobRows(Connection):
    """The `draft_jobs` table."""

    def add_draft_job(self, cid: str, message_id: str) -> int:
        """Queue a job for `message_id`; older open jobs of the conversation are superseded."""
        now = self.now()
        self.db.execute(
            "UPDATE draft_jobs SET state = 'superseded', updated_at = ? "
            "WHERE conversation_id = ? AND state IN ('queued', 'running')",
            [now, cid],
        )
        row = self.db.execute(
            "INSERT INTO draft_jobs (conversation_id, message_id, state, created_at, updated_at) "
            "VALUES (?, ?, 'queued', ?, ?) RETURNING id",
            [cid, message_id, now, now],
        ).fetchone()
        return int(row[0])

    def next_draft_job(self, cid: str) -> DraftJob | None:
        """The conversation's open job (the newest; older ones were superseded), if any."""
        row = self.db.execute(
            "SELECT id, conversation_id, message_id, attempts FROM draft_jobs "
            "WHERE conversation_id = ? AND state IN ('queued', 'running') "
            "ORDER BY id DESC LIMIT 1",
            [cid],
        ).fetchone()
        return DraftJob(*row) if row else None

    def start_draft_job(self, job_id: int, lease: float = JOB_LEASE_SECONDS) -> bool:
        """Mark a job running for this process and count the attempt; False when another
        backend process holds its lease (that one drafts it)."""
        now = self.now()
        row = self.db.execute(
            "UPDATE draft_jobs SET state = 'running', attempts = attempts + 1, updated_at = ?, "
            "lease_until = ?, lease_owner = ? WHERE id = ? AND state IN ('queued', 'running') "
            "AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) RETURNING id",
            [now, self.later(lease), self.process_id, job_id, now, self.process_id],
        ).fetchone()
        return row is not None

    def finish_draft_job(self, job_id: int, state: str) -> None:
        """Close a job as `done`, `superseded` or `failed` (inside the draft's transaction)."""
        self.db.execute(
            "UPDATE draft_jobs SET state = ?, updated_at = ? WHERE id = ? "
            "AND state IN ('queued', 'running')",
            [state, self.now(), job_id],
        )

    def draft_job_open(self, job_id: int) -> bool:
        """Whether the job still waits for its draft (not done, superseded or failed)."""
        row = self.db.execute("SELECT state FROM draft_jobs WHERE id = ?", [job_id]).fetchone()
        return bool(row) and row[0] in OPEN_STATES

    def release_dead_leases(self) -> None:
        """At a backend's start: on SQLite (one backend per file) every lease left is a dead
        process's, so it is given up; on PostgreSQL others may be alive, and leases expire."""
        if self.dialect == "sqlite":
            with self.transaction():
                self.db.execute(
                    "UPDATE draft_jobs SET lease_until = NULL WHERE lease_until IS NOT NULL"
                )

    def conversations_with_open_jobs(self, *, orphaned_only: bool = False) -> list[str]:
        """Conversations whose draft was still being written (after a restart: resume them).

        With `orphaned_only`, only jobs nobody drafts: running past their lease (their
        process died), or queued for longer than a lease (queued by a process that died).
        """
        sql = "SELECT DISTINCT conversation_id FROM draft_jobs WHERE state IN ('queued', 'running')"
        params: list[str] = []
        if orphaned_only:
            sql += (
                " AND ((state = 'running' AND lease_until < ?) "
                "OR (state = 'queued' AND updated_at < ?))"
            )
            params = [self.now(), self.later(-JOB_LEASE_SECONDS)]
        rows = self.db.execute(sql, params).fetchall()
        return [r[0] for r in rows]

    def count_flagged_drafts(self, flag: str) -> int:
        """How many drafts ever carried `flag` (the metrics count ungrounded ones)."""
        row = self.db.execute(
            # Flags are a JSON list of plain words: a quoted match is exact, in either dialect.
            "SELECT count(*) FROM drafts WHERE flags LIKE ?",
            [f'%"{flag}"%'],
        ).fetchone()
        return int(row[0])

    def close_open_jobs(self, cid: str, state: str = "superseded") -> None:
        """Close every open job of a conversation (it escalated or closed: no AI draft now)."""
        self.db.execute(
            "UPDATE draft_jobs SET state = ?, updated_at = ? "
            "WHERE conversation_id = ? AND state IN ('queued', 'running')",
            [state, self.now(), cid],
        )
