"""The queue's find (`/`): a line to type in, and the column names above the rows.

`QueueFind` asks the backend which open conversations match what was typed
(`find_in_queue`, in a worker, a quarter second after the last key) and
posts `Found(words, ids)`; the screen narrows the list to those ids. While a
find stands, every change in the queue asks again (at most once a second),
so a new conversation that matches joins the list live.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from console.host import host
from console.widgets.queue_painter import _GAP, _GLYPH_WIDTH, _WAITING_WIDTH, columns

__all__ = ["QueueColumns", "QueueFind"]

TYPING_PAUSE = 0.25
"""Seconds after the last key before the find is sent."""
LIVE_EVERY = 1.0
"""While a find stands, the queue's changes ask again at most this often (seconds)."""


class QueueColumns(Static):
    """The column names above the queue's rows, aligned with the painter's columns."""

    DEFAULT_CSS = """
    QueueColumns { height: 1; color: $text-muted; text-style: bold; background: $surface; }
    """

    def on_resize(self) -> None:
        """Name the columns, as wide as the painter makes them at this width."""
        widths = columns(self.size.width)
        gap = " " * _GAP
        parts = [
            " " * _GLYPH_WIDTH,
            "Waits".rjust(_WAITING_WIDTH),
            "Customer".ljust(widths.name),
            "Flags".ljust(widths.flags),
            "Holder".ljust(widths.holder),
            "Last message",
        ]
        self.update(Text(parts[0] + parts[1] + gap + gap.join(parts[2:]), no_wrap=True))


class QueueFind(Input):
    """Type to narrow the queue; enter goes back to the list, escape ends the find."""

    DEFAULT_CSS = """
    QueueFind { display: none; height: 1; border: none; padding: 0 1; }
    QueueFind.-shown { display: block; }
    """

    BINDINGS = [
        Binding("escape", "end_find", "End find", tooltip="Show every row again", id="find.end"),
    ]

    class Found(Message):
        """What a find matched: the ids of open conversations (None: the find ended)."""

        def __init__(self, words: str, ids: frozenset[str] | None) -> None:
            super().__init__()
            self.words = words
            self.ids = ids

    class Left(Message):
        """The person left the find line (enter or escape): focus goes back to the list."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="Find: name, email, words, or a flag (refund, pii…)", id=id)
        self._typing: Timer | None = None
        self._live: Timer | None = None
        self.words = ""
        """What the current find looks for ("" when none stands)."""

    def start(self) -> None:
        """Show the line and put the cursor in it."""
        self.add_class("-shown")
        self.focus()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, self._send)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Left())

    def _send(self) -> None:
        words = self.value.strip()
        self.words = words
        if not words:
            self.post_message(self.Found("", None))
            return
        self._find(words)

    @work(exclusive=True, group="queue-find")
    async def _find(self, words: str) -> None:
        ids = await host(self.app).client.find_in_queue(words)
        if words == self.words:  # not a find the person typed over meanwhile
            self.post_message(self.Found(words, ids))

    def queue_changed(self) -> None:
        """The queue changed: while a find stands, ask again soon (once for a burst)."""
        if self.words and self._live is None:
            self._live = self.set_timer(LIVE_EVERY, self._again)

    def _again(self) -> None:
        self._live = None
        if self.words:
            self._find(self.words)

    def action_end_find(self) -> None:
        """Clear the find, hide the line, show every row."""
        self.value = ""
        self.words = ""
        if self._typing is not None:
            self._typing.stop()
        self.remove_class("-shown")
        self.post_message(self.Found("", None))
        self.post_message(self.Left())
