"""bench_audit_screen's steps: one console driven through every measurement, key by key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from audit_screen_backend import Journal
from audit_screen_clock import (
    DOWN_VERIFYING,
    DURING_VERIFY,
    END_VERIFYING,
    FILTER_ACTION,
    FILTER_ACTIONS,
    FILTER_REASON,
    KEY_GAP,
    OPEN,
    REOPEN,
    SEARCH,
    STEP_TIMEOUT,
    VERIFY_TIMEOUT,
    FrameClock,
    Results,
    moved,
)
from textual.widgets import Input

from backend_client import AuditEntry
from console.app import HitlApp
from console.screens.audit_log import AuditLogScreen
from console.widgets.audit_list import AuditList
from console.widgets.choice import Choice


class Bench:
    """Drives one console through every measurement."""

    def __init__(
        self, app: HitlApp, clock: FrameClock, url: str, journal: Journal, results: Results
    ) -> None:
        self.app = app
        self.clock = clock
        self.url = url
        self.journal = journal
        self.newest = journal.entries
        self.results = results
        self.lost_cursor = False
        self.first_pages = 0
        """First pages the log has shown (its rows swapped in), once `count_first_pages` ran."""
        self._counted: AuditList | None = None

    # -- the screen's state, as read after each frame ------------------------------------

    @property
    def screen(self) -> AuditLogScreen:
        screen = self.app.screen
        assert isinstance(screen, AuditLogScreen), f"not on the override log: {screen!r}"
        return screen

    @property
    def table(self) -> AuditList:
        return self.screen.query_one("#audit-table", AuditList)

    def on_log(self) -> bool:
        return isinstance(self.app.screen, AuditLogScreen)

    def selected(self) -> AuditEntry | None:
        return self.screen.selected if self.on_log() else None

    def detail_needle(self) -> list[str]:
        """The selected entry's heading in the detail panel."""
        entry = self.selected()
        return [f"Entry {entry.seq}"] if entry is not None else ["\0never"]

    def chain_needle(self) -> list[str]:
        """The header's words for the chain's state."""
        chain = self.screen.chain if self.on_log() else None
        if chain is None:
            return ["\0never"]
        return ["Chain verified" if chain.ok else "Chain BROKEN"]

    def seq_at(self, row: int) -> int:
        return self.table.entry_at(row).seq

    def verifying(self) -> bool:
        return self.on_log() and self.screen.chain is None

    # -- pressing keys --------------------------------------------------------------------

    async def key(
        self, key: str, character: str | None = None, then: Callable[[], bool] | None = None
    ) -> None:
        """An untimed key; then waits until `then()` holds (keys are not sent faster than the
        app handles them: focus moves are deferred, and a key sent before the previous one's
        focus change landed would be handled by the wrong widget)."""
        await asyncio.sleep(KEY_GAP)
        self.clock.send(key, character)
        if then is not None:
            await self.until(then)
        await asyncio.sleep(KEY_GAP)

    def focused(self, widget_id: str) -> Callable[[], bool]:
        """A check: the widget with this id has the focus."""
        return lambda: self.app.focused is not None and self.app.focused.id == widget_id

    async def timed(
        self,
        key: str,
        ready: Callable[[], bool],
        needles: Callable[[], list[str]] = list,
        timeout: float = STEP_TIMEOUT,
    ) -> float:
        """Milliseconds from sending `key` (to an idle app) to the frame that shows the result."""
        await asyncio.sleep(KEY_GAP)
        frame = self.clock.frame_when(ready, needles)
        started = self.clock.send(key)
        return (await asyncio.wait_for(frame, timeout) - started) * 1000

    async def until(self, check: Callable[[], bool], timeout: float = STEP_TIMEOUT) -> None:
        """Wait (untimed) until `check()` holds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not get there")
            await asyncio.sleep(0.01)

    def page_settled(self) -> bool:
        return not self.screen.fetching and not self._loading()

    def _loading(self) -> bool:
        return any(
            worker.group == "audit-page" and not worker.is_finished
            for worker in self.screen.workers
        )

    # -- 1. open, and what happens while the chain is verified ----------------------------

    def running(self, group: str) -> bool:
        """Whether the screen has an unfinished worker of this group."""
        return any(w.group == group and not w.is_finished for w in self.screen.workers)

    async def settle(
        self, frame: asyncio.Future[float], failed: Callable[[], bool], timeout: float
    ) -> float | None:
        """The frame's time, or None once `failed()` held for half a second (or at timeout)."""
        deadline = time.monotonic() + timeout
        failing_since: float | None = None
        while not frame.done():
            now = time.monotonic()
            if now > deadline:
                return None
            if self.on_log() and failed():
                failing_since = failing_since or now
                if now - failing_since > 0.5:
                    return None
            else:
                failing_since = None
            await asyncio.sleep(0.02)
        return frame.result()

    def last_notice(self) -> str:
        """What the console last told the person, if anything."""
        return self.clock.notified[-1][:100] if self.clock.notified else "no notice"

    async def open(self) -> float:
        """F6 → the first frame with the newest entry's row; returns when F6 was sent."""
        await asyncio.sleep(0.5)
        rows = self.clock.frame_when(
            lambda: self.on_log() and self.table.row_count > 0, lambda: [str(self.newest)]
        )
        self.verified = self.clock.frame_when(
            lambda: self.on_log() and self.screen.chain is not None,
            self.chain_needle,
        )
        started = self.clock.send("f6")
        when = await self.settle(
            rows, lambda: self.table.row_count == 0 and self.page_settled(), VERIFY_TIMEOUT
        )
        if when is None:
            self.results.notes.append(
                f"open: no rows after {time.perf_counter() - started:.1f} s ({self.last_notice()})"
            )
        else:
            self.results.add(OPEN, (when - started) * 1000)
        return started

    async def reopen(self) -> None:
        """Escape back to the queue, then F6 → the frame with the log's first page reloaded."""
        if self.app.focused is not None and self.app.focused.id != "audit-table":
            await self.key("escape", then=self.focused("audit-table"))
        self.count_first_pages()
        await self.key("escape", then=lambda: not self.on_log())
        await asyncio.sleep(0.5)
        shown = self.first_pages

        def ready() -> bool:
            return self.on_log() and self.first_pages > shown and self.table.row_count > 0

        rows = self.clock.frame_when(ready, lambda: [str(self.seq_at(0))])
        started = self.clock.send("f6")
        when = await self.settle(rows, lambda: self.page_settled() and not ready(), STEP_TIMEOUT)
        if when is None:
            self.results.notes.append(f"open again: no page reloaded ({self.last_notice()})")
            return
        self.results.add(REOPEN, (when - started) * 1000)
        await self.until(self.page_settled)

    def count_first_pages(self) -> None:
        """Count the first pages shown: the screen keeps no count, so wrap the list's `replace`."""
        table = self.table
        if self._counted is table:
            return
        replace = table.replace

        def counting(entries: Iterable[AuditEntry]) -> int:
            self.first_pages += 1
            return replace(entries)

        table.replace = counting  # type: ignore[method-assign]
        self._counted = table

    async def while_verifying(self, samples: int) -> None:
        """Cursor moves and page fetches while the server verifies the chain."""
        for _ in range(DURING_VERIFY):
            if not self.verifying() or self.table.row_count < 2:
                break
            value = await self.down()
            if self.verifying():  # the frame came before the verification ended
                self.results.add(DOWN_VERIFYING, value)
        for _ in range(samples):
            await self.until(self.page_settled, VERIFY_TIMEOUT)
            if not self.verifying() or self.screen._next_cursor is None:
                return
            if not await self.end_while_verifying():
                return

    async def end_while_verifying(self) -> bool:
        """One `end` whose page must come from the backend; False if it never came."""
        rows = self.table.row_count
        await asyncio.sleep(KEY_GAP)
        frame = self.clock.frame_when(lambda: self.on_log() and self.table.row_count > rows)
        started = self.clock.send("end")
        when = await self.settle(
            frame,
            lambda: self.table.row_count == rows and self.page_settled(),
            VERIFY_TIMEOUT,
        )
        if when is not None:
            if self.verifying():  # the page came before the verification ended
                self.results.add(END_VERIFYING, (when - started) * 1000)
            return True
        self.results.notes.append(
            f"end while verifying: the page never came; the fetch gave up after "
            f"{time.perf_counter() - started:.1f} s ({self.last_notice()})"
        )
        self.lost_cursor = self.screen._next_cursor is None
        return False

    async def wait_verified(self, opened: float) -> None:
        """F6 → the frame whose header shows the chain's state (or why it never did)."""
        when = await self.settle(
            self.verified,
            lambda: self.screen.chain is None and not self.running("audit-verify"),
            VERIFY_TIMEOUT,
        )
        if when is None:
            self.results.verify_ms = (time.perf_counter() - opened) * 1000
            self.results.verify_text = f"never shown; the worker gave up: {self.last_notice()}"
            return
        self.results.verify_ms = (when - opened) * 1000
        chain = self.screen.chain
        assert chain is not None
        self.results.verify_text = (
            f"ok, {chain.entries:,} entries"
            if chain.ok
            else f"BROKEN at {chain.first_bad}: {chain.reason}"
        )

    # -- 2. and 3. moving through the table ----------------------------------------------

    async def down(self) -> float:
        """One press of down → the frame with the next row's detail."""
        table = self.table
        before = table.cursor_row
        if before + 1 >= table.row_count:
            await self.until(self.page_settled)
            if before + 1 >= table.row_count:  # the end of the log: start again
                await self.key("home", then=lambda: self.table.cursor_row == 0)
                before = table.cursor_row
        seq = self.seq_at(before + 1)

        def ready() -> bool:
            entry = self.selected()
            return self.table.cursor_row == before + 1 and entry is not None and entry.seq == seq

        return await self.timed("down", ready, lambda: [f"Entry {seq}"])

    async def end(self, timeout: float = STEP_TIMEOUT) -> tuple[float, float]:
        """One press of end → (last loaded row shown, next page's rows in the table)."""
        table = self.table
        rows = table.row_count
        last = self.seq_at(rows - 1)

        def shown() -> bool:
            entry = self.selected()
            return entry is not None and entry.seq == last

        def grown() -> bool:
            return self.on_log() and self.table.row_count > rows

        await asyncio.sleep(KEY_GAP)
        local = self.clock.frame_when(shown, lambda: [f"Entry {last}"])
        page = self.clock.frame_when(grown)
        started = self.clock.send("end")
        local_at = await asyncio.wait_for(local, timeout)
        page_at = await asyncio.wait_for(page, timeout)
        return (local_at - started) * 1000, (page_at - started) * 1000

    # -- 4. filters through the choice widgets ----------------------------------------------

    async def sweep(self, choice_id: str, column: str, present: set[str], samples: int) -> None:
        """Step the focused choice with → and ← across the options the journal has, timing each.

        Each key is what a person presses to see the next action (or reason):
        → until the last option with entries, then ← back, and so on. A sample
        ends at the first frame drawing a matching entry's detail.
        """
        choice = self.screen.query_one(f"#{choice_id}", Choice)
        await self.until(self.focused(choice_id))
        values = [value for _, value in choice._options]
        # The first run of adjacent options that have entries (a reason the journal
        # lacks, like "customer request", ends it).
        first = next(index for index, value in enumerate(values) if value in present)
        have = [first]
        while have[-1] + 1 < len(values) and values[have[-1] + 1] in present:
            have.append(have[-1] + 1)
        assert len(have) > 1, "no two adjacent options with entries to step between"
        while choice.index != have[0]:  # untimed: to the first option with entries
            await self.key("right", then=moved(choice))
        await self.until(self.page_settled)
        metric = FILTER_ACTION if column == "action" else FILTER_REASON
        step = 1
        for _ in range(samples):
            if choice.index + step not in have:
                step = -step
            value = values[choice.index + step]

            def ready(value: object = value) -> bool:
                if not self.on_log() or self.table.row_count == 0:
                    return False
                entry = self.selected()
                shown = getattr(entry, column, None)
                chosen = getattr(self.screen.filters, column)
                return chosen == value and shown is not None and str(shown) == value

            key = "right" if step == 1 else "left"
            self.results.add(metric, await self.timed(key, ready, self.detail_needle))
            await self.until(self.page_settled)
        while choice.index != 0:  # untimed: back to "any"
            await self.key("left", then=moved(choice))
        await self.until(lambda: choice.value is None and self.screen.filters.active is False)
        await self.until(self.page_settled)

    async def filters(self, samples: int, reasons: list[str]) -> None:
        """Action, then reason, stepped with the keyboard in their choice widgets."""
        await self.key("f", "f", then=self.focused("filter-actor"))
        await self.key("tab", then=self.focused("filter-action"))
        await self.sweep("filter-action", "action", set(FILTER_ACTIONS), samples)
        await self.key("tab", then=self.focused("filter-reason"))
        await self.sweep("filter-reason", "reason_code", set(reasons), samples)

    # -- 5. free-text search -----------------------------------------------------------------

    async def search(self, words: list[str]) -> None:
        """`/`, type each word, enter → the first frame with a matching entry."""
        await self.until(self.focused("filter-reason"))
        await self.key("escape", then=self.focused("audit-table"))
        await self.key("slash", "/", then=self.focused("filter-q"))
        field_ = self.screen.query_one("#filter-q", Input)
        for word in words:
            if field_.value:
                await self.key("home", then=lambda: field_.cursor_position == 0)
                await self.key("ctrl+k", then=lambda: field_.value == "")
            for character in word:
                self.clock.send(character, character)
            await self.until(lambda word=word: field_.value == word)  # type: ignore[misc]

            def ready(word: str = word) -> bool:
                return (
                    self.on_log()
                    and self.screen.filters.q == word
                    and self.table.row_count > 0
                    and self.selected() is not None
                )

            self.results.add(SEARCH, await self.timed("enter", ready, self.detail_needle))
            await self.until(self.page_settled)
