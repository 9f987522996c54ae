"""A footer that fits 80 columns: keys packed closer, keys that cannot apply now left out,
the palette's key left to `?`."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["COMPACT_BELOW", "FitFooter"]

COMPACT_BELOW = 120
"""Narrower than this, keys are drawn compact (one space between them, not three), keys
that cannot apply now (dimmed on a wide screen) are left out, and so is `^p palette` (`?`
lists every key and the palette's commands)."""


class FitFooter(Footer):
    """`Footer`, fitted to narrow terminals (at 80 columns the conversation's and a
    supervisor's keys were cut off at the right)."""

    def on_mount(self) -> None:
        self._fit(self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        narrow = width < COMPACT_BELOW
        if narrow != self.compact or narrow == self.show_command_palette:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.refresh(recompose=True)

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        if not self.compact:
            yield from widgets
            return
        keys = [
            widget
            for widget in widgets
            if not (isinstance(widget, FooterKey) and widget.has_class("-disabled"))
        ]
        # `? Help` first: when the keys still do not fit, the one that lists them all stays.
        keys.sort(
            key=lambda widget: not (isinstance(widget, FooterKey) and widget.key == "question_mark")
        )
        yield from keys
