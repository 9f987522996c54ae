"""Saved replies: a fuzzy finder over the team's library (f2), filled in and inserted where
the person is writing: the reply box, or the draft editor (the text of an edit)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from backend_client import SavedReply, fill_reply
from console.host import host
from console.render.sanitize import safe_text, untrusted

__all__ = ["SavedReplyFinder", "insert_saved_reply", "ranked"]


def ranked(query: str, replies: list[SavedReply]) -> list[SavedReply]:
    """The replies whose title or text fuzzily match `query`, best first (all for "")."""
    if not query.strip():
        return list(replies)
    matcher = Matcher(query)
    scored = [(max(matcher.match(r.title), matcher.match(r.text) * 0.8), r) for r in replies]
    return [reply for score, reply in sorted(scored, key=lambda s: -s[0]) if score > 0]


class SavedReplyFinder(ModalScreen[SavedReply | None]):
    """Type to find a saved reply; enter inserts it, escape cancels."""

    DEFAULT_CSS = """
    SavedReplyFinder { align: center middle; }
    SavedReplyFinder #replies { height: auto; max-height: 12; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Insert nothing", id="replies.cancel"),
        Binding("down", "down", show=False, id="replies.down"),
        Binding("up", "up", show=False, id="replies.up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._replies: list[SavedReply] = []
        self._shown: list[SavedReply] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Saved replies", classes="dialog-title")
            yield Input(placeholder="Find a saved reply…", id="replies-find")
            yield OptionList(id="replies")
            yield Static("Loading…", id="replies-state", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#replies-find", Input).focus()
        self._load()

    @work(exclusive=True, group="saved-replies")
    async def _load(self) -> None:
        replies = await host(self.app).client.saved_replies()
        self._replies = replies
        self._show("")

    def _show(self, query: str) -> None:
        self._shown = ranked(query, self._replies)
        options = self.query_one("#replies", OptionList)
        options.clear_options()
        for reply in self._shown:
            preview = untrusted(reply.text).replace("\n", " ")[:70]
            label = Text.assemble(safe_text(reply.title, "bold", single_line=True), "  ", preview)
            options.add_option(Option(label, id=reply.id))
        if self._shown:
            options.highlighted = 0
        state = self.query_one("#replies-state", Static)
        if not self._replies:
            state.update("The library is empty (supervisors add replies: hitl replies add).")
        elif not self._shown:
            state.update("Nothing matches.")
        else:
            state.update("enter insert · ↑↓ choose · esc cancel")

    @on(Input.Changed, "#replies-find")
    def _typed(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#replies-find")
    def _submitted(self) -> None:
        options = self.query_one("#replies", OptionList)
        if options.highlighted is not None and self._shown:
            self.dismiss(self._shown[options.highlighted])

    @on(OptionList.OptionSelected, "#replies")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._shown[event.option_index])

    def action_down(self) -> None:
        """Next reply."""
        self.query_one("#replies", OptionList).action_cursor_down()

    def action_up(self) -> None:
        """Previous reply."""
        self.query_one("#replies", OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        """Insert nothing."""
        self.dismiss(None)


def _customer_name(app: App[Any]) -> str:
    """The customer of the conversation being answered (the topmost one open)."""
    for screen in reversed(app.screen_stack):
        detail = getattr(screen, "detail", None)
        customer = getattr(detail, "customer", None)
        if customer is not None:
            return str(customer.name)
    return ""


def insert_saved_reply(app: App[Any]) -> None:
    """Open the finder; insert the chosen reply, filled in, where the person was writing."""
    target: Widget | None = app.focused
    if not isinstance(target, Input | TextArea) or target.id == "replies-find":
        app.notify("Saved replies go into the reply box or the draft editor: focus one first.")
        return

    def chosen(reply: SavedReply | None) -> None:
        if reply is None or not target.is_mounted:
            return
        me = host(app).me
        text = fill_reply(
            reply.text, customer_name=_customer_name(app), agent_name=me.name if me else ""
        )
        if isinstance(target, TextArea):
            target.insert(text)
        else:
            target.insert_text_at_cursor(text)
        target.focus()

    app.push_screen(SavedReplyFinder(), chosen)
