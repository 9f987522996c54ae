"""Regenerate every SVG in `screenshots/`: `python -m tests.screenshots`.

Starts the real backend on loopback with a throwaway database, plays
scripted customers and real decisions into it, then drives the real console
with Textual's Pilot and has the app save each screen itself
(`App.save_screenshot`).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from backend.settings import Settings
from backend_client import AsyncBackendClient, ChannelClient, ReasonCode
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from hitl.embedded import EmbeddedBackend
from hitl.simulator import Scenario, load_scenarios
from tests.helpers import SEED_OPERATORS, Backend, seed_operators

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (150, 42)
CUSTOMERS = [
    "question",
    "refund",
    "angry",
    "human",
    "pii",
    "injection",
    "hostile_text",
    "question",
    "data",
    "question",
    "refund",
    "question",
]


async def seed(backend: Backend) -> str:
    """Customers with one scenario each, and a few real decisions; returns the edited chat."""
    scenarios = load_scenarios()
    by_kind: dict[str, list[Scenario]] = {}
    for scenario in scenarios:
        by_kind.setdefault(scenario.kind, []).append(scenario)
    edited = ""
    async with ChannelClient(backend.url) as channel:
        for n, kind in enumerate(CUSTOMERS):
            scenario = by_kind[kind][n % len(by_kind[kind])]
            chat = await channel.start_chat(scenario.customer.name, scenario.customer.email)
            for turn in scenario.turns[:2]:
                await channel.say(chat, turn)
                await backend.drafted()
    async with AsyncBackendClient(backend.url, backend.tokens["alice"]) as alice:
        decided = 0
        async for summary in alice.iter_conversations():
            detail = await alice.get_conversation(summary.id)
            if detail.draft is None:
                continue
            draft = detail.draft
            if decided == 0:
                edited = detail.id
                await alice.edit(
                    draft.id,
                    draft.version,
                    draft.text.split(". ")[0] + ". I've also emailed you a prepaid label.",
                    ReasonCode.INCOMPLETE,
                    "customer needs the label now",
                )
            elif decided == 1:
                await alice.reject(draft.id, draft.version, ReasonCode.TONE, "too curt")
            elif decided == 2:
                await alice.approve(draft.id, draft.version)
            decided += 1
            if decided == 3:
                break
    return edited


async def wait_for(pilot: Pilot[None], check: Callable[[], object], timeout: float = 10) -> None:
    """Let the app run until `check()` is truthy."""
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await pilot.pause(0.1)
    raise RuntimeError("the console did not get there in time")


async def shoot(
    backend: Backend, operator: str, name: str, drive: Callable[[Pilot[None]], Awaitable[None]]
) -> None:
    """Open the console as `operator`, run `drive`, save `screenshots/<name>.svg`."""
    config = ConsoleConfig(
        url=backend.url, token=backend.tokens[operator], config_path=OUT / "no-config.toml"
    )
    app: HitlApp = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.queue) > 0)
        await pilot.pause(0.5)
        await drive(pilot)
        await pilot.pause(0.5)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote screenshots/{name}.svg")


async def main() -> int:
    """Make every screenshot."""
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=Path(tmp) / "shots.db", secret="screenshots")
        with EmbeddedBackend(settings) as server:
            assert server.app is not None
            backend = seed_operators(Backend(app=server.app, url=server.url, transport=None))
            assert set(backend.tokens) == set(SEED_OPERATORS)
            edited = await seed(backend)
            await make_all(backend, edited)
    return 0


async def make_all(backend: Backend, edited: str) -> None:
    """Drive each screen to the state worth showing."""

    async def queue(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down")

    async def open_draft(pilot: Pilot[None]) -> None:
        await pilot.press("n")
        await pilot.pause(1.0)

    async def edit_diff(pilot: Pilot[None]) -> None:
        await open_draft(pilot)
        await pilot.press("e")
        await pilot.pause(0.5)
        # Replace the draft's last word and add a sentence: the diff shows both.
        await pilot.press("ctrl+w", "backspace")
        await pilot.press(*" refund, and I've sent you a prepaid return label.")
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        await pilot.press("down")

    async def takeover(pilot: Pilot[None]) -> None:
        await open_draft(pilot)
        await pilot.press("t")
        await pilot.pause(0.5)
        await pilot.press("down", "enter")
        await pilot.pause(1.0)
        await pilot.press(*"Hi, this is Sam from the team. I'm looking at your order now.")
        await pilot.press("enter")
        await pilot.pause(1.0)

    async def override_log(pilot: Pilot[None]) -> None:
        await pilot.press("f6")
        await pilot.pause(1.5)
        await pilot.press("end")
        await pilot.pause(0.5)

    async def replay(pilot: Pilot[None]) -> None:
        await pilot.press("f7")
        await pilot.pause(1.0)
        await pilot.press(*edited, "enter")
        await pilot.pause(1.0)
        pilot.app.screen.query_one("#replay-results").focus()
        await pilot.press("enter")
        await pilot.pause(1.0)
        for _ in range(4):
            await pilot.press("right")
        await pilot.pause(0.5)

    async def metrics(pilot: Pilot[None]) -> None:
        await pilot.press("f8")
        await pilot.pause(1.5)

    await shoot(backend, "sam", "queue", queue)
    await shoot(backend, "sam", "conversation", open_draft)
    await shoot(backend, "sam", "edit-diff", edit_diff)
    await shoot(backend, "sam", "takeover", takeover)
    await shoot(backend, "sam", "override-log", override_log)
    await shoot(backend, "tina", "replay", replay)
    await shoot(backend, "sam", "metrics", metrics)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
