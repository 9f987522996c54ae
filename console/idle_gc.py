"""Garbage collection between frames, not in the middle of one.

CPython starts a collection when enough objects have been allocated, which in
a Textual app means in the middle of drawing a frame: at 100,000 queue rows a
collection of the middle generation took 5-11 ms and a full one 11-30 ms, and
those were the slowest key presses (page-down p95 12.7 ms, of which the
collector was most). After each frame the app runs the collection that the
collector's own thresholds are about to start, while nothing waits for it;
the collector's thresholds and how often it runs stay as they are.

While someone waits for a frame, the collector does not run at all: from a key
press to the frame after it, and while a fetch the person asked for is on its
way until its result is drawn (`collections_held`). At a million journal
entries the override log's full collections took 20-60 ms each, about 40 a
minute, and one that started in the middle of a filter step put that sample
over 100 ms. The collections that came due meanwhile run after the frame.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import TypeVar

from textual import events
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

    hold_limit = 1.0
    """After this many seconds paused, collections run between frames even if held (s).

    A slow backend must not turn into unbounded memory while the person waits.
    """

    _collect_scheduled = False
    _held = 0
    _paused_at: float | None = None
    """When automatic collection was switched off (monotonic), or None: it runs."""
    _was_enabled = True

    @contextmanager
    def collections_held(self) -> Iterator[None]:
        """No collection at all meanwhile: someone waits for what comes next.

        For a fetch the person just asked for (a filter, a page): hold it until
        its result is drawn, as a collection started in between would delay
        the frame that shows it. The first frame after the hold collects what
        came due (after `hold_limit` seconds, frames collect even while held).
        """
        self._held += 1
        self._pause()
        try:
            yield
        finally:
            self._held -= 1
            if not self._held:
                self._schedule_collection()

    async def on_event(self, event: events.Event) -> None:
        """A key press: no collection until the frame that answers it is written."""
        if isinstance(event, events.Key):
            self._pause()
        await super().on_event(event)

    def post_display_hook(self) -> None:
        """After a frame: collect once the messages already waiting are handled."""
        super().post_display_hook()
        self._schedule_collection()

    def _schedule_collection(self) -> None:
        if not self._collect_scheduled:
            self._collect_scheduled = True
            self.call_later(self._collect_when_idle)

    def _pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = monotonic()
            self._was_enabled = gc.isenabled()
            gc.disable()
            # In case no frame comes: a key that changed nothing on screen.
            self.set_timer(self.hold_limit, self._schedule_collection)

    def _collect_when_idle(self) -> None:
        self._collect_scheduled = False
        paused_at = self._paused_at
        if paused_at is not None:
            if self._held and monotonic() - paused_at < self.hold_limit:
                return
            self._paused_at = None
            if self._was_enabled:
                gc.enable()
            # What the young generation's threshold would have started meanwhile.
            if gc.get_count()[0] > gc.get_threshold()[0]:
                gc.collect(0)
        collect_if_due()
