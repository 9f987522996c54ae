"""One conversation: the transcript, the AI's pending draft, and every decision on it.

The screen never awaits the network in a key handler. A key opens a dialog
(`console.dialogs`) or starts a worker; the worker posts back `DetailLoaded`,
`DecisionMade` or `DecisionRefused` (`console.screens.decisions`), and the
handlers show the result. A decision's response is the conversation after
it, so the screen shows that and fetches nothing more; a live event makes it
fetch only when the event says something the screen does not know yet. The
backend owns every rule: when it refuses, the screen says who and why in the
server's own words and shows the fresh state.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.reactive import reactive
from textual.widgets import Static

from backend_client import (
    BackendError,
    ConnectionLostError,
    ConversationDetail,
    Draft,
    Event,
    EventType,
    Operator,
    ProblemError,
)
from console.dialogs import (
    ConfirmDialog,
    DraftEditor,
    EditChoice,
    EditConfirmDialog,
    ReasonChoice,
    RegenerateChoice,
    RegenerateDialog,
    RejectChoice,
    RejectDialog,
    TakeoverDialog,
)
from console.host import ConsoleHost, host
from console.live.detail import knows_already
from console.render import conversation as view
from console.roles import role_may
from console.screens import decisions
from console.screens.agent_tools import AGENT_BINDINGS, AgentTools
from console.screens.decisions import (
    CONVERSATION_BINDINGS,
    Attempt,
    Call,
    DecisionKind,
    DecisionMade,
    DecisionRefused,
    DetailLoaded,
    key_applies,
)
from console.screens.outcomes import elsewhere_notice, made_notice, refused_notice
from console.screens.oversight_moments import ask_about_fast_approval, tell_calibration
from console.widgets.alert_line import AlertLine
from console.widgets.composer import Composer
from console.widgets.draft_panel import DraftPanel
from console.widgets.fit_footer import FitFooter
from console.widgets.paused_banner import PausedBanner
from console.widgets.transcript import Transcript

__all__ = ["ConversationScreen"]


class ConversationScreen(AgentTools):
    """The transcript, the pending draft, and the keys to decide on them."""

    HELP_TITLE = "Conversation"
    """What `?` calls this screen."""

    CSS_PATH = "conversation.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [*CONVERSATION_BINDINGS, *AGENT_BINDINGS]

    detail: reactive[ConversationDetail | None] = reactive(None, init=False)
    """The conversation as the backend last described it (None until loaded)."""

    busy: reactive[str] = reactive("", init=False)
    """The decision in flight, as shown to the user ("Approving…"); empty when idle."""

    def __init__(self, conversation_id: str) -> None:
        """A screen for the conversation `conversation_id`."""
        super().__init__()
        self.conversation_id = conversation_id
        """The conversation this screen shows."""
        # Kept across a lost connection so nothing typed is lost and a retry
        # of the same request applies once (the backend dedupes by key).
        self._kept_edit: tuple[str, str] | None = None
        self._retry_keys: dict[tuple[Hashable, ...], str] = {}
        self._deciding_draft: str | None = None
        # Events that arrived while a decision was in flight: its response
        # may already say what they say.
        self._deferred: list[Event] = []

    @property
    def hitl(self) -> ConsoleHost:
        """The app: its client, operator and navigation."""
        return host(self.app)

    @property
    def me(self) -> Operator | None:
        """Who is at the console, once known."""
        return self.hitl.me

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Header, hold banner, transcript, draft, composer, keys."""
        yield PausedBanner()
        yield Static(Text("Loading conversation…"), id="conversation-header")
        yield Static(id="hold-banner")
        yield Transcript(id="transcript")
        yield DraftPanel(clock=self.hitl.clock, id="draft-panel")
        yield Composer(id="composer")
        yield AlertLine(id="alert-line")
        yield FitFooter()

    def on_mount(self) -> None:
        """Load the conversation."""
        self.load_detail()

    # -- what the app calls --------------------------------------------------

    def backend_event(self, event: Event) -> None:
        """Something happened to this conversation: fetch it only if the event is news."""
        if event.type is EventType.DRAFT_DECIDED:
            self._tell_if_decided_elsewhere(event)
        if self.busy:
            self._deferred.append(event)
        elif not knows_already(self.detail, event):
            self.load_detail()

    def _catch_up(self) -> None:
        """After a decision: fetch only if an event that came meanwhile is still news."""
        deferred, self._deferred = self._deferred, []
        if any(not knows_already(self.detail, event) for event in deferred):
            self.load_detail()

    def _tell_if_decided_elsewhere(self, event: Event) -> None:
        shown = self.detail.draft if self.detail is not None else None
        me = self.me.id if self.me is not None else None
        notice = elsewhere_notice(event, shown, self._deciding_draft, me, self.name_of)
        if notice is not None:
            self.notify(notice, markup=False)

    # -- workers: the only place that awaits the backend ---------------------

    @work(exclusive=True, group="load")
    async def load_detail(self) -> None:
        """Fetch the conversation afresh."""
        try:
            detail = await self.hitl.client.get_conversation(self.conversation_id)
        except BackendError as error:
            self.notify(f"Could not load the conversation: {error}", severity="error", markup=False)
            return
        self.post_message(DetailLoaded(detail))

    @work(exclusive=True, group="decision")
    async def send_decision(self, attempt: Attempt, call: Call) -> None:
        """Send one decision; `call` gets the idempotency key to send it with."""
        key = self._retry_keys.get(attempt.request) or uuid.uuid4().hex
        try:
            detail = await call(key)
        except BackendError as error:
            if isinstance(error, ConnectionLostError):
                self._retry_keys[attempt.request] = key
            self.post_message(DecisionRefused(attempt, error))
            return
        self._retry_keys.pop(attempt.request, None)
        self.post_message(DecisionMade(attempt, detail))

    def _start(self, attempt: Attempt, call: Call) -> None:
        self.busy = attempt.wording.doing
        self._deciding_draft = attempt.draft_id
        self.send_decision(attempt, call)

    # -- results -------------------------------------------------------------

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        """Show the conversation as fetched (unless a decision's answer is newer)."""
        shown = self.detail
        if shown is None or message.detail.version >= shown.version:
            self.detail = message.detail

    def on_decision_made(self, message: DecisionMade) -> None:
        """Show the conversation the response describes, and say what happened."""
        attempt, detail = message.attempt, message.detail
        self.busy = ""
        self._deciding_draft = None
        if attempt.kind is DecisionKind.EDIT:
            self._kept_edit = None
        if attempt.kind is DecisionKind.SEND_MESSAGE:
            self.query_one(Composer).clear()
        self.detail = detail
        if attempt.kind is DecisionKind.TAKEOVER and self.held_by_me:
            # Taking over is for writing: put the cursor where the words go.
            self.query_one(Composer).focus()
        self.notify(made_notice(attempt, detail), markup=False)
        tell_calibration(self, attempt, detail)
        self._catch_up()

    def on_decision_refused(self, message: DecisionRefused) -> None:
        """Say who and why, in the server's words; then show what is true now."""
        attempt, error = message.attempt, message.error
        self.busy = ""
        self._deciding_draft = None
        if ask_about_fast_approval(
            self.app, self.hitl.client, self._draft(), attempt, error, self._start
        ):
            return
        notice = refused_notice(attempt, error)
        notice.show(self)
        if isinstance(error, ConnectionLostError):
            self._catch_up()
            return
        current = error.problem.current if isinstance(error, ProblemError) else None
        if current is not None:
            self.detail = ConversationDetail.model_validate(current)
            self._catch_up()
        else:
            self._deferred.clear()
            self.load_detail()

    # -- showing -------------------------------------------------------------

    def name_of(self, operator_id: str | None) -> str:
        """What to call an operator: "you", a name we learned, or their id."""
        return view.operator_label(operator_id, self.me, self.hitl.operator_name)

    def names_changed(self) -> None:
        """The operator directory was loaded again: show the names it has now."""
        if self.detail is not None:
            self.watch_detail(self.detail)

    @property
    def held_by_me(self) -> bool:
        """True when this operator holds the conversation (and may write in it)."""
        detail = self.detail
        return detail is not None and self.me is not None and detail.holder == self.me.id

    def watch_detail(self, detail: ConversationDetail | None) -> None:
        """Show the conversation: header, transcript, draft, who holds it."""
        if detail is None:
            return
        self.query_one("#conversation-header", Static).update(
            view.conversation_header(detail, self.name_of)
        )
        self.query_one(Transcript).show_messages(
            detail.messages, self._author_name, detail.customer.name
        )
        self.query_one(DraftPanel).show_draft(detail.draft)
        held = self.held_by_me
        self.set_class(held, "-held-by-me")
        self.set_class(detail.holder is not None and not held, "-held-by-other")
        self.query_one("#hold-banner", Static).update(view.hold_banner(detail, held, self.name_of))
        state = self.hitl.ai_state
        self.query_one(Composer).set_limit(state.max_text_length if state else None)
        self.refresh_bindings()

    def _author_name(self, operator_id: str | None) -> str:
        if self.me is not None and operator_id == self.me.id:
            return self.me.name
        return self.name_of(operator_id)

    def watch_busy(self, busy: str) -> None:
        """Show the decision in flight on the draft, and dim the keys meanwhile."""
        self.query_one(DraftPanel).status = busy
        self.set_class(bool(busy), "-busy")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what this role may not do, dim what cannot apply now; the backend decides."""
        if not role_may(self.me, action):
            return False
        return key_applies(action, self.detail, busy=bool(self.busy), held_by_me=self.held_by_me)

    # -- keys ------------------------------------------------------------------

    def _draft(self) -> Draft | None:
        return self.detail.draft if self.detail is not None else None

    def action_approve(self) -> None:
        """Send the AI's draft as written."""
        draft = self._draft()
        if draft is None:
            return
        self._start(*decisions.approve(self.hitl.client, draft))

    def action_edit(self) -> None:
        """Edit the draft, then confirm the diff with a reason."""
        draft = self._draft()
        if draft is None:
            return
        kept = self._kept_edit
        self._open_editor(draft, kept[1] if kept is not None and kept[0] == draft.id else None)

    def _open_editor(self, draft: Draft, text: str | None) -> None:
        def edited(result: str | None) -> None:
            if result is None:
                return

            def confirmed(choice: EditChoice | None) -> None:
                if choice is None:
                    # Escape on the diff steps back into the editor, text intact.
                    self._open_editor(draft, result)
                else:
                    self._send_edit(draft, choice)

            self.app.push_screen(EditConfirmDialog(draft.text, result), confirmed)

        self.app.push_screen(DraftEditor(draft.text, text), edited)

    def _send_edit(self, draft: Draft, choice: EditChoice) -> None:
        # The draft as it was when the editor opened: if it changed since,
        # the backend refuses with 409/412 and the user is told why.
        self._kept_edit = (draft.id, choice.text)
        self._start(*decisions.edit(self.hitl.client, draft, choice))

    def action_reject(self) -> None:
        """Discard the draft: the conversation escalates, or the AI tries again."""
        draft = self._draft()
        if draft is None:
            return

        def chosen(choice: RejectChoice | None) -> None:
            if choice is not None:
                self._start(*decisions.reject(self.hitl.client, draft, choice))

        self.app.push_screen(RejectDialog(), chosen)

    def action_regenerate(self) -> None:
        """Ask the AI for a new draft, with an instruction."""
        draft = self._draft()
        if draft is None:
            return

        def chosen(choice: RegenerateChoice | None) -> None:
            if choice is not None:
                self._start(*decisions.regenerate(self.hitl.client, draft, choice))

        self.app.push_screen(RegenerateDialog(), chosen)

    def action_takeover(self) -> None:
        """Hold the conversation; the composer appears."""
        detail = self.detail
        if detail is None:
            return

        def chosen(choice: ReasonChoice | None) -> None:
            if choice is not None:
                self._start(*decisions.takeover(self.hitl.client, detail, choice))

        self.app.push_screen(TakeoverDialog(), chosen)

    def action_handback(self) -> None:
        """Give the conversation back to the AI."""
        detail = self.detail
        if detail is None:
            return
        self._start(*decisions.handback(self.hitl.client, detail))

    def action_close_conversation(self) -> None:
        """Close the conversation, after asking."""
        detail = self.detail
        if detail is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(*decisions.close(self.hitl.client, detail))

        self.app.push_screen(ConfirmDialog(view.close_question(detail), yes="Close"), answered)

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        """Enter in the composer sends the message (the composer refused empty or too long)."""
        event.stop()
        if not self.busy:
            self._start(*decisions.send_message(self.hitl.client, self.conversation_id, event.text))

    def action_next_draft(self) -> None:
        """Open the draft that has waited longest, other than this one."""
        self.hitl.open_next_draft(exclude=self.conversation_id)

    def action_back(self) -> None:
        """Leave the composer first (so h, t, ... work again), then back to the queue."""
        if self.query_one(Composer).writing:
            self.query_one(Transcript).focus()
            return
        self.app.pop_screen()
