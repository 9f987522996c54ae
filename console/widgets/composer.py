"""The reply box of a conversation you hold: several lines, a counter, a key that sends.

Enter sends (as in the web chat and most help desks); ctrl+j, or shift+enter where the
terminal reports it, starts a new line. The line under the box says so, and counts the
characters against the backend's limit (`AIState.max_text_length`): it warns from 90 % on
and, over the limit, says by how much instead of sending something the backend refuses.
Tab still moves on to the next widget.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea

__all__ = ["Composer", "ComposerArea", "counter_text", "send_problem"]

NEW_LINE_KEYS = frozenset({"ctrl+j", "shift+enter"})
"""Keys that start a new line (ctrl+j is what every terminal can send)."""
HINT = "enter sends · ctrl+j new line · esc leaves"
WARN_FROM = 0.9
"""The counter warns from this share of the limit on."""


def counter_text(length: int, limit: int | None) -> tuple[str, str]:
    """The counter and its level ("", "warning" or "error") for `length` characters."""
    if limit is None:
        return f"{length:,}", ""
    if length > limit:
        return f"{length:,}/{limit:,} — {length - limit:,} over the limit", "error"
    if length >= limit * WARN_FROM:
        return f"{length:,}/{limit:,} — {limit - length:,} left", "warning"
    return f"{length:,}/{limit:,}", ""


def send_problem(text: str, limit: int | None) -> str | None:
    """Why `text` cannot be sent as it is, in words; None when it can."""
    if not text.strip():
        return "Nothing to send: write your message first."
    if limit is not None and len(text) > limit:
        return (
            f"Too long to send: {len(text):,} characters, the limit is {limit:,}. "
            f"Shorten it by {len(text) - limit:,}."
        )
    return None


class ComposerArea(TextArea):
    """A text area where enter sends and ctrl+j / shift+enter start a new line."""

    @dataclass
    class Send(Message):
        """Enter was pressed: send what is written."""

        text: str

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Send(self.text))
            return
        if event.key in NEW_LINE_KEYS:
            event.stop()
            event.prevent_default()
            start, end = self.selection
            self._replace_via_keyboard("\n", start, end)
            return
        await super()._on_key(event)


class Composer(Vertical):
    """The reply box and the line that says how to send and how much room is left."""

    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer > ComposerArea { height: auto; min-height: 3; max-height: 8; }
    Composer > #composer-hint { color: $text-muted; height: 1; }
    Composer > #composer-hint.-warning { color: $warning; text-style: bold; }
    Composer > #composer-hint.-error { color: $error; text-style: bold; }
    """

    @dataclass
    class Submitted(Message):
        """The operator sends `text` (already checked: not empty, not over the limit)."""

        composer: Composer
        text: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.limit: int | None = None
        """The backend's `max_text_length` once known."""

    def compose(self) -> ComposeResult:
        yield ComposerArea(id="composer-text", soft_wrap=True, show_line_numbers=False)
        yield Static(id="composer-hint")

    def on_mount(self) -> None:
        self._count()

    @property
    def area(self) -> ComposerArea:
        """The text area itself."""
        return self.query_one(ComposerArea)

    @property
    def value(self) -> str:
        """What is written."""
        return self.area.text

    def clear(self) -> None:
        """Empty the box (after a send went through)."""
        self.area.clear()

    def set_limit(self, limit: int | None) -> None:
        """The backend's limit, when it says (the counter follows)."""
        self.limit = limit
        self._count()

    def focus(self, scroll_visible: bool = True) -> Composer:
        self.area.focus(scroll_visible)
        return self

    @property
    def writing(self) -> bool:
        """True while the cursor is in the box."""
        return self.area.has_focus

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._count()

    def _count(self) -> None:
        counter, level = counter_text(len(self.area.text), self.limit)
        hint = self.query_one("#composer-hint", Static)
        hint.update(Text(f"{HINT} · {counter}"))
        hint.set_class(level == "warning", "-warning")
        hint.set_class(level == "error", "-error")

    def on_composer_area_send(self, event: ComposerArea.Send) -> None:
        event.stop()
        problem = send_problem(event.text, self.limit)
        if problem is not None:
            self.notify(problem, severity="warning", markup=False)
            return
        self.post_message(self.Submitted(self, event.text))
