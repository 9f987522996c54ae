"""The override log (supervisor and admin): every human decision, newest first.

Pages come from the API's keyset cursor as the cursor nears the end of what
is loaded, so the screen stays fast over a journal of millions of entries:
it never asks for everything and never skips by offset. The chain's state is
always in the header. Agents and trainers get the server's refusal in its own
words instead of a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Input, ProgressBar, Select, Static

from backend_client import (
    Action,
    AuditEntry,
    Event,
    EventType,
    ForbiddenError,
    Page,
    ReasonCode,
    VerifyResult,
)
from console.diff import render_diff
from console.export_view import (
    AuditFilters,
    ExportFormat,
    default_export_path,
    export_audit_view,
)
from console.sanitize import safe_text

if TYPE_CHECKING:
    from console.app import HitlApp

__all__ = [
    "AuditLogScreen",
    "AuditPageLoaded",
    "AuditRefused",
    "AuditTable",
    "ChainVerified",
    "ExportChoice",
    "ExportDialog",
    "ExportFinished",
    "ExportProgressed",
    "chain_summary",
    "describe_texts",
    "themed_diff",
]

PAGE_SIZE = 100
"""Entries per page of the table."""
PREFETCH_ROWS = 20
"""The next page is asked for when the cursor comes this close to the last loaded row."""
VERIFY_DEBOUNCE_SECONDS = 2.0
"""A burst of new entries is verified once, this long after the last one."""


def themed_diff(app: App[object], before: str, after: str) -> Text:
    """`render_diff` in the theme's colours: deletions struck in $error, insertions $success."""
    variables = app.get_css_variables()
    return render_diff(
        before,
        after,
        delete_style=Style.parse(f"strike {variables.get('error', 'red')}"),
        insert_style=Style.parse(f"bold underline {variables.get('success', 'green')}"),
    )


def describe_texts(app: App[object], ai_text: str | None, final_text: str | None) -> Text:
    """What the AI proposed against what went out, as a word diff, or why there is none."""
    if ai_text is not None and final_text is not None:
        if ai_text == final_text:
            return Text.assemble(("Sent as the AI wrote it:\n", "italic"), safe_text(ai_text))
        return themed_diff(app, ai_text, final_text)
    if ai_text is not None:
        return Text.assemble(
            ("The AI proposed:\n", "italic"), safe_text(ai_text), ("\nNothing was sent.", "italic")
        )
    if final_text is not None:
        return Text.assemble(("Sent:\n", "italic"), safe_text(final_text))
    return Text("No text.", style="italic")


def chain_summary(result: VerifyResult) -> Text:
    """The header line: verified with its head, or where the chain broke."""
    if result.ok:
        head = f", head {result.head[:8]}…" if result.head else ""
        return Text(f"Chain verified: {result.entries} entries{head}")
    reason = f": {result.reason}" if result.reason else ""
    return Text(f"Chain BROKEN at entry {result.first_bad}{reason}")


class AuditPageLoaded(Message):
    """A page of the override log arrived (`first`: it replaces what was shown)."""

    def __init__(self, generation: int, page: Page[AuditEntry], first: bool) -> None:
        super().__init__()
        self.generation = generation
        self.page = page
        self.first = first


class AuditRefused(Message):
    """The backend will not show this operator the override log."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ChainVerified(Message):
    """The server checked the journal's hash chain."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__()
        self.result = result


class ExportProgressed(Message):
    """Another page of the export was written."""

    def __init__(self, entries: int, pages: int) -> None:
        super().__init__()
        self.entries = entries
        self.pages = pages


class ExportFinished(Message):
    """The export is complete (`error` set: it failed and no file was left)."""

    def __init__(self, path: Path, entries: int, error: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.entries = entries
        self.error = error


@dataclass(frozen=True)
class ExportChoice:
    """Where and how to write the export."""

    fmt: ExportFormat
    path: Path


class ExportDialog(ModalScreen[ExportChoice | None]):
    """Ask for the format and the file; enter exports, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Do not export", id="export.cancel"),
    ]

    def __init__(self, filtered: bool) -> None:
        """`filtered`: whether the view has filters (said in the title)."""
        super().__init__()
        self._filtered = filtered
        self._default = str(default_export_path("csv"))

    def compose(self) -> ComposeResult:
        """Title, format, path, hint."""
        with Vertical(id="export-dialog"):
            what = "the filtered override log" if self._filtered else "the whole override log"
            yield Static(f"Export {what}", id="export-title")
            yield Select(
                [("CSV", "csv"), ("JSON lines", "jsonl")],
                value="csv",
                allow_blank=False,
                id="export-format",
            )
            yield Input(self._default, placeholder="File to write", id="export-path")
            yield Static("enter exports · esc cancels", id="export-hint")

    def on_mount(self) -> None:
        """Start in the path, ready to confirm."""
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """Keep the default file name's extension in step with the format."""
        path_input = self.query_one("#export-path", Input)
        if path_input.value == self._default:
            self._default = str(Path(self._default).with_suffix(f".{event.value}"))
            path_input.value = self._default

    @on(Input.Submitted, "#export-path")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value:
            return
        fmt = cast(ExportFormat, self.query_one("#export-format", Select).value)
        self.dismiss(ExportChoice(fmt=fmt, path=Path(value).expanduser()))

    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)


class AuditTable(DataTable[Text]):
    """The log's table; home and end go to the first and last loaded row, as in any log."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "home", "scroll_top", "Newest", show=False, tooltip="The newest entry", id="audit.top"
        ),
        Binding(
            "end",
            "scroll_bottom",
            "Oldest loaded",
            show=False,
            tooltip="The last loaded entry (loads the next page)",
            id="audit.bottom",
        ),
    ]


class AuditLogScreen(Screen[None]):
    """The override log: filters, a table paged by cursor, the selected entry, chain state."""

    CSS_PATH = "supervision.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash", "focus_search", "Search", tooltip="Search notes and texts", id="audit.search"
        ),
        Binding(
            "f", "next_filter", "Filters", tooltip="Move through the filters", id="audit.filter"
        ),
        Binding(
            "x",
            "export",
            "Export",
            tooltip="Write the filtered log to CSV or JSONL",
            id="audit.export",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            tooltip="Verify the chain again and reload the first page",
            id="audit.refresh",
        ),
        Binding(
            "escape", "back", "Back", tooltip="Leave the filters, or the screen", id="audit.back"
        ),
    ]

    filters: reactive[AuditFilters] = reactive(AuditFilters, init=False)
    """What the table shows; changing it reloads from the first page."""

    chain: reactive[VerifyResult | None] = reactive(None, init=False)
    """The chain's state as the server last reported it (None until then)."""

    selected: reactive[AuditEntry | None] = reactive(None, init=False)
    """The entry under the table's cursor."""

    fetching: reactive[bool] = reactive(False, init=False)
    """True while a page is on its way."""

    def __init__(self) -> None:
        """An empty log; the first page and the chain's state load on mount."""
        super().__init__()
        self._entries: dict[str, AuditEntry] = {}
        self._next_cursor: str | None = None
        self._generation = 0
        self._exporting = False
        self._verify_timer: Timer | None = None

    @property
    def hitl(self) -> HitlApp:
        """The app, typed."""
        return cast("HitlApp", self.app)

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Chain state, filters, table and detail, export progress, keys."""
        with Horizontal(id="audit-header", classes="supervision-header"):
            yield Static("Override log", classes="supervision-title")
            yield Static("Verifying the chain…", id="audit-chain")
        with Horizontal(id="audit-filters"):
            yield Input(placeholder="operator (name or id)", id="filter-actor", classes="filter")
            yield Select(
                [(action.value, action.value) for action in Action],
                prompt="any action",
                id="filter-action",
                classes="filter",
            )
            yield Select(
                [(reason.value.replace("_", " "), reason.value) for reason in ReasonCode],
                prompt="any reason",
                id="filter-reason",
                classes="filter",
            )
            yield Input(placeholder="since (ISO)", id="filter-since", classes="filter")
            yield Input(placeholder="until (ISO)", id="filter-until", classes="filter")
            yield Input(placeholder="/ search notes and texts", id="filter-q", classes="filter")
        with Horizontal(id="audit-body"):
            table = AuditTable(cursor_type="row", zebra_stripes=True, id="audit-table")
            table.add_column("#", key="seq")
            table.add_column("when", key="at")
            table.add_column("who", key="actor")
            table.add_column("action", key="action")
            table.add_column("reason", key="reason")
            table.add_column("note", key="note")
            yield table
            with VerticalScroll(id="audit-detail"):
                yield Static(Text("No entry selected.", style="italic"), id="audit-detail-text")
        yield Static(id="audit-refusal", classes="refusal")
        with Horizontal(id="audit-status-row"):
            yield Static("Loading…", id="audit-status")
            yield ProgressBar(show_eta=False, show_percentage=False, id="audit-export-bar")
        yield Footer()

    def on_mount(self) -> None:
        """Load the first page and check the chain."""
        self.query_one("#audit-export-bar").display = False
        self.query_one(DataTable).focus()
        self.reload()
        self.verify_chain()

    # -- what the app calls --------------------------------------------------

    def backend_event(self, event: Event) -> None:
        """A new journal entry: verify again once a burst of them has passed."""
        if event.type is not EventType.AUDIT_APPENDED:
            return
        if self._verify_timer is not None:
            self._verify_timer.stop()
        self._verify_timer = self.set_timer(VERIFY_DEBOUNCE_SECONDS, self.verify_chain)

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
        try:
            page = await self.hitl.client.list_audit(
                **self.filters.params(), limit=PAGE_SIZE, cursor=cursor
            )
        except ForbiddenError as error:
            self.post_message(AuditRefused(str(error)))
            return
        finally:
            self.fetching = False
        self.post_message(AuditPageLoaded(generation, page, first=cursor is None))

    @work(exclusive=True, group="audit-verify", exit_on_error=False)
    async def verify_chain(self) -> None:
        """Ask the server to check the whole chain."""
        try:
            result = await self.hitl.client.verify_audit()
        except ForbiddenError as error:
            self.post_message(AuditRefused(str(error)))
            return
        self.post_message(ChainVerified(result))

    @work(exclusive=True, group="audit-export", exit_on_error=False)
    async def export(self, choice: ExportChoice) -> None:
        """Page through the filtered log into a file, reporting each page."""

        def progressed(entries: int, pages: int) -> None:
            self.post_message(ExportProgressed(entries, pages))

        try:
            count = await export_audit_view(
                self.hitl.client, self.filters, choice.path, choice.fmt, on_page=progressed
            )
        except (OSError, ForbiddenError) as error:
            self.post_message(ExportFinished(choice.path, 0, str(error)))
            raise
        self.post_message(ExportFinished(choice.path, count))

    # -- results -------------------------------------------------------------

    def on_audit_page_loaded(self, message: AuditPageLoaded) -> None:
        """Add the page's rows (or replace them, for a first page)."""
        if message.generation != self._generation:
            return  # a page of filters no longer shown
        table = self.query_one(DataTable)
        if message.first:
            table.clear()
            self._entries.clear()
        for entry in message.page.items:
            key = str(entry.seq)
            if key in self._entries:
                continue
            self._entries[key] = entry
            table.add_row(*self._cells(entry), key=key)
        self._next_cursor = message.page.next_cursor
        if message.first and table.row_count:
            table.move_cursor(row=0)
            self.selected = message.page.items[0]
        elif message.first:
            self.selected = None
        self._show_status()

    def on_audit_refused(self, message: AuditRefused) -> None:
        """Show the server's words instead of the log."""
        refusal = self.query_one("#audit-refusal", Static)
        refusal.update(
            Text.assemble("The override log is for supervisors: ", safe_text(message.reason))
        )
        self.set_class(True, "-refused")

    def on_chain_verified(self, message: ChainVerified) -> None:
        """Show the chain's state."""
        self.chain = message.result

    def on_export_progressed(self, message: ExportProgressed) -> None:
        """Count what has been written so far."""
        self.query_one("#audit-export-bar", ProgressBar).advance(1)
        self.query_one("#audit-status", Static).update(
            f"Exporting… {message.entries} entries written ({message.pages} pages)"
        )

    def on_export_finished(self, message: ExportFinished) -> None:
        """Say where the file is (or why there is none)."""
        self._exporting = False
        self.query_one("#audit-export-bar").display = False
        self._show_status()
        if message.error is not None:
            self.notify(
                f"Export failed: {message.error}", severity="error", markup=False, timeout=10
            )
            return
        self.notify(
            f"Wrote {message.entries} entries to {message.path}",
            title="Export done",
            markup=False,
            timeout=10,
        )

    # -- showing -------------------------------------------------------------

    def _who(self, entry: AuditEntry) -> str:
        me = self.hitl.me
        if me is not None and me.id == entry.actor:
            return f"{me.name} (you)"
        return entry.actor_name or entry.actor

    def _cells(self, entry: AuditEntry) -> tuple[Text, ...]:
        when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        reason = entry.reason_code.value.replace("_", " ") if entry.reason_code else ""
        return (
            Text(str(entry.seq), justify="right"),
            Text(when),
            safe_text(self._who(entry), single_line=True, max_length=20),
            Text(entry.action.value),
            Text(reason),
            safe_text(entry.note or "", single_line=True, max_length=40),
        )

    def watch_chain(self, result: VerifyResult | None) -> None:
        """Header: verified in $success, broken in $error."""
        if result is None:
            return
        label = self.query_one("#audit-chain", Static)
        label.update(chain_summary(result))
        label.set_class(result.ok, "-ok")
        label.set_class(not result.ok, "-broken")

    def watch_selected(self, entry: AuditEntry | None) -> None:
        """The selected entry in full."""
        detail = self.query_one("#audit-detail-text", Static)
        if entry is None:
            detail.update(Text("No entry selected.", style="italic"))
            return
        detail.update(self._detail(entry))

    def _detail(self, entry: AuditEntry) -> Text:
        when = entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
        text = Text.assemble((f"Entry {entry.seq}", "bold"), f"  {when}\n")
        text.append("who     ")
        text.append_text(safe_text(self._who(entry), single_line=True))
        text.append(f" ({entry.role.value})\n")
        text.append(f"action  {entry.action.value}\n")
        reason = entry.reason_code.value.replace("_", " ") if entry.reason_code else "—"
        text.append(f"reason  {reason}\n")
        text.append("note    ")
        text.append_text(safe_text(entry.note) if entry.note else Text("—"))
        text.append("\n")
        if entry.conversation_id is not None:
            text.append("chat    ")
            text.append_text(safe_text(entry.conversation_id, single_line=True))
            text.append("  (enter opens it)\n", style="dim")
        if entry.bot is not None:
            text.append("bot     ")
            text.append_text(safe_text(f"{entry.bot.name} / {entry.bot.model}", single_line=True))
            text.append("\n")
        text.append(f"hash    {entry.hash[:16]}…\n\n", style="dim")
        erased_ai = entry.ai_text is None and entry.ai_text_hmac is not None
        erased_final = entry.final_text is None and entry.final_text_hmac is not None
        if erased_ai or erased_final:
            text.append("Texts erased ", style="bold")
            text.append("(the journal keeps only their HMAC, so the chain still verifies)\n")
            return text
        if entry.ai_text is None and entry.final_text is None:
            return text
        text.append("AI proposed → sent\n", style="bold")
        text.append_text(describe_texts(self.app, entry.ai_text, entry.final_text))
        return text

    def _show_status(self) -> None:
        if self._exporting:
            return
        count = len(self._entries)
        more = " · more below" if self._next_cursor else " · end of the log"
        what = "matching entries" if self.filters.active else "entries"
        status = f"{count} {what} loaded{more}" if count else f"No {what}."
        self.query_one("#audit-status", Static).update(status)

    # -- events --------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#audit-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the entry; near the end of what is loaded, ask for the next page."""
        key = event.row_key.value
        self.selected = self._entries.get(key) if key is not None else None
        table = event.data_table
        near_end = event.cursor_row >= table.row_count - PREFETCH_ROWS
        if near_end and self._next_cursor is not None and not self.fetching:
            cursor, self._next_cursor = self._next_cursor, None
            self.load_page(self._generation, cursor)

    @on(DataTable.RowSelected, "#audit-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens the entry's conversation."""
        key = event.row_key.value
        entry = self._entries.get(key) if key is not None else None
        if entry is not None and entry.conversation_id is not None:
            self.hitl.open_conversation(entry.conversation_id)

    @on(Input.Submitted, ".filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        """Enter in any filter applies them all."""
        event.stop()
        self.apply_filters()

    @on(Select.Changed, ".filter")
    def _filter_chosen(self, event: Select.Changed) -> None:
        """A chosen action or reason applies at once."""
        self.apply_filters()

    def apply_filters(self) -> None:
        """Read the filter fields; reload from the first page if they changed."""

        def text(widget_id: str) -> str | None:
            return self.query_one(f"#{widget_id}", Input).value.strip() or None

        def chosen(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return None if value is Select.NULL else str(value)

        actor = text("filter-actor")
        filters = AuditFilters(
            actor=actor,
            action=chosen("filter-action"),
            reason_code=chosen("filter-reason"),
            since=text("filter-since"),
            until=text("filter-until"),
            q=text("filter-q"),
        )
        if filters != self.filters:
            self.filters = filters

    def watch_filters(self, filters: AuditFilters) -> None:
        """New filters: start again from the newest matching entry."""
        self.query_one(DataTable).clear()
        self._entries.clear()
        self.selected = None
        self.query_one("#audit-status", Static).update("Loading…")
        self.reload()

    # -- actions -------------------------------------------------------------

    def action_focus_search(self) -> None:
        """Focus the free-text search."""
        self.query_one("#filter-q", Input).focus()

    def action_next_filter(self) -> None:
        """Focus the next filter field (wrapping around)."""
        fields: list[Widget] = list(self.query(".filter").results(Widget))
        focused = self.focused
        index = fields.index(focused) if focused in fields else -1
        fields[(index + 1) % len(fields)].focus()

    def action_export(self) -> None:
        """Ask for a format and a file, then export the filtered log."""
        if self._exporting:
            self.notify("An export is already running.", markup=False)
            return

        def chosen(choice: ExportChoice | None) -> None:
            if choice is None:
                return
            self._exporting = True
            bar = self.query_one("#audit-export-bar", ProgressBar)
            bar.update(total=None, progress=0)
            bar.display = True
            self.query_one("#audit-status", Static).update(f"Exporting to {choice.path}…")
            self.export(choice)

        self.app.push_screen(ExportDialog(self.filters.active), chosen)

    def action_refresh(self) -> None:
        """Verify the chain again and reload the first page."""
        self.verify_chain()
        self.reload()

    def action_back(self) -> None:
        """From a filter back to the table; from the table, leave."""
        table = self.query_one(DataTable)
        if self.focused is not table and not self.has_class("-refused"):
            table.focus()
        else:
            self.app.pop_screen()
