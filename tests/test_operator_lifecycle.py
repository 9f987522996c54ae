"""Operators: disable, rotate a token, token expiry; each journaled; streams close at once."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from backend.app import create_app
from backend.service.operator_admin import SYSTEM
from backend.settings import Settings
from backend.store import Store
from backend_client import Action, ConnectionState, ForbiddenError, UnauthorizedError
from hitl.cli import main
from tests.helpers import BASE, Backend, LiveServer, ManualClock, eventually, seed_operators

pytestmark = pytest.mark.both_stores
"""Every test here runs on SQLite and on PostgreSQL."""


async def test_a_disabled_operator_is_refused_and_listed_inactive(backend: Backend) -> None:
    async with backend.client("ada") as admin:
        change = await admin.disable_operator("bob")
        assert change.name == "bob" and change.active is False
        listed = {o.name: o.active for o in (await admin.operators())}
        entry = (await admin.list_audit(action=Action.DISABLE_OPERATOR.value)).items[0]
        assert (await admin.verify_audit()).ok
    assert listed["bob"] is False and listed["alice"] is True
    assert entry.note == f"operator bob ({backend.operator_ids['bob']})"
    async with backend.client("bob") as bob:
        with pytest.raises(UnauthorizedError, match="disabled"):
            await bob.me()


async def test_rotating_a_token_retires_the_old_one(backend: Backend) -> None:
    async with backend.client("ada") as admin:
        change = await admin.rotate_token("alice")
        entry = (await admin.list_audit(action=Action.ROTATE_TOKEN.value)).items[0]
    assert change.token is not None and change.token != backend.tokens["alice"]
    assert entry.note is not None and "alice" in entry.note and change.token not in entry.note
    async with backend.client("alice") as old:
        with pytest.raises(UnauthorizedError):
            await old.me()
    backend.tokens["alice"] = change.token
    async with backend.client("alice") as new:
        assert (await new.me()).name == "alice"


async def test_only_an_admin_disables_or_rotates(backend: Backend) -> None:
    async with backend.client("sam") as sam:
        with pytest.raises(ForbiddenError):
            await sam.disable_operator("alice")
        with pytest.raises(ForbiddenError):
            await sam.rotate_token("alice")


async def test_tokens_expire_after_the_configured_days(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = Settings(db_path=tmp_path / "h.db", secret="s", token_days=30)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        backend = seed_operators(Backend(app, BASE, httpx.ASGITransport(app=app)))
        clock.advance(29 * 86400)
        async with backend.client("alice") as alice:
            assert (await alice.me()).name == "alice"
        clock.advance(2 * 86400)
        async with backend.client("alice") as alice:
            with pytest.raises(UnauthorizedError, match="expired"):
                await alice.me()
        # Every token of that age expired, the admin's too: a new one comes from the database.
        fresh = backend.app.state.hitl.rotate_operator_token(SYSTEM, "alice")
        backend.tokens["alice"] = fresh.token
        async with backend.client("alice") as alice:
            assert (await alice.me()).name == "alice"
    app.state.store.close()


async def bob_listening(backend: Backend, received: list[object]) -> asyncio.Task[None]:
    """Bob's event stream, open and live, its events into `received`; the task ends when the
    backend ends the stream for good."""
    states: list[ConnectionState] = []

    async def listen() -> None:
        async with backend.client("bob") as bob:
            async for event in bob.events(on_state=states.append):
                received.append(event)

    task = asyncio.create_task(listen())
    await eventually(lambda: ConnectionState.LIVE in states)
    return task


async def test_a_disabled_operators_open_stream_closes_at_once(live_backend: Backend) -> None:
    task = await bob_listening(live_backend, [])
    async with live_backend.client("ada") as admin:
        await admin.disable_operator("bob")
    with pytest.raises(UnauthorizedError, match="disabled"):
        await asyncio.wait_for(task, 5)


async def test_an_open_stream_closes_when_its_token_expires(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = Settings(db_path=tmp_path / "h.db", secret="s", token_days=30)
    with LiveServer(settings, clock=clock) as server:
        assert server.app is not None
        backend = seed_operators(Backend(app=server.app, url=server.url, transport=None))
        received: list[object] = []
        task = await bob_listening(backend, received)
        clock.advance(29 * 86400)  # a day before it expires: the stream still brings news
        await backend.chat("Where is my parcel?")
        await eventually(lambda: received)
        assert not task.done()
        clock.advance(2 * 86400)
        with pytest.raises(UnauthorizedError, match="expired"):
            await asyncio.wait_for(task, 5)


async def test_a_disable_from_the_command_line_closes_the_running_backends_stream(
    live_backend: Backend, settings: Settings
) -> None:
    """`hitl operator disable` writes the database from another process; the backend notices."""
    task = await bob_listening(live_backend, [])
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hitl",
        "operator",
        "disable",
        "bob",
        "--db",
        str(settings.db_url or settings.db_path),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await command.communicate()
    assert command.returncode == 0 and b"disabled agent bob" in out
    # Nothing happens in the running backend itself: its sweep sees the table change.
    with pytest.raises(UnauthorizedError, match="disabled"):
        await asyncio.wait_for(task, 5)


def test_operator_commands_on_the_database_are_journaled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "ops.db")
    assert main(["operator", "add", "alice", "--role", "agent", "--db", db]) == 0
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["operator", "rotate-token", "alice", "--db", db]) == 0
    second = capsys.readouterr().out.strip().splitlines()[-1]
    assert second.startswith("hitl_") and second != first
    assert main(["operator", "disable", "alice", "--db", db]) == 0
    assert main(["operator", "list", "--db", db]) == 0
    assert "\tagent\talice\tinactive" in capsys.readouterr().out
    assert main(["operator", "disable", "nobody", "--db", db]) == 1
    store = Store(db)
    actions = [(r["actor"], r["action"]) for r in store.audit_rows()]
    assert actions == [("system", "rotate"), ("system", "disable")]
    assert store.operator_state_by_token(second) is not None
    assert main(["audit", "verify", "--db", db]) == 0
