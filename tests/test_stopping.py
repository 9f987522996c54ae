"""Background loops stop when told to, even when a wake-up arrives with the stop.

On Python 3.11, `asyncio.wait_for` around an event's `wait()` returns the
event's result instead of raising when the event is set just before its task
is cancelled: the cancel is lost, the loop goes round again, and whoever
awaits the task (a backend's shutdown) waits for ever. A full test run hung
on it: the outbox worker of a Chatwoot test, woken by a commit announced from
PostgreSQL's listening thread as the app stopped.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from backend.channels.outbox import Outbox
from backend.hub import EventHub
from backend.settings import Settings, WebhookSettings
from backend.store import connect
from backend_client import EventType, Role


async def stops(task: asyncio.Task[object]) -> bool:
    """Whether `task` ends (cancelled) once cancelled, within a few seconds."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    return task in done and task.cancelled()


async def test_the_outbox_worker_stops_when_woken_as_it_is_cancelled(tmp_path: Path) -> None:
    store = connect(tmp_path / "hitl.db")
    hook = WebhookSettings(url="http://127.0.0.1:9/hook", secret="whsec_" + "A" * 44)
    outbox = Outbox(store, Settings(db_path=tmp_path / "hitl.db", secret="s", webhooks=[hook]))
    outbox.install()
    worker = asyncio.create_task(outbox.run())
    for _ in range(20):  # until it sleeps on its wake-up
        await asyncio.sleep(0)
    with store.transaction():  # a commit wakes it
        store.append_event(EventType.AI_PAUSED, None, {})
    await asyncio.sleep(0)  # the wake-up lands: the sleep it ends is over
    assert await stops(worker)
    store.close()


async def test_a_stream_waiting_for_events_stops_when_one_lands_as_it_is_cancelled(
    tmp_path: Path,
) -> None:
    store = connect(tmp_path / "hitl.db")
    store.add_operator("alice", Role.AGENT)
    hub = EventHub(store)
    waiting = asyncio.create_task(hub.wait(60))
    await asyncio.sleep(0)
    hub.publish([])  # its wake-up is set; the waiting task has not run since
    assert await stops(waiting)
    store.close()
