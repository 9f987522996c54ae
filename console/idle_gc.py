"""Garbage collection between frames, not in the middle of one.

CPython starts a collection when enough objects have been allocated, which in
a Textual app means in the middle of drawing a frame: at 100,000 queue rows a
collection of the middle generation took 5-11 ms and a full one 11-30 ms, and
those were the slowest key presses (page-down p95 12.7 ms, of which the
collector was most). After each frame the app runs the collection that the
collector's own thresholds are about to start, while nothing waits for it;
the collector's thresholds and how often it runs stay as they are.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from textual.app import App

__all__ = ["IdleCollectingApp", "collect_if_due"]

ReturnType = TypeVar("ReturnType")

SLACK = 2
"""Collect this many steps before the collector's threshold would."""


def collect_if_due() -> int | None:
    """Run the collection the next allocations would start; its generation, or None.

    A middle-generation collection when the young generation has been
    collected nearly `threshold1` times since the last one; a full collection
    when that one would also be the one that starts a full collection.
    """
    _, young_runs, middle_runs = gc.get_count()
    _, threshold1, threshold2 = gc.get_threshold()
    if young_runs < threshold1 - SLACK:
        return None
    generation = 2 if middle_runs >= threshold2 - 1 else 1
    gc.collect(generation)
    return generation


class IdleCollectingApp(App[ReturnType]):
    """An app that collects garbage right after a frame is written (`collect_if_due`)."""

    _collect_scheduled = False
    _held = 0

    @contextmanager
    def collections_held(self) -> Iterator[None]:
        """No collection between frames meanwhile: someone waits for what comes next.

        For a fetch the person just asked for (a filter, a page): a collection
        started while its answer is on the way would delay the frame that
        shows it. The next frame after the hold collects as usual.
        """
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def post_display_hook(self) -> None:
        """After a frame: collect once the messages already waiting are handled."""
        super().post_display_hook()
        if not self._collect_scheduled:
            self._collect_scheduled = True
            self.call_later(self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        self._collect_scheduled = False
        if not self._held:
            collect_if_due()
