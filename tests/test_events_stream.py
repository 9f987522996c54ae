"""The live event stream over real loopback HTTP: order, resume, fan-out, reset, masking.

Every test runs against uvicorn on 127.0.0.1 because ASGITransport buffers
whole responses and so cannot show a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import aconnect_sse

from backend.bots import make_bot
from backend.domain.visibility import may_see
from backend.service import Hitl
from backend.settings import Settings
from backend.store import Store
from backend_client import (
    AsyncBackendClient,
    ConnectionState,
    Customer,
    Event,
    EventType,
    Role,
    UnauthorizedError,
)
from tests.helpers import Backend, LiveServer, eventually, seed_operators

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""

WAIT = 10.0
"""No single step of these tests may take longer than this."""


class Watcher:
    """One console's view of the stream: the events it was given and its connection states."""

    def __init__(self, client: AsyncBackendClient, since: int | None = None) -> None:
        self.events: list[Event] = []
        self.states: list[ConnectionState] = []
        self._task = asyncio.create_task(self._run(client, since))

    async def _run(self, client: AsyncBackendClient, since: int | None) -> None:
        async for event in client.events(since, self.states.append):
            self.events.append(event)

    @property
    def ids(self) -> list[int]:
        """Ids of the events received, in arrival order."""
        return [e.id for e in self.events]

    async def until(self, count: int) -> None:
        """Wait until at least `count` events arrived (fails fast if the stream died)."""

        def enough() -> bool:
            if self._task.done():
                self._task.result()
            return len(self.events) >= count

        await eventually(enough, timeout=WAIT)

    async def stop(self) -> None:
        """Stop listening."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def watching(client: AsyncBackendClient, since: int | None = None) -> AsyncIterator[Watcher]:
    """A `Watcher` that is stopped however the test ends."""
    watcher = Watcher(client, since)
    try:
        yield watcher
    finally:
        await watcher.stop()


def stored_ids(store: Store, after: int, role: Role = Role.SUPERVISOR) -> list[int]:
    """The ids the backend committed after `after`, as the stream should deliver them to a
    reader of `role` (agents and trainers are not sent the journal's entries)."""
    return [e.id for e in store.events_after(after, limit=100_000) if may_see(role, e.type)]


async def approve_pending(backend: Backend, cid: str) -> None:
    """Approve the draft waiting in conversation `cid` as alice."""
    async with backend.client("alice") as alice:
        detail = await alice.get_conversation(cid)
        assert detail.draft is not None
        await alice.approve(detail.draft.id, detail.draft.version)


@pytest.fixture
def quick_settings(tmp_path: Path) -> Settings:
    """A backend that sends keep-alives twenty times a second."""
    return Settings(db_path=tmp_path / "quick.db", secret="test-secret", keepalive_seconds=0.05)


@pytest.fixture
def quick_backend(quick_settings: Settings) -> Iterator[Backend]:
    """A loopback backend with frequent keep-alives and the standard operators."""
    server = LiveServer(quick_settings)
    app = server.start()
    yield seed_operators(Backend(app=app, url=server.url, transport=None))
    server.stop()


async def test_a_chat_and_its_approval_arrive_live_in_order(live_backend: Backend) -> None:
    start = live_backend.store.event_bounds()[1]
    # A supervisor: only roles that may read the override log get `audit.appended`.
    async with live_backend.client("sam") as sam, watching(sam, since=start) as watcher:
        chat = await live_backend.chat("Where is my order?")
        await eventually(lambda: live_backend.store.pending_draft(chat.id), timeout=WAIT)
        await approve_pending(live_backend, chat.id)
        expected = stored_ids(live_backend.store, start)
        await watcher.until(len(expected))

        assert watcher.ids == expected
        assert watcher.ids == sorted(set(watcher.ids))
        types = [e.type for e in watcher.events]
        assert types[0] is EventType.MESSAGE_CREATED  # the AI disclosure comes first
        assert EventType.DRAFT_CREATED in types
        assert EventType.AUDIT_APPENDED in types
        decided = [e for e in watcher.events if e.type is EventType.DRAFT_DECIDED]
        assert decided[-1].data["status"] == "approved"
        # The chat's events, and the journal entry of the disclosure version it first showed.
        others = [e for e in watcher.events if e.conversation_id != chat.id]
        assert [(e.type, e.data["action"]) for e in others] == [
            (EventType.AUDIT_APPENDED, "disclosure")
        ]


async def test_a_restart_mid_stream_loses_and_repeats_nothing(
    live_server: LiveServer, live_backend: Backend, settings: Settings
) -> None:
    start = live_backend.store.event_bounds()[1]
    async with live_backend.client() as alice, watching(alice) as watcher:
        await eventually(lambda: watcher.states == [ConnectionState.LIVE], timeout=WAIT)
        await live_backend.chat("Hello?")
        await watcher.until(len(stored_ids(live_backend.store, start, Role.AGENT)))

        await asyncio.to_thread(live_server.stop)
        # Changes made while the console is cut off must reach it after the restart.
        offline_store = Store(settings.db_path)
        Hitl(offline_store, settings, make_bot(settings.bot)).start_chat(Customer(name="Max"))
        offline_store.close()
        app = await asyncio.to_thread(live_server.start)
        restarted = Backend(
            app=app, url=live_server.url, transport=None, tokens=live_backend.tokens
        )
        await restarted.chat("Anyone there?")

        expected = stored_ids(restarted.store, start, Role.AGENT)
        await watcher.until(len(expected))
        await asyncio.sleep(0.3)  # anything repeated would arrive now

        assert watcher.ids == expected
        states = [s for i, s in enumerate(watcher.states) if i == 0 or s != watcher.states[i - 1]]
        assert states[:2] == [ConnectionState.LIVE, ConnectionState.RECONNECTING]
        assert states[-1] is ConnectionState.LIVE


async def test_ten_consoles_see_the_same_sequence(live_backend: Backend) -> None:
    start = live_backend.store.event_bounds()[1]
    # Roles that see every event (agents are not sent the override log's entries).
    clients = [live_backend.client(name) for name in ["sam", "ada"] * 5]
    async with contextlib.AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(client)
        watchers = [await stack.enter_async_context(watching(c, since=start)) for c in clients]
        first = await live_backend.chat("Where is my order?")
        await live_backend.chat("Do you ship to Norway?")
        await eventually(lambda: live_backend.store.pending_draft(first.id), timeout=WAIT)
        await approve_pending(live_backend, first.id)
        expected = stored_ids(live_backend.store, start)
        for watcher in watchers:
            await watcher.until(len(expected))

        for watcher in watchers:
            assert watcher.ids == expected


async def test_a_console_too_far_behind_is_told_to_reload(live_backend: Backend) -> None:
    for n in range(60):  # two events each: well past what we keep below
        await live_backend.chat(name=f"Customer {n}")
    live_backend.store.trim_events(100)
    low, high = live_backend.store.event_bounds()
    assert low > 2

    async with live_backend.client() as alice, watching(alice, since=1) as watcher:
        await watcher.until(1)
        reset = watcher.events[0]
        assert reset.type is EventType.RESET
        # Its own id is no real event's (issue 14.11); it says where the stream goes on.
        assert reset.id == 0 and reset.data["newest"] == high
        assert "no longer kept" in reset.data["reason"]
        assert reset.data["snapshot"] == "/v1/conversations"

        await live_backend.chat("After the reset")
        expected = stored_ids(live_backend.store, high)
        await watcher.until(1 + len(expected))
        assert watcher.ids[1:] == expected


async def test_a_position_beyond_the_newest_is_not_called_trimmed(live_backend: Backend) -> None:
    await live_backend.chat("Hello")
    high = live_backend.store.event_bounds()[1]
    async with live_backend.client() as alice, watching(alice, since=high + 50) as watcher:
        await watcher.until(1)
    reset = watcher.events[0]
    assert reset.type is EventType.RESET and reset.id == 0
    assert reset.data["newest"] == high
    assert "no longer kept" not in reset.data["reason"]


async def test_keep_alives_neither_break_nor_repeat_anything(quick_backend: Backend) -> None:
    token = quick_backend.tokens["alice"]
    async with httpx.AsyncClient(base_url=quick_backend.url) as raw:
        headers = {"Authorization": f"Bearer {token}"}
        async with raw.stream("GET", "/v1/events", headers=headers) as response:
            seen = b""
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    async for chunk in response.aiter_bytes():
                        seen += chunk
    assert seen.count(b": ping") >= 2  # the server really sends keep-alive comments

    start = quick_backend.store.event_bounds()[1]
    async with quick_backend.client() as alice, watching(alice, since=start) as watcher:
        await quick_backend.chat("Hello")
        await asyncio.sleep(0.3)  # six keep-alives go by
        await quick_backend.chat("Still there?")
        expected = stored_ids(quick_backend.store, start, Role.AGENT)
        await watcher.until(len(expected))
        await asyncio.sleep(0.15)  # three more: none may bring an event again

        assert watcher.ids == expected
        assert watcher.states == [ConnectionState.LIVE]


@pytest.mark.parametrize("how", ["Last-Event-ID", "since"])
async def test_resume_from_an_id_by_header_or_query(live_backend: Backend, how: str) -> None:
    start = live_backend.store.event_bounds()[1]
    for turn in ("one", "two", "three"):
        await live_backend.chat(turn)
    ids = stored_ids(live_backend.store, start)
    resume_after = ids[2]
    headers = {"Authorization": f"Bearer {live_backend.tokens['alice']}"}
    params: dict[str, int] = {}
    if how == "since":
        params["since"] = resume_after
    else:
        headers["Last-Event-ID"] = str(resume_after)

    received: list[int] = []
    async with httpx.AsyncClient(base_url=live_backend.url) as raw:
        async with asyncio.timeout(WAIT):
            async with aconnect_sse(
                raw, "GET", "/v1/events", headers=headers, params=params
            ) as source:
                async for sse in source.aiter_sse():
                    if sse.data:
                        received.append(Event.model_validate_json(sse.data).id)
                    if len(received) == len(ids) - 3:
                        break

    assert received == ids[3:]


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Last-Event-ID": str(2**63)}, {}),
        ({"Last-Event-ID": "9" * 5000}, {}),  # past Python's own limit on int() of a string
        ({}, {"since": str(2**63)}),
    ],
    ids=["header past 64 bits", "header of 5000 digits", "since past 64 bits"],
)
async def test_a_position_no_event_can_have_is_a_bad_field(
    backend: Backend, headers: dict[str, str], params: dict[str, str]
) -> None:
    async with (
        httpx.AsyncClient(transport=backend.transport, base_url=backend.url) as raw,
        asyncio.timeout(WAIT),  # accepted, it would be a stream that never ends
    ):
        response = await raw.get(
            "/v1/events",
            headers={"Authorization": f"Bearer {backend.tokens['alice']}", **headers},
            params=params,
        )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_trainer_sees_masked_personal_data(live_backend: Backend) -> None:
    start = live_backend.store.event_bounds()[1]
    async with (
        live_backend.client("tina") as tina,
        live_backend.client("alice") as alice,
        watching(tina, since=start) as trainer,
        watching(alice, since=start) as agent,
    ):
        await live_backend.chat("My email is jo.doe@example.com, where is my parcel?")
        expected = stored_ids(live_backend.store, start, Role.AGENT)
        await trainer.until(len(expected))
        await agent.until(len(expected))

    assert trainer.ids == agent.ids == expected
    said = [e for e in trainer.events if e.type is EventType.MESSAGE_CREATED][1]
    assert "[email]" in said.data["text"]
    assert "jo.doe@example.com" not in said.data["text"]
    created = next(e for e in trainer.events if e.type is EventType.CONVERSATION_CREATED)
    assert created.data["customer"]["email"] == "[email]"
    assert all("example.com" not in e.model_dump_json() for e in trainer.events)
    # An agent may see it: masking is the trainer's view, not a loss of data.
    said_to_agent = [e for e in agent.events if e.type is EventType.MESSAGE_CREATED][1]
    assert "jo.doe@example.com" in said_to_agent.data["text"]


async def test_an_unknown_token_fails_at_once_instead_of_retrying(live_backend: Backend) -> None:
    async with AsyncBackendClient(live_backend.url, "hitl_not-a-token") as stranger:
        states: list[ConnectionState] = []
        with pytest.raises(UnauthorizedError):
            async with asyncio.timeout(WAIT):
                async for _ in stranger.events(on_state=states.append):
                    pass
    assert states == []
