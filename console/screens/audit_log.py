"""The override log (supervisor and admin): every human decision, newest first.

Pages come from the API's keyset cursor as the cursor nears the end of what
is loaded, so the screen stays fast over a journal of millions of entries:
it never asks for everything and never skips by offset. The chain's state is
always in the header. Agents and trainers get the server's refusal in its own
words instead of a table.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive, var
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from backend_client import (
    AuditEntry,
    Event,
    EventType,
    ForbiddenError,
    VerifyResult,
)
from console.export_view import AuditFilters, date_problem
from console.keys import AUDIT_LOG_BINDINGS
from console.render.audit import chain_summary, describe_failure, entry_detail
from console.render.sanitize import safe_text
from console.screens.audit_export import AuditExportScreen
from console.screens.audit_messages import (
    AuditPageLoaded,
    AuditPageRefilled,
    AuditRefused,
    ChainVerified,
)
from console.widgets.audit_filters import AuditFilterBar
from console.widgets.audit_list import AuditList
from console.widgets.audit_status import AuditStatusRow
from console.widgets.paused_banner import PausedBanner
from console.widgets.steady_footer import SteadyFooter

__all__ = ["AuditLogScreen"]

FIRST_PAGE_SIZE = 50
"""Entries in the first page of a view: a screenful (~45 rows at 50 lines), so opening
the log or changing a filter fetches and decodes no more than it shows at once."""
PAGE_SIZE = 100
"""Entries per later page of the table."""
PAGE_DRAWN_WAIT = 1.0
"""The longest a page's fetch keeps collections held for its rows to be drawn (s)."""
PREFETCH_ROWS = 20
"""The next page is asked for when the cursor comes this close to the last loaded row."""
VERIFY_DEBOUNCE_SECONDS = 2.0
"""A burst of new entries is verified once, this long after the last one."""


class AuditLogScreen(AuditExportScreen):
    """The override log: filters, a table paged by cursor, the selected entry, chain state."""

    HELP_TITLE = "Override log"
    """What `?` calls this screen."""

    CSS_PATH = "supervision.tcss"
    BINDINGS: ClassVar[list[BindingType]] = AUDIT_LOG_BINDINGS

    # `var`, not `reactive`, as `filters` (see AuditExportScreen).
    chain: var[VerifyResult | None] = var(None, init=False)
    """The chain's state as the server last reported it (None until then, or after a
    verification that could not be made)."""

    # Kept a `reactive`: its screen repaint puts the detail panel in the same
    # frame as the cursor row (as a `var`, cursor down measured 36 ms p50, not 22).
    selected: reactive[AuditEntry | None] = reactive(None, init=False)
    """The entry under the table's cursor."""

    fetching: var[bool] = var(False, init=False)
    """True while a page is on its way."""

    verify_debounce = VERIFY_DEBOUNCE_SECONDS
    """Seconds after the last of a burst of new entries before the chain is verified again."""

    def __init__(self) -> None:
        """An empty log; the first page and the chain's state load on mount."""
        super().__init__()
        self._next_cursor: str | None = None
        self._generation = 0
        self._verify_timer: Timer | None = None
        self._shown_filters = AuditFilters()
        """The filters the rows on screen were loaded with."""
        self._verify_asked = False
        # The first page is asked for now, not on mount: loading the screen's
        # CSS, composing and laying it out take ~60-100 ms at 1M entries, which
        # the fetch overlaps; its rows then come in the first frame or the next.
        self.reload()

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Chain state, filters, table and detail, export progress, keys."""
        yield PausedBanner()
        with Horizontal(id="audit-header", classes="supervision-header"):
            yield Static("Override log", classes="supervision-title")
            yield Static("Verifying the chain…", id="audit-chain")
        yield AuditFilterBar(id="audit-filters")
        with Horizontal(id="audit-body"):
            yield AuditList(id="audit-table")
            # A fixed-size panel: its size never depends on the entry shown, so
            # showing another one repaints it without laying out the screen.
            with Vertical(id="audit-detail"):
                yield Static(Text("No entry selected.", style="italic"), id="audit-detail-text")
        yield Static(id="audit-refusal", classes="refusal")
        yield AuditStatusRow(id="audit-status-row")
        yield SteadyFooter()

    def on_mount(self) -> None:
        """Focus the table (the first page is on its way; the chain is checked after it)."""
        audit_list = self.query_one(AuditList)
        audit_list.me = self.hitl.me
        audit_list.focus()

    def _verify_after_first_page(self) -> None:
        # Verification reads the whole journal in a backend child process
        # (~20 s at 1M), which competes for the CPU: asked for with the first
        # page, it slowed that page down.
        if not self._verify_asked:
            self._verify_asked = True
            self.verify_chain()

    # -- what the app calls --------------------------------------------------

    def backend_event(self, event: Event) -> None:
        """A new journal entry: verify again once a burst of them has passed."""
        if event.type is not EventType.AUDIT_APPENDED:
            return
        if self._verify_timer is not None:
            self._verify_timer.stop()
        self._verify_timer = self.set_timer(self.verify_debounce, self.verify_chain)

    def reload(self) -> None:
        """Show the first page of the current filters."""
        self._generation += 1
        self._next_cursor = None
        self.load_page(self._generation, None)

    # -- workers -------------------------------------------------------------

    @work(exclusive=True, group="audit-page", exit_on_error=False)
    async def load_page(self, generation: int, cursor: str | None) -> None:
        """Fetch one page (the first when `cursor` is None)."""
        self.fetching = True
        with self.hitl.result_awaited():  # the person waits for these rows to be drawn
            try:
                limit = FIRST_PAGE_SIZE if cursor is None else PAGE_SIZE
                page = await self.hitl.client.list_audit(
                    **self.filters.params(), limit=limit, cursor=cursor
                )
            except ForbiddenError as error:
                self.post_message(AuditRefused(str(error)))
                return
            except BaseException:
                # The caller took the cursor to ask for this page; give it back, so
                # moving to the end again retries (`on_worker_state_changed` says why).
                if cursor is not None and generation == self._generation:
                    self._next_cursor = cursor
                raise
            finally:
                self.fetching = False
            drawn = asyncio.Event()
            first = cursor is None
            self.post_message(AuditPageLoaded(generation, page, first, drawn, cursor))
            with contextlib.suppress(TimeoutError):  # not drawn: another screen is on top
                async with asyncio.timeout(PAGE_DRAWN_WAIT):  # (wait_for could swallow a cancel)
                    await drawn.wait()

    @work(group="audit-refill", exit_on_error=False)
    async def refill_page(self, generation: int, number: int, cursor: str | None) -> None:
        """Fetch a dropped page again, with the cursor that fetched it first."""
        audit_list = self.query_one(AuditList)
        try:
            limit = FIRST_PAGE_SIZE if cursor is None else PAGE_SIZE
            page = await self.hitl.client.list_audit(
                **self.filters.params(), limit=limit, cursor=cursor
            )
        finally:
            audit_list.release(number)  # asked for again if it did not come back
        self.post_message(AuditPageRefilled(generation, number, page.items))

    @work(exclusive=True, group="audit-verify", exit_on_error=False)
    async def verify_chain(self) -> None:
        """Ask the server to check the whole chain (the header says it is running)."""
        label = self.query_one("#audit-chain", Static)
        label.update(Text("Verifying the chain…"))
        label.remove_class("-ok", "-broken", "-unverified")
        try:
            result = await self.hitl.client.verify_audit()
        except ForbiddenError as error:
            self.post_message(AuditRefused(str(error)))
            return
        self.post_message(ChainVerified(result))

    # -- results -------------------------------------------------------------

    def on_audit_page_loaded(self, message: AuditPageLoaded) -> None:
        """Add the page's rows (or replace them, for a first page)."""
        self.call_after_refresh(message.drawn.set)
        if message.generation != self._generation:
            return  # a page of filters no longer shown
        audit_list = self.query_one(AuditList)
        if message.first:
            # The old rows stayed up while this page was fetched; swap them in one go.
            audit_list.replace(message.page.items)
            self._shown_filters = self.filters
        else:
            audit_list.append(message.page.items, message.cursor)
        self._next_cursor = message.page.next_cursor
        if message.first:
            self.selected = audit_list.highlighted
            self._verify_after_first_page()
        self._show_status()

    def on_audit_refused(self, message: AuditRefused) -> None:
        """Show the server's words instead of the log."""
        refusal = self.query_one("#audit-refusal", Static)
        refusal.update(
            Text.assemble("The override log is for supervisors: ", safe_text(message.reason))
        )
        self.set_class(True, "-refused")

    def on_chain_verified(self, message: ChainVerified) -> None:
        """Show the chain's state (and when it was checked, even if it is the same)."""
        if message.result == self.chain:
            self.watch_chain(message.result)
        else:
            self.chain = message.result

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed fetch, verification or export: say why, and leave the screen usable.

        `Worker.StateChanged` does not bubble, so the app's handler never sees
        this screen's workers; without this a failure would go unnoticed.
        """
        if event.state is not WorkerState.ERROR:
            return
        group = event.worker.group
        why = describe_failure(event.worker.error)
        if group == "audit-verify":
            self.chain = None  # a later result must show even if it equals the last
            label = self.query_one("#audit-chain", Static)
            label.update(Text.assemble("Chain not verified: ", safe_text(why, single_line=True)))
            label.remove_class("-ok", "-broken")
            label.add_class("-unverified")
            title = "Chain not verified"
        elif group == "audit-export":
            self._export_ended()
            title = "Export failed"
        else:
            if self._shown_filters != self.filters:
                # The rows kept up while loading match filters no longer chosen.
                self.query_one(AuditList).clear()
                self.selected = None
            self._show_status(failed=True)
            self._verify_after_first_page()
            title = "Override log not loaded"
        self.notify(why, title=title, severity="error", markup=False, timeout=10)

    # -- showing -------------------------------------------------------------

    def _who(self, entry: AuditEntry) -> str:
        me = self.hitl.me
        if me is not None and me.id == entry.actor:
            return f"{me.name} (you)"
        return entry.actor_name or entry.actor

    def watch_chain(self, result: VerifyResult | None) -> None:
        """Header: verified in $success, broken in $error."""
        if result is None:
            return
        label = self.query_one("#audit-chain", Static)
        checked = self.hitl.clock().strftime("%H:%M:%S")
        label.update(Text.assemble(chain_summary(result), f" · checked {checked} UTC"))
        label.remove_class("-unverified")
        label.set_class(result.ok, "-ok")
        label.set_class(not result.ok, "-broken")

    def watch_selected(self, entry: AuditEntry | None) -> None:
        """The selected entry in full."""
        detail = self.query_one("#audit-detail-text", Static)
        # layout=False: the panel's size is fixed in CSS, so a repaint is enough.
        if entry is None:
            detail.update(Text("No entry selected.", style="italic"), layout=False)
            return
        detail.update(
            entry_detail(entry, self._who(entry), self.app.get_css_variables()), layout=False
        )

    def _show_status(self, failed: bool = False) -> None:
        self.query_one(AuditStatusRow).show_loaded(
            self.query_one(AuditList).row_count,
            self._next_cursor is not None,
            filtered=self.filters.active,
            failed=failed,
        )

    # -- events --------------------------------------------------------------

    @on(AuditList.Highlighted, "#audit-table")
    def _row_highlighted(self, event: AuditList.Highlighted) -> None:
        """Show the entry; near the end of what is loaded, ask for the next page."""
        self.selected = event.entry
        near_end = event.index >= event.loaded - PREFETCH_ROWS
        if near_end and self._next_cursor is not None and not self.fetching:
            cursor, self._next_cursor = self._next_cursor, None
            self.load_page(self._generation, cursor)

    @on(AuditList.PageWanted, "#audit-table")
    def _page_wanted(self, event: AuditList.PageWanted) -> None:
        """A dropped page is in view again: fetch it."""
        self.refill_page(self._generation, event.number, event.cursor)

    def on_audit_page_refilled(self, message: AuditPageRefilled) -> None:
        """Show the page that came back (unless the filters changed meanwhile)."""
        if message.generation == self._generation:
            self.query_one(AuditList).fill(message.number, message.items)

    @on(AuditList.Selected, "#audit-table")
    def _row_selected(self, event: AuditList.Selected) -> None:
        """Enter opens the entry's conversation."""
        if event.entry.conversation_id is not None:
            self.hitl.open_conversation(event.entry.conversation_id)

    @on(AuditFilterBar.Changed)
    def apply_filters(self, event: AuditFilterBar.Changed) -> None:
        """Reload from the first page if the filters changed (and its dates are dates)."""
        problem = date_problem(event.filters)
        if problem is not None:
            self.query_one(AuditStatusRow).say(problem)
            self.notify(problem, severity="warning", markup=False)
            return
        if event.filters != self.filters:
            self.filters = event.filters

    def watch_filters(self, filters: AuditFilters) -> None:
        """New filters: start again from the newest matching entry.

        The rows shown stay until the new first page replaces them, and the
        status line says it is loading: clearing the list first would lay the
        screen out twice (empty, then full) instead of repainting it once.
        """
        self.query_one(AuditStatusRow).say("Loading…")
        self.reload()

    # -- actions -------------------------------------------------------------

    def action_focus_search(self) -> None:
        """Focus the free-text search."""
        self.query_one(AuditFilterBar).focus_search()

    def action_next_filter(self) -> None:
        """Focus the next filter field (wrapping around)."""
        self.query_one(AuditFilterBar).focus_next()

    def action_refresh(self) -> None:
        """Verify the chain again and reload the first page."""
        self.refresh_view()

    def refresh_view(self) -> None:
        """The first page of the same filters again, then the chain verified again."""
        self._verify_asked = False
        self.reload()

    def action_back(self) -> None:
        """From a filter back to the table; from the table, leave."""
        audit_list = self.query_one(AuditList)
        if self.focused is not audit_list and not self.has_class("-refused"):
            audit_list.focus()
        else:
            self.app.pop_screen()
