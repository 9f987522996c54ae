"""The console collects garbage between frames, not while drawing one."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from textual.app import ComposeResult
from textual.widgets import Static

from console.idle_gc import IdleCollectingApp, collect_if_due


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


async def test_no_collection_while_someone_waits_then_one_after_the_next_frame(
    collections: list[int],
) -> None:
    app = Shown(collections)
    async with app.run_test() as pilot:
        await pilot.pause()
        _, threshold1, _ = gc.get_threshold()
        young_collections(threshold1 - 1)
        collections.clear()
        hello = app.query_one("#hello", Static)
        with app.collections_held():  # a fetch the person asked for is on its way
            hello.update("the choice, repainted")
            await pilot.pause()
            await pilot.pause()
            assert -1 in collections and [c for c in collections if c >= 0] == []
        hello.update("the rows, arrived")
        await pilot.pause()
        await pilot.pause()
        assert [c for c in collections if c >= 0] == [1]
