"""Replay end to end: a trainer finds a real conversation and steps and plays through it.

The conversation is made for real: a customer chats over the channel API and
alice edits the bot's draft with a reason. The trainer's view comes masked
from the backend; the tests look at what the trainer sees.
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from backend_client import ConnectionState, ReasonCode
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.dialogs.pairs_export import PairsExportDialog
from console.screens.pairs_export import PairsExportStatus
from console.screens.replay import Player, ReplayScreen
from console.widgets.transcript import MessageRow
from tests.helpers import Backend, until

SIZE = (160, 45)
QUESTION = "How long does shipping take? Write to me at jo.private@example.com"
EDITED = "Shipping takes three to five working days, tracked all the way."


async def edited_chat(backend: Backend, name: str) -> str:
    """A customer asks, alice edits the bot's draft for tone; returns the conversation id."""
    chat = await backend.chat(QUESTION, name=name)
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
        assert draft is not None
        await alice.edit(draft.id, draft.version, EDITED, ReasonCode.TONE, "friendlier please")
    return chat.id


async def replay_as(backend: Backend, who: str, tmp_path: Path, pilot: Pilot[None]) -> ReplayScreen:
    """The app signed in as `who`, with replay opened by its key (f7)."""
    app = pilot.app
    assert isinstance(app, HitlApp)
    await until(pilot, lambda: app.me is not None and app.connection is ConnectionState.LIVE)
    await pilot.press("f7")
    await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
    assert isinstance(app.screen, ReplayScreen)
    return app.screen


def config_for(backend: Backend, who: str, tmp_path: Path) -> ConsoleConfig:
    """A console config for one of the seeded operators."""
    return ConsoleConfig(
        url=backend.url, token=backend.tokens[who], config_path=tmp_path / "absent.toml"
    )


def text_of(screen: ReplayScreen, selector: str) -> str:
    """What a Static shows, as plain text."""
    return str(screen.query_one(selector, Static).visual)


def transcript(screen: ReplayScreen) -> list[str]:
    """The transcript rows shown so far."""
    return [str(row.visual) for row in screen.query(MessageRow)]


async def find(pilot: Pilot[None], screen: ReplayScreen, query: str) -> None:
    """Type a search and press enter once: its single match opens by itself."""
    await pilot.press(*query, "enter")
    results = screen.query_one("#replay-results", DataTable)
    await until(pilot, lambda: results.row_count == 1)
    await until(pilot, lambda: screen.timeline is not None)
    await until(pilot, lambda: screen.focused is screen.query_one(Player))


async def test_trainer_steps_to_the_edited_draft(live_backend: Backend, tmp_path: Path) -> None:
    cid = await edited_chat(live_backend, "Zed Replay")
    await live_backend.chat("Hello there", name="Other Person")
    app = make_app(config_for(live_backend, "tina", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "tina", tmp_path, pilot)
        assert screen.query_one("#replay-masked").display
        # By id: a trainer's search matches only what a trainer sees (issue 14.3).
        await find(pilot, screen, cid)
        timeline = screen.timeline
        assert timeline is not None
        total = len(timeline.items)
        assert screen.position == 1
        assert f"step 1/{total}" in text_of(screen, "#replay-player")

        kinds = [item.kind for item in timeline.items]
        draft_step = kinds.index("draft") + 1
        for _ in range(draft_step - 1):
            await pilot.press("right")
        await until(pilot, lambda: screen.position == draft_step)
        assert f"step {draft_step}/{total} · draft" in text_of(screen, "#replay-player")

        panel = text_of(screen, "#replay-step-text")
        draft = timeline.items[draft_step - 1].draft
        assert draft is not None
        assert draft.text.splitlines()[0] in panel  # what the AI proposed
        assert EDITED in panel  # what went out
        assert "edit by" in panel and "(agent)" in panel
        assert "reason: tone" in panel and "friendlier please" in panel

        # The customer's email was masked by the backend, not on screen only.
        rows = transcript(screen)
        assert any("[email]" in row for row in rows)
        assert not any("jo.private@example.com" in row for row in rows)

        await pilot.press("left")
        assert screen.position == draft_step - 1
        await pilot.press("end")
        assert screen.position == total
        await pilot.press("home")
        assert screen.position == 1


async def test_play_advances_by_itself(live_backend: Backend, tmp_path: Path) -> None:
    cid = await edited_chat(live_backend, "Pia Player")
    app = make_app(config_for(live_backend, "tina", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "tina", tmp_path, pilot)
        await find(pilot, screen, cid)
        timeline = screen.timeline
        assert timeline is not None
        total = len(timeline.items)

        await pilot.press("s")  # 4×
        assert "4×" in text_of(screen, "#replay-player")
        await pilot.press("space")
        assert screen.playing
        await until(pilot, lambda: screen.position == total, timeout=total * 0.25 + 5)
        await until(pilot, lambda: not screen.playing)

        await pilot.press("home", "s")  # instant
        assert "instant" in text_of(screen, "#replay-player")
        await pilot.press("space")
        await until(pilot, lambda: screen.position == total)
        assert not screen.playing


async def test_leaving_replay_pauses_it(live_backend: Backend, tmp_path: Path) -> None:
    await edited_chat(live_backend, "Lee Leaver")
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "sam", tmp_path, pilot)
        assert not screen.query_one("#replay-masked").display  # supervisors see it unmasked
        await find(pilot, screen, "Lee Leaver")
        await pilot.press("space")
        assert screen.playing
        await pilot.press("escape")
        assert not screen.playing


async def test_takeover_and_hand_back_steps_say_who_did_what_and_why(
    live_backend: Backend, tmp_path: Path
) -> None:
    chat = await live_backend.chat("I need to talk about my order", name="Tess Takeover")
    async with live_backend.client("alice") as alice:
        detail = await alice.get_conversation(chat.id)
        detail = await alice.takeover(
            detail.id, detail.version, ReasonCode.CUSTOMER_REQUEST, "wants a person"
        )
        await alice.handback(detail.id, detail.version)
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "sam", tmp_path, pilot)
        await find(pilot, screen, "Tess Takeover")
        timeline = screen.timeline
        assert timeline is not None
        kinds = [
            item.decision.action.value if item.decision is not None else item.kind
            for item in timeline.items
        ]
        steps = (("takeover", "reason: customer request"), ("handback", "reason: —"))
        for action, words in steps:
            await pilot.press("home")
            step = kinds.index(action) + 1
            for _ in range(step - 1):
                await pilot.press("right")

            def at_step(step: int = step) -> bool:
                return screen.position == step

            await until(pilot, at_step)
            panel = text_of(screen, "#replay-step-text")
            assert "No AI draft yet" not in panel
            assert f"{action} by alice (agent)" in panel and words in panel


async def test_one_click_opens_a_result(live_backend: Backend, tmp_path: Path) -> None:
    await edited_chat(live_backend, "Una Click")
    await edited_chat(live_backend, "Una Click")
    app = make_app(config_for(live_backend, "sam", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "sam", tmp_path, pilot)
        await pilot.press(*"Una Click", "enter")
        results = screen.query_one("#replay-results", DataTable)
        await until(pilot, lambda: results.row_count == 2)
        assert screen.timeline is None  # two matches: the user picks
        assert str(results.get_cell_at(Coordinate(0, 0))) == "Una Click · jo@example.com"
        assert results.cursor_row == 0
        second = results.coordinate_to_cell_key(Coordinate(1, 0)).row_key.value
        await pilot.click(results, offset=(2, 2))  # the second row, below the header line
        await until(pilot, lambda: screen.timeline is not None)
        assert screen.timeline is not None and screen.timeline.conversation.id == second


async def test_a_trainer_exports_training_pairs_from_replay(
    live_backend: Backend, tmp_path: Path
) -> None:
    for name in ("Pia Pair", "Pat Pair"):
        await edited_chat(live_backend, name)
    out = tmp_path / "pairs.jsonl"
    app = make_app(config_for(live_backend, "tina", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "tina", tmp_path, pilot)
        await pilot.press("ctrl+o")  # from the search field too: it is not a letter
        dialog = await until(
            pilot, lambda: isinstance(app.screen, PairsExportDialog) and app.screen
        )
        dialog.query_one("#pairs-path", Input).value = str(out)
        await pilot.press("enter")
        status = screen.query_one(PairsExportStatus)
        await until(pilot, lambda: "Wrote 2 training pairs" in str(status.visual))
        assert str(out) in str(status.visual) and status.display
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [p["chosen"] for p in pairs] == [EDITED, EDITED]
    assert all(p["masked"] for p in pairs)
    assert "jo.private@example.com" not in out.read_text()


async def test_an_agent_is_not_offered_the_pair_export(
    live_backend: Backend, tmp_path: Path
) -> None:
    app = make_app(config_for(live_backend, "alice", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await replay_as(live_backend, "alice", tmp_path, pilot)
        assert screen.check_action("export_pairs", ()) is False
