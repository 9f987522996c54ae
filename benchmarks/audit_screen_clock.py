"""bench_audit_screen's clock: frames timestamped and read, the settings, the results.

What the measuring side (`audit_screen_steps`) and the report
(`bench_audit_screen`) share.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from frames import CountingDriver
from textual import events
from textual.driver import Driver

from console.app import HitlApp
from console.widgets.choice import Choice

SIZE = (160, 50)
TARGET_MS = 100.0
JOURNAL_SECRET = "bench-secret"
"""The HMAC key `bench_audit.build_journal` signs with (checked after a build)."""
KEY_GAP = 0.03
"""Idle time before each timed key, so every sample starts from a quiet app."""
DOWN_PRESSES = 200
SAMPLES = 20
DURING_VERIFY = 20
"""Cursor-down presses measured while the chain verification is in flight (at most)."""
STEP_TIMEOUT = 30.0
"""The longest one sample may wait for its frame."""
VERIFY_TIMEOUT = 240.0
"""The longest the chain verification may take before it is reported as not done."""
FILTER_ACTIONS = ["approve", "edit", "reject", "regenerate", "takeover", "handback"]
"""The actions `bench_audit.build_journal` writes (the others have no entries)."""


# -- frames ------------------------------------------------------------------------------


# -- frames ------------------------------------------------------------------------------


class RecordingDriver(CountingDriver):
    """`CountingDriver` (frames encoded, not written) that also keeps the current frame's text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parts: list[str] = []

    def write(self, data: str) -> None:
        """Count the bytes and keep them until the frame is stamped."""
        super().write(data)
        self.parts.append(data)


@dataclass
class Waiter:
    """Resolves with the time of the first frame after which `ready()` holds and every
    string `needles()` returns was in a frame written since the waiter was made."""

    ready: Callable[[], bool]
    needles: Callable[[], list[str]]
    future: asyncio.Future[float]
    seen: list[str] = field(default_factory=list)


class FrameClock:
    """Timestamps the frames of one app: sets `_build_driver` and `post_display_hook` on it."""

    def __init__(self, app: HitlApp) -> None:
        self.app = app
        self.driver: RecordingDriver | None = None
        self.frames = 0
        self._waiters: list[Waiter] = []
        self.notified: list[str] = []
        """What the app told the person (toasts), in order."""
        app._build_driver = self._build_driver  # type: ignore[method-assign]
        # Chained, not replaced: the app's own hook collects garbage between frames.
        self._app_hook = app.post_display_hook
        app.post_display_hook = self._after_display  # type: ignore[method-assign]
        notify = app.notify

        def noting(message: str, *args: Any, **kwargs: Any) -> None:
            title = kwargs.get("title") or ""
            self.notified.append(f"{title}: {message}" if title else message)
            notify(message, *args, **kwargs)

        app.notify = noting  # type: ignore[method-assign]

    def _build_driver(
        self, headless: bool, inline: bool, mouse: bool, size: tuple[int, int] | None
    ) -> Driver:
        self.driver = RecordingDriver(self.app, debug=False, mouse=mouse, size=size)
        return self.driver

    def _after_display(self) -> None:
        self._app_hook()
        driver = self.driver
        if driver is None or not driver.parts:
            return
        now = time.perf_counter()
        text = "".join(driver.parts)
        driver.parts.clear()
        self.frames += 1
        still = []
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            waiter.seen.append(text)
            if waiter.ready():
                seen = "".join(waiter.seen)
                if all(needle in seen for needle in waiter.needles()):
                    waiter.future.set_result(now)
                    continue
            still.append(waiter)
        self._waiters = still

    def frame_when(
        self, ready: Callable[[], bool], needles: Callable[[], list[str]] = list
    ) -> asyncio.Future[float]:
        """A future for the perf_counter time of the first frame that shows the result."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append(Waiter(ready, needles, future))
        return future

    def send(self, key: str, character: str | None = None) -> float:
        """Send a key as a terminal would; returns when it was sent."""
        assert self.driver is not None
        started = time.perf_counter()
        self.driver.send_message(events.Key(key, character))
        return started


# -- what is measured --------------------------------------------------------------------


@dataclass
class Results:
    """Milliseconds per metric, in the order they are printed; notes for the footer."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    verify_ms: float | None = None
    verify_text: str = ""

    def add(self, metric: str, value: float) -> None:
        """One sample."""
        self.samples.setdefault(metric, []).append(value)


OPEN = "open: F6 → first rows"
REOPEN = "open again: F6 → page reloaded"
DOWN = "cursor down → row + detail"
END_LOCAL = "end → last loaded row + detail"
END_PAGE = "end → next page's rows in table"
FILTER_ACTION = "filter action (choice) → rows"
FILTER_REASON = "filter reason (choice) → rows"
SEARCH = "search (/ word enter) → rows"
DOWN_VERIFYING = "cursor down, verify in flight"
END_VERIFYING = "end → next page, verify in flight"
METRICS = [OPEN, REOPEN, DOWN_VERIFYING, END_VERIFYING, DOWN, END_LOCAL, END_PAGE]
METRICS += [FILTER_ACTION, FILTER_REASON, SEARCH]
"""The order of the table's lines."""


def moved(choice: Choice[object]) -> Callable[[], bool]:
    """Whether `choice` has left the option it is on now."""
    index = choice.index
    return lambda: choice.index != index
