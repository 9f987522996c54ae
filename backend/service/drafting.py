"""Drafting off the customer's request: background workers over durable jobs.

A customer's message is stored with a drafting job in one transaction, and the
request returns. A worker per conversation (one at a time in it) then asks the
bot; a newer message supersedes the job in progress (its model call is
cancelled, the newer job runs next). Jobs live in the database: a backend
killed while drafting queues them again when it starts, and a job is closed in
the same transaction as its draft, so no message is drafted for twice.
"""

from __future__ import annotations

import asyncio
import contextlib

from .ai import AIDrafting
from .core import log


class DraftWorkers(AIDrafting):
    """The background drafting workers of one backend process."""

    def _init_drafting(self) -> None:
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._inflight: dict[str, tuple[int, asyncio.Task[object]]] = {}
        self._slots: asyncio.Semaphore | None = None

    def kick_drafting(self, cid: str) -> None:
        """Make sure a worker drafts for `cid`'s open job; cut short one drafting an older job."""
        runner = self._runners.get(cid)
        if runner is None or runner.done():
            self._runners[cid] = asyncio.get_running_loop().create_task(
                self._drain(cid), name=f"hitl-draft-{cid}"
            )
            return
        inflight = self._inflight.get(cid)
        newest = self.store.next_draft_job(cid)
        if inflight is not None and (newest is None or newest.id != inflight[0]):
            inflight[1].cancel()  # superseded: the worker goes on to the newest job

    async def _drain(self, cid: str) -> None:
        """Draft for the conversation's open jobs until none is left."""
        try:
            while (job := self.store.next_draft_job(cid)) is not None:
                if self._slots is None:
                    self._slots = asyncio.Semaphore(self.settings.bot.concurrency)
                async with self._slots:
                    if not self.store.draft_job_open(job.id):
                        continue
                    with self._on_conversation(cid):
                        mine = self.store.start_draft_job(job.id)
                    if not mine:
                        break  # another backend process drafts it (PostgreSQL)
                    inner = asyncio.get_running_loop().create_task(
                        self.draft_reply(cid, trigger=job.message_id, job=job.id)
                    )
                    self._inflight[cid] = (job.id, inner)
                    try:
                        await asyncio.wait({inner})
                    except asyncio.CancelledError:
                        inner.cancel()
                        raise
                    finally:
                        self._inflight.pop(cid, None)
                if not inner.cancelled() and inner.exception() is not None:
                    log.error("drafting in %s failed", cid, exc_info=inner.exception())
                    with self._on_conversation(cid):
                        self.store.finish_draft_job(job.id, "failed")
                        self._publish(cid)
        finally:
            if self._runners.get(cid) is asyncio.current_task():
                del self._runners[cid]

    def resume_drafting(self, *, orphaned_only: bool = False) -> int:
        """At start: queue again the jobs a previous run left open; returns how many chats.

        With `orphaned_only` (the sweep, every few seconds), only jobs whose process
        died: several processes on PostgreSQL take over each other's work that way.
        """
        if not orphaned_only:
            self.store.release_dead_leases()
        cids = self.store.conversations_with_open_jobs(orphaned_only=orphaned_only)
        for cid in cids:
            self.kick_drafting(cid)
        if cids:
            log.info("resuming drafting in %d conversations", len(cids))
        return len(cids)

    async def drafting_idle(self) -> None:
        """Wait until no worker is drafting (tests, and a clean shutdown)."""
        while self._runners:
            await asyncio.gather(*list(self._runners.values()), return_exceptions=True)

    async def stop_drafting(self) -> None:
        """Stop the workers; their jobs stay open and run again at the next start."""
        runners = list(self._runners.values())
        for runner in runners:
            runner.cancel()
        for runner in runners:
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        close = getattr(self.bot, "aclose", None)
        if close is not None:
            await close()
