"""What agents expect (issue 15), in the console: the real backend on loopback, the real app.

Find in the queue, internal notes, the customer's history, assignment, …, each
driven by keys as a person would, and checked by what the screen shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from backend_client import ChatStarted, ConnectionState
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.widgets.queue_find import QueueColumns, QueueFind
from console.widgets.queue_list import QueueList
from tests.helpers import Backend, until

SIZE = (120, 30)


def console_for(backend: Backend, tmp_path: Path, name: str = "alice", **extra: Any) -> HitlApp:
    """The real console, signed in as `name`."""
    config = ConsoleConfig(
        url=backend.url, token=backend.tokens[name], config_path=tmp_path / "none.toml", **extra
    )
    return make_app(config)


async def started(app: HitlApp, pilot: Pilot[Any]) -> None:
    """Live, signed in, snapshot loaded."""
    await until(pilot, lambda: app.connection is ConnectionState.LIVE and app.me is not None)
    await until(pilot, lambda: not app.loading)


def shown(app: HitlApp) -> str:
    """The queue's visible lines, as text."""
    widget = app.queue_screen.query_one(QueueList)
    return "\n".join(
        widget.render_line(y).text for y in range(widget.scrollable_content_region.height)
    )


async def chat_as(backend: Backend, name: str, email: str | None, *turns: str) -> ChatStarted:
    """A customer starts a chat and says `turns`, each drafted for."""
    async with backend.channel() as channel:
        chat = await channel.start_chat(name, email)
        for turn in turns:
            await channel.say(chat, turn)
            await backend.drafted(chat)
        return chat


async def test_slash_finds_in_the_live_queue(live_backend: Backend, tmp_path: Path) -> None:
    await chat_as(live_backend, "Ann Lee", "ann@shop.test", "Where is my parcel?")
    await chat_as(live_backend, "Bo Park", "bo@else.test", "Do you sell kettles?")
    app = console_for(live_backend, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await started(app, pilot)
        await until(pilot, lambda: "Ann Lee" in shown(app) and "Bo Park" in shown(app))
        columns = str(app.queue_screen.query_one(QueueColumns).visual)
        assert "Customer" in columns and "Last message" in columns
        await pilot.press("slash")
        assert app.queue_screen.query_one(QueueFind).has_focus
        await pilot.press(*"else.test")
        await until(pilot, lambda: "Ann Lee" not in shown(app))
        assert "Bo Park" in shown(app)
        await pilot.press("enter")  # back to the list, the find stands
        assert app.queue_screen.query_one(QueueList).has_focus
        # Live: a new customer who matches joins the list without a key.
        await chat_as(live_backend, "Cy Else", "cy@else.test", "hello")
        await until(pilot, lambda: "Cy Else" in shown(app))
        assert "Ann Lee" not in shown(app)
        # Nothing matching says so, not "No open conversations."
        await pilot.press("slash", *" zebra")
        await until(pilot, lambda: "Bo Park" not in shown(app))
        hint = str(app.queue_screen.query_one("#queue-empty").visual)
        assert "matches" in hint and "zebra" in hint
        await pilot.press("escape")
        await until(pilot, lambda: "Ann Lee" in shown(app) and "Bo Park" in shown(app))
