"""One conversation: the transcript, the AI's pending draft, and every decision on it.

The screen never awaits the network in a key handler. A key opens a dialog
(`console.screens.dialogs`) or starts a worker; the worker posts back
`DetailLoaded`, `DecisionMade` or `DecisionRefused`, and the handlers show
the result. The backend owns every rule: when it refuses, the screen says
who and why in the server's own words and shows the fresh state.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from backend_client import (
    BackendError,
    ConflictError,
    ConnectionLostError,
    ConversationDetail,
    ConversationStatus,
    Draft,
    DraftStatus,
    Event,
    EventType,
    Operator,
    ProblemError,
)
from console.sanitize import safe_text
from console.screens.dialogs import (
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
from console.widgets.draft_panel import DraftPanel
from console.widgets.queue_list import STATUS_GLYPHS
from console.widgets.transcript import Transcript

if TYPE_CHECKING:
    from console.app import HitlApp

__all__ = ["ConversationScreen", "DecisionMade", "DecisionRefused", "DetailLoaded"]

_STATUS_LABELS: dict[ConversationStatus, str] = {
    ConversationStatus.BOT: "AI handling it",
    ConversationStatus.AWAITING_REVIEW: "draft awaiting review",
    ConversationStatus.ESCALATED: "escalated",
    ConversationStatus.HUMAN: "held by a person",
    ConversationStatus.CLOSED: "closed",
}
_STATUS = {status: (STATUS_GLYPHS[status], label) for status, label in _STATUS_LABELS.items()}

# What someone else did to the draft on screen, as told by a `draft.decided` event.
_DECIDED_BY_OTHER: dict[str, str] = {
    DraftStatus.APPROVED: "{who} approved this draft",
    DraftStatus.EDITED: "{who} edited and sent this draft",
    DraftStatus.REJECTED: "{who} rejected this draft",
    DraftStatus.SUPERSEDED: "The customer wrote again: this draft was replaced",
    DraftStatus.AUTO_SENT: "This draft went out on its own: nobody stopped it in time",
}

# Actions that decide the pending draft, and those that act on the conversation.
_DRAFT_ACTIONS = frozenset({"approve", "edit", "reject", "regenerate"})
_BUSY_BLOCKED = _DRAFT_ACTIONS | {"takeover", "handback", "close_conversation"}


@dataclass(frozen=True)
class Attempt:
    """One decision as sent: what it is called, and what to say while it runs."""

    verb: str
    """What the user tried, for "Could not <verb>: …" ("approve", "send your edit")."""
    doing: str
    """Shown while it runs ("Approving…")."""
    done: str
    """Said when it worked."""
    retry_key: str
    """The key that retries it ("a"), for the connection-lost message."""
    request: tuple[Hashable, ...] = field(default=())
    """Everything sent; the same request retried reuses its idempotency key."""
    draft_id: str | None = None
    """The draft it decides, if any."""
    regenerates: bool = False
    """True when the AI drafts again afterwards: what to say depends on how that went."""


class DetailLoaded(Message):
    """The conversation was (re)loaded from the backend."""

    def __init__(self, detail: ConversationDetail) -> None:
        super().__init__()
        self.detail = detail


class DecisionMade(Message):
    """The backend accepted a decision; `detail` is the conversation after it."""

    def __init__(self, attempt: Attempt, detail: ConversationDetail) -> None:
        super().__init__()
        self.attempt = attempt
        self.detail = detail


class DecisionRefused(Message):
    """The backend refused a decision, or could not be reached."""

    def __init__(self, attempt: Attempt, error: BackendError) -> None:
        super().__init__()
        self.attempt = attempt
        self.error = error


class ConversationScreen(Screen[None]):
    """The transcript, the pending draft, and the keys to decide on them."""

    CSS_PATH = "conversation.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a", "approve", "Approve", tooltip="Send the AI's draft as written", id="conv.approve"
        ),
        Binding(
            "e",
            "edit",
            "Edit",
            tooltip="Change the draft, then send it with a reason",
            id="conv.edit",
        ),
        Binding(
            "r",
            "reject",
            "Reject",
            tooltip="Discard the draft (escalates, or asks the AI again)",
            id="conv.reject",
        ),
        Binding(
            "g",
            "regenerate",
            "Regenerate",
            tooltip="Ask the AI for a new draft with an instruction",
            id="conv.regenerate",
        ),
        Binding(
            "t",
            "takeover",
            "Take over",
            tooltip="Hold the conversation; the AI goes silent",
            id="conv.takeover",
        ),
        Binding(
            "h", "handback", "Hand back", tooltip="Give the conversation back", id="conv.handback"
        ),
        Binding(
            "c", "close_conversation", "Close", tooltip="Close the conversation", id="conv.close"
        ),
        Binding(
            "n",
            "next_draft",
            "Next draft",
            tooltip="Open the draft that has waited longest",
            id="conv.next",
        ),
        Binding("escape", "back", "Queue", tooltip="Back to the queue", id="conv.back"),
    ]

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

    @property
    def hitl(self) -> HitlApp:
        """The app, typed: its client, operator and navigation."""
        return cast("HitlApp", self.app)

    @property
    def me(self) -> Operator | None:
        """Who is at the console, once known."""
        return self.hitl.me

    # -- layout --------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading conversation…"), id="conversation-header")
        yield Static(id="hold-banner")
        yield Transcript(id="transcript")
        yield DraftPanel(id="draft-panel")
        yield Input(placeholder="Write to the customer — enter sends", id="composer")
        yield Footer()

    def on_mount(self) -> None:
        self.load_detail()

    # -- what the app calls --------------------------------------------------

    def backend_event(self, event: Event) -> None:
        """Something happened to this conversation: reload, and say if someone beat us to it."""
        if event.type is EventType.DRAFT_DECIDED:
            self._tell_if_decided_elsewhere(event)
        self.load_detail()

    def _tell_if_decided_elsewhere(self, event: Event) -> None:
        draft_id = event.data.get("id")
        shown = self.detail.draft if self.detail is not None else None
        if shown is None or draft_id != shown.id or draft_id == self._deciding_draft:
            # Not the draft on screen, or our own decision in flight: its
            # result (or refusal) will speak for itself.
            return
        decided_by = event.data.get("decided_by")
        if decided_by is not None and self.me is not None and decided_by == self.me.id:
            return
        template = _DECIDED_BY_OTHER.get(str(event.data.get("status")))
        if template is not None:
            who = self.name_of(decided_by) if decided_by else "Someone"
            self.notify(template.format(who=who[:1].upper() + who[1:]), markup=False)

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
    async def send_decision(
        self, attempt: Attempt, call: Callable[[str], Awaitable[ConversationDetail]]
    ) -> None:
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

    def _start(
        self, attempt: Attempt, call: Callable[[str], Awaitable[ConversationDetail]]
    ) -> None:
        self.busy = attempt.doing
        self._deciding_draft = attempt.draft_id
        self.send_decision(attempt, call)

    # -- results -------------------------------------------------------------

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.detail = message.detail

    def on_decision_made(self, message: DecisionMade) -> None:
        attempt = message.attempt
        self.busy = ""
        self._deciding_draft = None
        if attempt.verb == "send your edit":
            self._kept_edit = None
        if attempt.verb == "send your message":
            self.query_one("#composer", Input).value = ""
        self.detail = message.detail
        if attempt.verb == "take over" and self.held_by_me:
            # Taking over is for writing: put the cursor where the words go.
            self.query_one("#composer", Input).focus()
        done = attempt.done
        if attempt.regenerates and message.detail.draft is None:
            # The AI may not get another go (e.g. a second low-confidence
            # draft escalates): say what happened instead of "new draft".
            reason = message.detail.escalation_reason
            done = (
                f"No new draft: the conversation escalated ({reason.value.replace('_', ' ')})."
                if reason is not None
                else "No new draft came back."
            )
        self.notify(done, markup=False)

    def on_decision_refused(self, message: DecisionRefused) -> None:
        """Say who and why, in the server's words; then show what is true now."""
        attempt, error = message.attempt, message.error
        self.busy = ""
        self._deciding_draft = None
        if isinstance(error, ConnectionLostError):
            kept = " (your text is kept)" if attempt.verb.startswith("send your") else ""
            self.notify(
                f"Not sent — connection lost; press {attempt.retry_key} to retry{kept}.",
                title=f"Could not {attempt.verb}",
                severity="error",
                markup=False,
            )
            return
        self.notify(
            f"Could not {attempt.verb}: {error}",
            severity="warning" if isinstance(error, ConflictError) else "error",
            timeout=10,
            markup=False,
        )
        current = error.problem.current if isinstance(error, ProblemError) else None
        if current is not None:
            self.detail = ConversationDetail.model_validate(current)
        else:
            self.load_detail()

    # -- showing -------------------------------------------------------------

    def name_of(self, operator_id: str | None) -> str:
        """What to call an operator: "you", a name we learned, or their id."""
        if operator_id is None:
            return "nobody"
        if self.me is not None and operator_id == self.me.id:
            return "you"
        return self.hitl.operator_name(operator_id) or f"operator {operator_id}"

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
        if detail is None:
            return
        self.query_one("#conversation-header", Static).update(self._header(detail))
        self.query_one(Transcript).show_messages(
            detail.messages, self._author_name, detail.customer.name
        )
        self.query_one(DraftPanel).show_draft(detail.draft)
        held = self.held_by_me
        self.set_class(held, "-held-by-me")
        self.set_class(detail.holder is not None and not held, "-held-by-other")
        self.query_one("#hold-banner", Static).update(self._banner(detail))
        self.refresh_bindings()

    def _author_name(self, operator_id: str | None) -> str:
        if self.me is not None and operator_id == self.me.id:
            return self.me.name
        return self.name_of(operator_id)

    def _header(self, detail: ConversationDetail) -> Text:
        glyph, label = _STATUS[detail.status]
        header = Text.assemble(
            (f"{glyph} ", "bold"),
            safe_text(detail.customer.name, "bold", single_line=True, max_length=40),
        )
        if detail.holder is not None:
            header.append("  held by ")
            header.append_text(safe_text(self.name_of(detail.holder), single_line=True))
        elif detail.escalation_reason is not None:
            header.append(f"  escalated: {detail.escalation_reason.value.replace('_', ' ')}")
        else:
            header.append(f"  {label}")
        header.append(f"  · v{detail.version}", style="dim")
        return header

    def _banner(self, detail: ConversationDetail) -> Text:
        if self.held_by_me:
            return Text(
                "You hold this conversation — the AI is silent here."
                "   esc leaves the composer · h hands back"
            )
        if detail.holder is not None:
            return Text.assemble(
                safe_text(self.name_of(detail.holder), single_line=True),
                " holds this conversation — only they can write here.",
            )
        return Text()

    def watch_busy(self, busy: str) -> None:
        self.query_one(DraftPanel).status = busy
        self.set_class(bool(busy), "-busy")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim the keys that cannot apply now; the backend still decides the rest."""
        if action in _BUSY_BLOCKED and self.busy:
            return None  # one decision at a time: repeated keys do nothing
        detail = self.detail
        if detail is None:
            return True if action in ("back", "next_draft") else None
        if action in _DRAFT_ACTIONS:
            return True if detail.draft is not None else None
        closed = detail.status is ConversationStatus.CLOSED
        if action == "takeover":
            return None if closed or self.held_by_me else True
        if action == "handback":
            return True if self.held_by_me else None
        if action == "close_conversation":
            return None if closed else True
        return True

    # -- keys ------------------------------------------------------------------

    def action_approve(self) -> None:
        """Send the AI's draft as written."""
        draft = self.detail.draft if self.detail is not None else None
        if draft is None:
            return
        client = self.hitl.client
        self._start(
            Attempt(
                "approve",
                "Sending the approved draft…",
                "Approved: the customer has the AI's reply.",
                "a",
                ("approve", draft.id, draft.version),
                draft.id,
            ),
            lambda key: client.approve(draft.id, draft.version, idempotency_key=key),
        )

    def action_edit(self) -> None:
        """Edit the draft, then confirm the diff with a reason."""
        draft = self.detail.draft if self.detail is not None else None
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
        client = self.hitl.client
        self._kept_edit = (draft.id, choice.text)
        self._start(
            Attempt(
                "send your edit",
                "Sending your edit…",
                "Edited reply sent to the customer.",
                "e",
                ("edit", draft.id, draft.version, choice.text, choice.reason_code, choice.note),
                draft.id,
            ),
            lambda key: client.edit(
                draft.id,
                draft.version,
                choice.text,
                choice.reason_code,
                choice.note,
                idempotency_key=key,
            ),
        )

    def action_reject(self) -> None:
        """Discard the draft: the conversation escalates, or the AI tries again."""
        draft = self.detail.draft if self.detail is not None else None
        if draft is None:
            return
        client = self.hitl.client

        def chosen(choice: RejectChoice | None) -> None:
            if choice is None:
                return
            self._start(
                Attempt(
                    "reject",
                    "Rejecting the draft…",
                    "Draft rejected: the AI wrote a new one."
                    if choice.regenerate
                    else "Draft rejected: the conversation is escalated.",
                    "r",
                    ("reject", draft.id, draft.version, choice),
                    draft.id,
                    regenerates=choice.regenerate,
                ),
                lambda key: client.reject(
                    draft.id,
                    draft.version,
                    choice.reason_code,
                    choice.note,
                    regenerate=choice.regenerate,
                    idempotency_key=key,
                ),
            )

        self.app.push_screen(RejectDialog(), chosen)

    def action_regenerate(self) -> None:
        """Ask the AI for a new draft, with an instruction."""
        draft = self.detail.draft if self.detail is not None else None
        if draft is None:
            return
        client = self.hitl.client

        def chosen(choice: RegenerateChoice | None) -> None:
            if choice is None:
                return
            self._start(
                Attempt(
                    "regenerate",
                    "Asking the AI for a new draft…",
                    "New draft ready.",
                    "g",
                    ("regenerate", draft.id, draft.version, choice),
                    draft.id,
                    regenerates=True,
                ),
                lambda key: client.regenerate(
                    draft.id,
                    draft.version,
                    choice.instruction,
                    choice.reason_code,
                    choice.note,
                    idempotency_key=key,
                ),
            )

        self.app.push_screen(RegenerateDialog(), chosen)

    def action_takeover(self) -> None:
        """Hold the conversation; the composer appears."""
        detail = self.detail
        if detail is None:
            return
        client = self.hitl.client

        def chosen(choice: ReasonChoice | None) -> None:
            if choice is None:
                return
            self._start(
                Attempt(
                    "take over",
                    "Taking over…",
                    "You hold this conversation: write below, h hands it back.",
                    "t",
                    ("takeover", detail.id, detail.version, choice),
                ),
                lambda key: client.takeover(
                    detail.id, detail.version, choice.reason_code, choice.note, idempotency_key=key
                ),
            )

        self.app.push_screen(TakeoverDialog(), chosen)

    def action_handback(self) -> None:
        """Give the conversation back to the AI."""
        detail = self.detail
        if detail is None:
            return
        client = self.hitl.client
        self._start(
            Attempt(
                "hand back",
                "Handing back…",
                "Handed back: the AI handles this conversation again.",
                "h",
                ("handback", detail.id, detail.version),
            ),
            lambda key: client.handback(detail.id, detail.version, idempotency_key=key),
        )

    def action_close_conversation(self) -> None:
        """Close the conversation, after asking."""
        detail = self.detail
        if detail is None:
            return
        client = self.hitl.client

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self._start(
                Attempt(
                    "close",
                    "Closing…",
                    "Conversation closed.",
                    "c",
                    ("close", detail.id, detail.version),
                ),
                lambda key: client.close(detail.id, detail.version, idempotency_key=key),
            )

        question = Text.assemble(
            "Close the conversation with ",
            safe_text(detail.customer.name, single_line=True, max_length=40),
            "? Nobody can write in it afterwards.",
        )
        self.app.push_screen(ConfirmDialog(question.plain, yes="Close"), answered)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the composer sends the message."""
        event.stop()
        text = event.value
        if not text.strip() or self.busy:
            return
        client = self.hitl.client
        cid = self.conversation_id
        self._start(
            Attempt(
                "send your message",
                "Sending your message…",
                "Sent to the customer.",
                "enter",
                ("send", cid, text),
            ),
            lambda key: client.send_message(cid, text, idempotency_key=key),
        )

    def action_next_draft(self) -> None:
        """Open the draft that has waited longest, other than this one."""
        self.hitl.open_next_draft(exclude=self.conversation_id)

    def action_back(self) -> None:
        """Leave the composer first (so h, t, ... work again), then back to the queue."""
        composer = self.query_one("#composer", Input)
        if composer.has_focus:
            self.query_one(Transcript).focus()
            return
        self.app.pop_screen()
