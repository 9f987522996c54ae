"""What agents expect on the conversation screen, beside the decisions on the AI's drafts:
internal notes (`i`), the customer's history (`p`), assignment (`m`), saved replies (`f2`),
and who else has the conversation open ("sam is viewing", live).

A base of `ConversationScreen` (Textual calls each class's `on_mount`; the screen lists
`AGENT_BINDINGS` after its own keys), so the decisions screen keeps its size and this its
own room. I/O only in workers; what comes back shows in the transcript and the agent line.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from backend_client import (
    BackendError,
    ConversationDetail,
    ConversationStatus,
    Event,
    EventType,
    Note,
    Role,
    WorkdaySettings,
    over_sla,
    sla_minutes,
)
from console.dialogs.workday import NOBODY, AssignDialog, NoteDialog
from console.host import ConsoleHost, host
from console.render.labels import format_waiting
from console.render.sanitize import safe_text
from console.screens.history import HistoryScreen
from console.screens.saved_replies import insert_saved_reply
from console.widgets.transcript import Transcript

if TYPE_CHECKING:
    from textual.reactive import reactive

__all__ = ["AGENT_BINDINGS", "PRESENCE_EVERY", "AgentTools"]

_LEAVING: set[asyncio.Task[None]] = set()
""""I left" requests on their way (kept referenced until done)."""

PRESENCE_EVERY = 5.0
"""Seconds between "still viewing" heartbeats (the backend forgets a viewer after 15)."""

AGENT_BINDINGS: list[BindingType] = [
    Binding("i", "add_note", "Note", tooltip="Internal note for colleagues", id="conv.note"),
    Binding("m", "assign", "Assign", tooltip="Assign to me or a colleague", id="conv.assign"),
    # Not in the footer (at 80 columns the decisions need it); `?` lists them.
    Binding(
        "p",
        "customer_history",
        "History",
        show=False,
        tooltip="The customer's earlier conversations",
        id="conv.history",
    ),
    Binding(
        "f2",
        "saved_replies",
        "Saved reply",
        show=False,
        tooltip="Insert a saved reply where you write (reply box, draft editor)",
        id="conv.saved_replies",
    ),
]
"""The conversation screen's keys for notes, history, assignment and saved replies."""


class AgentLine(Static):
    """`Assigned to sam · bob is viewing`: hidden while there is nothing to say."""

    DEFAULT_CSS = """
    AgentLine { height: auto; padding: 0 1; color: $text; background: $primary-muted;
                display: none; }
    """

    def show(self, assignee: str | None, viewers: list[str], waiting: Text | None = None) -> None:
        """Say how long the customer has waited for a person, who the conversation is
        assigned to, and who else has it open."""
        parts: list[Text] = [waiting] if waiting is not None else []
        if assignee:
            parts.append(Text.assemble("Assigned to ", safe_text(assignee, "bold")))
        if viewers:
            names = ", ".join(viewers)
            verb = "is" if len(viewers) == 1 else "are"
            parts.append(
                Text.assemble("👁 ", safe_text(names, "bold"), f" {verb} viewing this conversation")
            )
        self.update(Text(" · ").join(parts))
        self.display = bool(parts)


def waiting_words(
    detail: ConversationDetail | None, now: datetime, promises: WorkdaySettings | None
) -> Text | None:
    """`⏰ waiting 16m02s for a person — over the 15 min promise` for an escalated chat."""
    if detail is None or detail.status is not ConversationStatus.ESCALATED:
        return None
    if detail.waiting_since is None:
        return None
    seconds = (now - detail.waiting_since).total_seconds()
    text = Text(f"⏰ waiting {format_waiting(seconds)} for a person")
    if promises is not None:
        minutes = sla_minutes(detail.escalation_reason, promises)
        if over_sla(detail.escalation_reason, seconds, promises):
            text.append(f" — over the {minutes} min promise", style="bold")
        else:
            text.append(f" (promise: {minutes} min)")
    return text


class AgentTools(Screen[None]):
    """Notes, history, assignment, saved replies and presence for a conversation screen."""

    conversation_id: str
    if TYPE_CHECKING:
        detail: reactive[ConversationDetail | None]

    @property
    def hitl(self) -> ConsoleHost:
        """The app, as a screen may use it."""
        return host(self.app)

    def on_mount(self) -> None:
        """Add the agent line, load the notes, start saying "I am viewing"."""
        self._viewers: list[str] = []
        self._notes: list[Note] = []
        self.mount(AgentLine(id="agent-line"), before=self.query_one(Transcript))
        self.watch(self, "detail", self._show_agent_line, init=False)
        self._promises: WorkdaySettings | None = None
        self._load_notes()
        self._load_promises()
        self._heartbeat()
        self.set_interval(PRESENCE_EVERY, self._heartbeat)
        self.set_interval(1.0, lambda: self._show_agent_line(self.detail))

    def on_unmount(self) -> None:
        """Say I left, so colleagues stop seeing me as a viewer at once.

        Sent on its own, not as a worker of the app: quitting must not wait for it.
        """
        client, cid = self.hitl.client, self.conversation_id

        async def leave() -> None:
            try:
                await client.viewing(cid, leaving=True)
            except Exception:  # closed client, backend gone: it forgets silent viewers anyway
                pass

        task = asyncio.get_running_loop().create_task(leave())
        _LEAVING.add(task)
        task.add_done_callback(_LEAVING.discard)

    # -- what the app hands on ---------------------------------------------------------

    def workday_event(self, event: Event) -> None:
        """A live event about this conversation: a colleague's note appears at once."""
        if event.type is EventType.NOTE_CREATED:
            self._load_notes()

    # -- workers -------------------------------------------------------------------------

    @work(exclusive=True, group="notes")
    async def _load_notes(self) -> None:
        self._notes = await self.hitl.client.notes(self.conversation_id)
        self._show_notes()

    @work(exclusive=True, group="promises", exit_on_error=False)
    async def _load_promises(self) -> None:
        try:
            self._promises = await self.hitl.client.workday_settings()
        except BackendError:
            return  # the clock still shows; only the promise is not said
        self._show_agent_line(self.detail)

    @work(exclusive=True, group="presence", exit_on_error=False)
    async def _heartbeat(self) -> None:
        try:
            presence = await self.hitl.client.viewing(self.conversation_id)
        except BackendError:
            return  # offline: the header says so; the next beat tries again
        self._viewers = presence.viewers
        self._show_agent_line(self.detail)

    @work(group="notes")
    async def _keep_note(self, text: str) -> None:
        note = await self.hitl.client.add_note(self.conversation_id, text)
        if all(n.id != note.id for n in self._notes):
            self._notes.append(note)
        self._show_notes()
        self.notify("Note kept: colleagues see it, the customer does not.")

    @work(exclusive=True, group="assign")
    async def _assign(self, operator: str | None) -> None:
        version = self.detail.version if self.detail is not None else None
        self.detail = await self.hitl.client.assign(self.conversation_id, version, operator)
        name = self._person(operator) if operator else None
        self.notify(f"Assigned to {name}." if name else "Assigned to nobody.")

    @work(exclusive=True, group="assign")
    async def _pick_assignee(self) -> None:
        operators = await self.hitl.client.operators()
        deciders = [o for o in operators if o.role is not Role.TRAINER]  # the backend checks
        current = self.detail.assignee if self.detail is not None else None

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self._assign(None if choice == NOBODY else choice)

        self.app.push_screen(AssignDialog(self.hitl.me, deciders, current), chosen)

    @work(exclusive=True, group="history")
    async def _show_history(self) -> None:
        earlier = await self.hitl.client.history(self.conversation_id)
        customer = self.detail.customer.name if self.detail is not None else "this customer"

        def chosen(conversation_id: str | None) -> None:
            if conversation_id is not None:
                self.hitl.open_conversation(conversation_id)

        self.app.push_screen(HistoryScreen(customer, earlier), chosen)

    # -- showing -------------------------------------------------------------------------

    def _person(self, operator_id: str | None) -> str:
        me = self.hitl.me
        if me is not None and operator_id == me.id:
            return me.name
        return self.hitl.operator_name(operator_id) or (operator_id or "")

    def _show_notes(self) -> None:
        self.query_one(Transcript).show_notes([(n, self._person(n.author)) for n in self._notes])

    def _show_agent_line(self, detail: ConversationDetail | None) -> None:
        assignee = detail.assignee if detail is not None else None
        viewers = [self._person(v) for v in self._viewers]
        waiting = waiting_words(detail, self.hitl.clock(), self._promises)
        for line in self.query(AgentLine):
            line.show(self._person(assignee) if assignee else None, viewers, waiting)

    # -- keys ----------------------------------------------------------------------------

    def action_add_note(self) -> None:
        """Write an internal note."""

        def written(text: str | None) -> None:
            if text is not None:
                self._keep_note(text)

        self.app.push_screen(NoteDialog(), written)

    def action_customer_history(self) -> None:
        """The customer's earlier conversations."""
        self._show_history()

    def action_assign(self) -> None:
        """Assign the conversation to me, a colleague, or nobody."""
        self._pick_assignee()

    def action_saved_replies(self) -> None:
        """Insert a saved reply where the person is writing."""
        insert_saved_reply(self.app)
