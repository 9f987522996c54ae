"""A one-line choice among a few values, stepped with the keys: no dropdown to open.

`Choice` shows its current option between two arrows. ← and → (or space and
enter) step through the options, wrapping; typing a letter jumps to the next
option that starts with it; a click on the left arrow steps back, anywhere
else forward. Every step posts `Choice.Changed` at once, so the owner can
act on each (a fetch per step, with later steps cancelling earlier ones).

Choosing redraws only this widget: its size is fixed by CSS, not by the
option shown, and nothing opens or closes, so no step lays the screen out or
moves the focus (which would also rebuild the footer). A `Select` does both
on every choice, which cost ~150 ms per filter on the override log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["Choice"]

V = TypeVar("V")


class Choice(Widget, Generic[V], can_focus=True):
    """One of `options` (label, value) at a time; the first is the default.

    Labels are the program's own words (enum values, "any action"), so they
    are drawn as plain text, never parsed as markup.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "right,space,enter",
            "step(1)",
            "Next",
            key_display="→",
            tooltip="The next option (typing a letter jumps to one)",
            id="choice.next",
        ),
        Binding("left", "step(-1)", "Previous", key_display="←", id="choice.previous"),
    ]

    DEFAULT_CSS = """
    Choice {
        width: 24;
        height: 3;
        border: tall $border-blurred;
        background: $surface;
        padding: 0 1;
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
        }
        & > .choice--arrow {
            color: $text-muted;
        }
        &:focus > .choice--arrow {
            color: $text-accent;
        }
        & > .choice--default {
            color: $text-muted;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice--arrow", "choice--default"}
    """The arrows, and the default option's label (dimmed like a placeholder)."""

    index: reactive[int] = reactive(0, init=False)
    """Which option is shown. A repaint, never a layout: the size is fixed in CSS."""

    class Changed(Message):
        """Another option was chosen."""

        def __init__(self, choice: Choice[object], value: object) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice[object]:
            """The widget that changed."""
            return self.choice

    def __init__(
        self,
        options: Sequence[tuple[str, V]],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """`options` in the order the keys step through them; the first is shown first."""
        if not options:
            raise ValueError("a Choice needs at least one option")
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._options = list(options)

    @property
    def value(self) -> V:
        """The value of the option shown."""
        return self._options[self.index][1]

    @property
    def label(self) -> str:
        """The label of the option shown."""
        return self._options[self.index][0]

    def choose(self, value: V) -> None:
        """Show the option with this value (posts `Changed` if it is another one)."""
        for index, (_, option_value) in enumerate(self._options):
            if option_value == value:
                self.index = index
                return
        raise ValueError(f"not an option: {value!r}")

    def watch_index(self) -> None:
        """Tell the owner."""
        self.post_message(self.Changed(self, self.value))  # type: ignore[arg-type]

    def action_step(self, by: int) -> None:
        """Step `by` options (negative: back), wrapping around."""
        self.index = (self.index + by) % len(self._options)

    def on_key(self, event: events.Key) -> None:
        """A letter jumps to the next option starting with it; other keys go on up.

        Only a letter that some option starts with is taken, so the screen's
        own letter keys still work from here.
        """
        character = event.character
        if character is None or not character.isalnum():
            return
        count = len(self._options)
        for step in range(1, count + 1):
            index = (self.index + step) % count
            if self._options[index][0][:1].lower() == character.lower():
                event.stop()
                event.prevent_default()
                self.index = index
                return

    def on_click(self, event: events.Click) -> None:
        """A click on the left arrow (or left of it) steps back; anywhere else, forward."""
        arrow_ends = self.styles.gutter.left + 2  # the border, the padding, "‹ "
        self.action_step(-1 if event.x < arrow_ends else 1)

    def render(self) -> Text:
        """`‹ label ›`, the arrows at the ends of the line."""
        width = self.content_region.width
        label = self.label
        room = max(0, width - 4)
        if len(label) > room:
            label = label[: max(0, room - 1)] + "…"
        arrow = self.get_component_rich_style("choice--arrow", partial=True)
        style = self.get_component_rich_style("choice--default", partial=True)
        text = Text.assemble(("‹ ", arrow), (label, style if self.index == 0 else ""))
        text.append(" " * max(0, width - 4 - len(label)))
        text.append(" ›", arrow)
        return text
