"""Opt-in: garbage collection between frames, never in the middle of one.

The console does not steer the collector: by default CPython collects when
its thresholds say so. This module is the one place that does, for whoever
opts in (the benchmarks do: `make_idle_collecting_app`, or a subclass of
`IdleCollectingApp`); nothing in the console imports it.

CPython starts a collection when enough objects have been allocated, which
in a Textual app means in the middle of drawing a frame or handling a key.
An `IdleCollectingApp` switches automatic collection off while it runs and
instead, after each frame is written (`post_display_hook`, a public hook) and
at least every `hold_limit` seconds, runs the collections that the
collector's own thresholds have made due (`collect_if_due`). While someone
waits for a result they asked for (`collections_held`), frames do not
collect either, for at most `hold_limit` seconds. Automatic collection is
back on when the app stops.

After a snapshot page is folded into the queue, the next idle moment freezes
what exists (`gc.freeze`): the app, its screens, stylesheets, modules and the
queue live as long as the app, so later full collections need not walk them
(without this a full collection walked all of Textual and pydantic, 60-130 ms,
and events due meanwhile waited). Freezing only stops the cyclic collector
from visiting those objects: one whose references all go is still freed, so
only cyclic garbage made before a page waits, until the app stops and
unfreezes.

It relies on CPython's generational collector (`gc.get_count`,
`gc.get_threshold` with three generations), as in CPython 3.11 to 3.13.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from typing import TypeVar

import httpx
from textual.app import App

from backend_client import AsyncBackendClient
from console.app import HitlApp
from console.config import ConsoleConfig
from console.messages import QueuePageLoaded

__all__ = [
    "IdleCollectingApp",
    "IdleCollectingHitlApp",
    "collect_if_due",
    "make_idle_collecting_app",
]

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
    """An app whose garbage is collected right after its frames (see the module)."""

    hold_limit = 1.0
    """The longest collections wait: for a frame, or for a held result (s).

    A slow backend must not turn into unbounded memory while the person waits.
    """

    _collect_scheduled = False
    _held = 0
    _held_since: float | None = None
    _was_enabled = True
    _frozen = False
    _freeze_due = False

    def on_mount(self) -> None:
        """From now on, collections run between frames."""
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.set_interval(self.hold_limit, self._schedule_collection)

    async def on_unmount(self) -> None:
        """Give the collector back its automatic collections."""
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
        if self._was_enabled:
            gc.enable()

    @contextmanager
    def collections_held(self) -> Iterator[None]:
        """No collection meanwhile: someone waits for what comes next.

        For a fetch the person just asked for (a filter, a page): hold it until
        its result is drawn, as a collection started in between would delay
        the frame that shows it. The first frame after the hold collects what
        came due (after `hold_limit` seconds, frames collect even while held).
        """
        self._held += 1
        if self._held_since is None:
            self._held_since = monotonic()
        try:
            yield
        finally:
            self._held -= 1
            if not self._held:
                self._held_since = None
                self._schedule_collection()

    @contextmanager
    def result_awaited(self) -> Iterator[None]:
        """What the console calls while someone waits: hold collections."""
        with self.collections_held():
            yield

    def post_display_hook(self) -> None:
        """After a frame: collect once the messages already waiting are handled."""
        super().post_display_hook()
        self._schedule_collection()

    def _schedule_collection(self) -> None:
        if not self._collect_scheduled:
            self._collect_scheduled = True
            self.call_later(self._collect_when_idle)

    def _collect_when_idle(self) -> None:
        self._collect_scheduled = False
        held_since = self._held_since
        if held_since is not None and monotonic() - held_since < self.hold_limit:
            return
        # What the young generation's threshold would have started meanwhile.
        if gc.get_count()[0] > gc.get_threshold()[0]:
            gc.collect(0)
        collect_if_due()
        if self._freeze_due:
            self._freeze_due = False
            gc.freeze()
            self._frozen = True

    def freeze_when_idle(self) -> None:
        """What exists now lives as long as the app: freeze it at the next idle moment."""
        self._freeze_due = True
        self._schedule_collection()


class IdleCollectingHitlApp(IdleCollectingApp[None], HitlApp):
    """The console, collecting garbage between frames; frozen after each snapshot page."""

    def on_queue_page_loaded(self, message: QueuePageLoaded) -> None:
        """After `HitlApp`'s own handler (Textual calls both) folded the page in."""
        self.freeze_when_idle()


def make_idle_collecting_app(
    config: ConsoleConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> HitlApp:
    """`console.app.make_app`, but an `IdleCollectingHitlApp`."""
    client = AsyncBackendClient(config.url, config.require_token(), transport=transport)
    return IdleCollectingHitlApp(config, client)
