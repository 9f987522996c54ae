"""The opt-in collector: garbage is collected between frames, not while drawing one."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import ComposeResult
from textual.widgets import Static

from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.idle_gc import IdleCollectingApp, collect_if_due, make_idle_collecting_app
from tests.helpers import Backend, until


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection started, in order.

    Automatic collection is off meanwhile, so every one seen was asked for.
    """
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()  # every count back to zero
    gc.disable()
    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)
    gc.enable()


def test_nothing_is_collected_until_the_collector_is_close_to_its_threshold(
    collections: list[int],
) -> None:
    _, threshold1, _ = gc.get_threshold()
    young_collections(threshold1 - 3)
    collections.clear()
    assert collect_if_due() is None
    assert collections == []


def young_collections(count: int) -> None:
    """Make the collector run `count` young collections, as allocating work does."""
    for _ in range(count):
        gc.collect(0)


def test_a_middle_collection_runs_when_one_is_nearly_due(collections: list[int]) -> None:
    _, threshold1, _ = gc.get_threshold()
    young_collections(threshold1 - 1)
    collections.clear()
    assert collect_if_due() == 1
    assert collections == [1]
    assert gc.get_count()[1] == 0


def test_a_full_collection_runs_when_the_middle_one_would_start_it(
    collections: list[int],
) -> None:
    _, threshold1, threshold2 = gc.get_threshold()
    for _ in range(threshold2 - 1):
        gc.collect(1)
    young_collections(threshold1 - 1)
    collections.clear()
    assert collect_if_due() == 2
    assert collections == [2]


class Shown(IdleCollectingApp[None]):
    """One line of text; notes when each frame was written."""

    def __init__(self, seen: list[int]) -> None:
        super().__init__()
        self.seen = seen

    def compose(self) -> ComposeResult:
        yield Static("hello", id="hello")

    def post_display_hook(self) -> None:
        self.seen.append(-1)  # a frame, in the same list as the collections
        super().post_display_hook()


async def test_after_a_frame_the_app_runs_the_collection_that_was_due(
    collections: list[int],
) -> None:
    app = Shown(collections)
    async with app.run_test() as pilot:
        await pilot.pause()
        _, threshold1, _ = gc.get_threshold()
        young_collections(threshold1 - 1)
        collections.clear()
        app.query_one("#hello", Static).update("a new frame")
        await pilot.pause()
        await pilot.pause()
        # A frame, then the collection that was due, once.
        assert collections[0] == -1
        assert [c for c in collections if c >= 0] == [1]
        assert gc.get_count()[1] == 0


async def test_what_exists_when_asked_is_frozen_at_the_next_idle_moment_until_the_app_stops(
    collections: list[int],
) -> None:
    app = Shown(collections)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert gc.get_freeze_count() == 0
        app.freeze_when_idle()  # as the console asks after each snapshot page
        await pilot.pause()
        await pilot.pause()
        # The app's widgets, styles and modules: later full collections skip them.
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_the_console_freezes_after_a_snapshot_page(
    live_backend: Backend, tmp_path: Path
) -> None:
    await live_backend.chat("Hello")
    config = ConsoleConfig(
        url=live_backend.url, token=live_backend.tokens["alice"], config_path=tmp_path / "x.toml"
    )
    app = make_idle_collecting_app(config)
    async with app.run_test() as pilot:
        await until(pilot, lambda: len(app.queue) > 0)
        await until(pilot, lambda: gc.get_freeze_count() > 0)
    assert gc.get_freeze_count() == 0


@pytest.fixture
def automatic() -> Iterator[list[int]]:
    """Like `collections`, but the collector also runs by itself, as in use."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    assert gc.isenabled()
    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)
    gc.enable()


def allocate_cycles(count: int = 50_000) -> list[list[object]]:
    """Container objects in cycles, as drawing a frame makes: they start collections."""
    cycles: list[list[object]] = []
    for _ in range(count):
        cycle: list[object] = []
        cycle.append(cycle)
        cycles.append(cycle)
    return cycles


class Typed(Shown):
    """`Shown`, whose `x` key allocates like a busy frame and changes the text."""

    BINDINGS = [("x", "busy", "Busy")]

    def action_busy(self) -> None:
        self.seen.append(-2)  # the key's work starts
        self.made = allocate_cycles()
        self.seen.append(-3)  # and ends
        self.query_one("#hello", Static).update(f"{len(self.made)} made")


async def test_from_a_key_press_to_its_frame_the_collector_does_not_run(
    automatic: list[int],
) -> None:
    app = Typed(automatic)
    async with app.run_test() as pilot:
        await pilot.pause()
        automatic.clear()
        await pilot.press("x")
        await pilot.pause()
        await pilot.pause()
        work = automatic.index(-2)
        frame = automatic.index(-1, work)
        # 50,000 new containers would have started young collections in the
        # middle of the key's work: none ran until its frame was written...
        assert [c for c in automatic[work:frame] if c >= 0] == []
        # ...and then the ones that came due did.
        assert [c for c in automatic[frame:] if c >= 0]
    # Outside the app, the collector is automatic again.
    assert gc.isenabled()


async def test_no_collection_while_someone_waits_then_one_after_the_next_frame(
    automatic: list[int],
) -> None:
    app = Shown(automatic)
    async with app.run_test() as pilot:
        await pilot.pause()
        hello = app.query_one("#hello", Static)
        automatic.clear()
        with app.collections_held():  # a fetch the person asked for is on its way
            hello.update("the choice, repainted")
            made = allocate_cycles()
            await pilot.pause()
            await pilot.pause()
            assert -1 in automatic and [c for c in automatic if c >= 0] == []
            assert not gc.isenabled()
        hello.update(f"the rows, arrived: {len(made)}")
        await pilot.pause()
        await pilot.pause()
        assert [c for c in automatic if c >= 0]
    assert gc.isenabled()


class Patient(Shown):
    """`Shown`, whose holds give way to collections after a tenth of a second."""

    hold_limit = 0.1


async def test_a_hold_longer_than_its_limit_lets_frames_collect_again(
    automatic: list[int],
) -> None:
    app = Patient(automatic)
    async with app.run_test() as pilot:
        await pilot.pause()
        hello = app.query_one("#hello", Static)
        with app.collections_held():  # a backend that takes its time
            await pilot.pause(0.2)
            automatic.clear()
            made = allocate_cycles()
            hello.update(f"a frame while still waiting: {len(made)}")
            await pilot.pause()
            await pilot.pause()
            # Past the limit, the frame collects what came due, hold or not.
            assert [c for c in automatic if c >= 0]
    assert gc.isenabled()


def test_only_who_opts_in_gets_the_collector_steered(tmp_path: Path) -> None:
    """The console as shipped leaves the collector alone; the benchmarks opt in."""
    config = ConsoleConfig(url="http://hitl.test", token="t", config_path=tmp_path / "none.toml")
    assert not isinstance(make_app(config), IdleCollectingApp)
    opted_in = make_idle_collecting_app(config)
    assert isinstance(opted_in, IdleCollectingApp) and isinstance(opted_in, HitlApp)
