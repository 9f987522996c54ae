"""Replay (trainer and up): step through a conversation as it happened.

Find a conversation (by id, customer name or email, flag, override reason),
then play its timeline: the transcript up to the current step, and at each
AI draft what the AI proposed, what a person decided and why, and what went
out, as a word diff. Personal data is masked by the backend for trainers;
the screen only says so with a badge.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Input, ProgressBar, Select, Static

from backend_client import (
    ConversationSummary,
    Flag,
    ForbiddenError,
    Message,
    ReasonCode,
    Role,
    Timeline,
)
from console.host import ConsoleHost, host
from console.render.replay import PlaybackSpeed, result_customer, step_panel
from console.render.sanitize import safe_text
from console.roles import role_may
from console.screens.pairs_export import PairsExportScreen, PairsExportStatus
from console.widgets.fit_footer import FitFooter
from console.widgets.paused_banner import PausedBanner
from console.widgets.results_table import ResultsTable
from console.widgets.transcript import Transcript

__all__ = [
    "Player",
    "ReplayScreen",
    "SearchFinished",
    "TimelineLoaded",
]

SEARCH_LIMIT = 50
"""Conversations listed per search."""


class SearchFinished(TextualMessage):
    """Conversations matching the search arrived."""

    def __init__(self, items: list[ConversationSummary]) -> None:
        super().__init__()
        self.items = items


class TimelineLoaded(TextualMessage):
    """A conversation's timeline arrived."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self.timeline = timeline


class Player(Static, can_focus=True):
    """The one-line player ("step 7/23 · playing · 4×"); holds the focus while replaying.

    It has no keys of its own, so the arrows, space, home and end reach the screen.
    """


class ReplayScreen(PairsExportScreen):
    """Search for a conversation, then step or play through its timeline."""

    HELP_TITLE = "Replay"
    """What `?` calls this screen."""

    CSS_PATH = "supervision.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "step(1)", "Step", tooltip="One step forward", id="replay.forward"),
        Binding("left", "step(-1)", "Back", tooltip="One step back", id="replay.back"),
        Binding("space", "play", "Play/pause", tooltip="Play or pause", id="replay.play"),
        Binding("s", "cycle_speed", "Speed", tooltip="1×, 4× or instant", id="replay.speed"),
        Binding("home", "jump(0)", "Start", show=False, tooltip="The first step", id="replay.home"),
        Binding("end", "jump(-1)", "End", show=False, tooltip="The last step", id="replay.end"),
        Binding(
            "slash", "focus_search", "Find", tooltip="Find another conversation", id="replay.find"
        ),
        Binding("escape", "back", "Back", tooltip="Leave replay", id="replay.leave"),
        Binding(
            "ctrl+o",
            "export_pairs",
            "Export pairs",
            tooltip="Training pairs to a file, as hitl export pairs",
            id="replay.export_pairs",
        ),
    ]

    timeline: reactive[Timeline | None] = reactive(None, init=False)
    """The conversation being replayed (None until one is chosen)."""

    position: reactive[int] = reactive(0, init=False)
    """How many timeline items are shown (0: none yet; len(items): all)."""

    playing: reactive[bool] = reactive(False, init=False)
    """True while play advances by itself."""

    speed: reactive[PlaybackSpeed] = reactive(PlaybackSpeed.NORMAL, init=False)
    """How fast play advances."""

    def __init__(self, query: str | None = None) -> None:
        """Replay; `query` searches at once (e.g. a conversation id)."""
        super().__init__()
        self._query = query
        self._results: dict[str, ConversationSummary] = {}
        # A search the user asked for (enter, or a query given on opening): a single
        # match opens at once, so an id typed and entered is one step, not three.
        self._open_single = query is not None
        self._timer: Timer | None = None

    @property
    def hitl(self) -> ConsoleHost:
        """The app, typed."""
        return host(self.app)

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Header, search, results, player, transcript and step panel."""
        yield PausedBanner()
        with Horizontal(id="replay-header", classes="supervision-header"):
            yield Static("Replay", classes="supervision-title")
            yield Static("masked", id="replay-masked")
            yield Static("", id="replay-title")
        with Horizontal(id="replay-search"):
            yield Input(
                self._query or "",
                placeholder="conversation id, customer name or email — enter searches",
                id="replay-query",
            )
            yield Select(
                [(flag.value.replace("_", " "), flag.value) for flag in Flag],
                prompt="any flag",
                id="replay-flag",
            )
            yield Select(
                [(reason.value.replace("_", " "), reason.value) for reason in ReasonCode],
                prompt="any reason",
                id="replay-reason",
            )
        results = ResultsTable(cursor_type="row", id="replay-results")
        results.add_columns("customer", "status", "started", "id")
        yield results
        with Horizontal(id="replay-player-row"):
            yield Player("Choose a conversation: enter on a result.", id="replay-player")
            yield ProgressBar(show_eta=False, show_percentage=False, id="replay-progress")
        yield PairsExportStatus()
        with Horizontal(id="replay-body"):
            yield Transcript(id="replay-transcript")
            with VerticalScroll(id="replay-step"):
                yield Static(id="replay-step-text")
        yield FitFooter()

    def on_mount(self) -> None:
        """Badge for masked views; search at once when given a query."""
        me = self.hitl.me
        self.query_one("#replay-masked").display = me is not None and me.role is Role.TRAINER
        self.query_one("#replay-query", Input).focus()
        self.search()

    def on_screen_suspend(self) -> None:
        """Nobody watches a hidden player: pause."""
        self.playing = False

    def on_unmount(self) -> None:
        """Stop the timer with the screen."""
        self.playing = False

    # -- workers -------------------------------------------------------------

    @work(exclusive=True, group="replay-search", exit_on_error=False)
    async def search(self) -> None:
        """List conversations matching the search fields, closed ones included."""
        query = self.query_one("#replay-query", Input).value.strip() or None
        flag = self.query_one("#replay-flag", Select).value
        reason = self.query_one("#replay-reason", Select).value
        page = await self.hitl.client.list_conversations(
            q=query,
            flag=None if flag is Select.NULL else Flag(str(flag)),
            reason_code=None if reason is Select.NULL else ReasonCode(str(reason)),
            include_closed=True,
            limit=SEARCH_LIMIT,
        )
        self.post_message(SearchFinished(page.items))

    @work(exclusive=True, group="replay-timeline", exit_on_error=False)
    async def load_timeline(self, conversation_id: str) -> None:
        """Fetch one conversation's timeline (masked by the server for trainers)."""
        try:
            timeline = await self.hitl.client.timeline(conversation_id)
        except ForbiddenError as error:
            self.notify(str(error), title="Not allowed", severity="error", markup=False)
            return
        self.post_message(TimelineLoaded(timeline))

    # -- results -------------------------------------------------------------

    def on_search_finished(self, message: SearchFinished) -> None:
        """List what was found."""
        table = self.query_one("#replay-results", DataTable)
        table.clear()
        self._results = {item.id: item for item in message.items}
        masked = self.query_one("#replay-masked").display
        for item in message.items:
            table.add_row(
                safe_text(result_customer(item, masked), single_line=True, max_length=34),
                Text(item.status.value.replace("_", " ")),
                Text(item.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
                Text(item.id),
                key=item.id,
            )
        if not message.items:
            self.query_one(Player).update("No conversation matches.")
        elif self._open_single and len(message.items) == 1:
            self.load_timeline(message.items[0].id)
        self._open_single = False

    def on_timeline_loaded(self, message: TimelineLoaded) -> None:
        """Start the replay at the first step."""
        self.playing = False
        self.timeline = message.timeline

    # -- showing -------------------------------------------------------------

    def watch_timeline(self, timeline: Timeline | None) -> None:
        """A new conversation: title, position bar, first step."""
        if timeline is None:
            return
        conversation = timeline.conversation
        self.query_one("#replay-title", Static).update(
            Text.assemble(
                safe_text(conversation.customer.name, "bold", single_line=True, max_length=40),
                f"  {conversation.status.value.replace('_', ' ')}  ",
                (conversation.id, "dim"),
            )
        )
        self.query_one(ProgressBar).update(total=max(len(timeline.items), 1), progress=0)
        self.query_one(Transcript).show_messages([], self._name_of, "")
        self.position = 1 if timeline.items else 0
        self._show_position()
        self.query_one(Player).focus()

    def watch_position(self, position: int) -> None:
        """Show the transcript up to `position` and the step's draft."""
        self._show_position()

    def watch_playing(self, playing: bool) -> None:
        """Start or stop the clock."""
        self._restart_timer()
        if self.is_attached:
            self._show_player()

    def watch_speed(self, speed: PlaybackSpeed) -> None:
        """A new pace: the clock follows it."""
        self._restart_timer()
        self._show_player()

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self.playing:
            return
        seconds = self.speed.seconds
        if seconds is None:
            self.action_jump(-1)
            self.playing = False
            return
        self._timer = self.set_interval(seconds, self._tick)

    def _tick(self) -> None:
        """One step of play; at the end, stop."""
        if self.timeline is None or self.position >= len(self.timeline.items):
            self.playing = False
            return
        self.position += 1
        if self.position >= len(self.timeline.items):
            self.playing = False

    def _name_of(self, operator_id: str | None) -> str:
        me = self.hitl.me
        if operator_id is not None and me is not None and operator_id == me.id:
            return me.name
        if operator_id is None:
            return "nobody"
        return self.hitl.operator_name(operator_id) or f"operator {operator_id}"

    def _show_position(self) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        shown = timeline.items[: self.position]
        messages: list[Message] = [item.message for item in shown if item.message is not None]
        self.query_one(Transcript).show_messages(
            messages, self._name_of, timeline.conversation.customer.name
        )
        notes = [(i.note, self._name_of(i.note.author)) for i in shown if i.note is not None]
        self.query_one(Transcript).show_notes(notes)
        self.query_one(ProgressBar).update(progress=self.position)
        self.query_one("#replay-step-text", Static).update(self._step_panel())
        self._show_player()

    def _show_player(self) -> None:
        timeline = self.timeline
        if timeline is None:
            return
        total = len(timeline.items)
        state = "▶ playing" if self.playing else "❚❚ paused"
        current = timeline.items[self.position - 1].kind if self.position else "start"
        self.query_one(Player).update(
            f"step {self.position}/{total} · {current} · {state} · {self.speed.label}"
            "   ← → step · space play · s speed · home/end"
        )

    def _step_panel(self) -> Text:
        """The latest draft so far: what the AI proposed, the decision, what went out."""
        assert self.timeline is not None
        return step_panel(self.timeline, self.position, self._name_of, self.app.get_css_variables())

    # -- events --------------------------------------------------------------

    @on(Input.Submitted, "#replay-query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._open_single = True
        self.search()
        self.query_one("#replay-results").focus()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        self.search()

    @on(DataTable.RowSelected, "#replay-results")
    def _result_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.load_timeline(event.row_key.value)

    # -- actions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Player keys only once there is something to play; export for those who train."""
        if not role_may(self.hitl.me, action):
            return False
        if action in ("step", "play", "jump", "cycle_speed") and self.timeline is None:
            return None
        return True

    def action_step(self, delta: int) -> None:
        """One step forward or back (pauses play)."""
        timeline = self.timeline
        if timeline is None:
            return
        self.playing = False
        self.position = max(0, min(len(timeline.items), self.position + delta))

    def action_jump(self, where: int) -> None:
        """To the first step (0) or the last (-1)."""
        timeline = self.timeline
        if timeline is None:
            return
        self.position = len(timeline.items) if where < 0 else min(1, len(timeline.items))

    def action_play(self) -> None:
        """Play or pause; playing at the end starts over."""
        timeline = self.timeline
        if timeline is None:
            return
        if not self.playing and self.position >= len(timeline.items):
            self.position = 0
        self.playing = not self.playing

    def action_cycle_speed(self) -> None:
        """1× → 4× → instant → 1×."""
        self.speed = self.speed.next()

    def action_focus_search(self) -> None:
        """Back to the search field."""
        self.playing = False
        self.query_one("#replay-query", Input).focus()

    def action_back(self) -> None:
        """Leave replay."""
        self.app.pop_screen()
