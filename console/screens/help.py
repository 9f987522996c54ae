"""`?`: every key of the screen below, with what it does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

__all__ = ["HelpScreen", "help_title", "keys_of"]


def _declared_by_us(node: DOMNode, binding: Binding) -> bool:
    """True unless `binding` came with a Textual base class (a scroll view's page-left...)."""
    if node is node.app:
        return True  # quit, the palette: the app's keys are the operator's keys too
    return any(
        isinstance(declared, Binding) and declared.action == binding.action
        for cls in type(node).__mro__
        if not cls.__module__.startswith("textual.")
        for declared in cls.__dict__.get("BINDINGS", ())
    )


def keys_of(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(keys, description, tooltip) for every binding this role may use on `screen`."""
    rows: dict[tuple[int, str], tuple[list[str], str, str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not _declared_by_us(active.node, binding):
            continue
        if active.node.check_action(binding.action, ()) is False:
            continue  # hidden from this role's footer, so from `?` too
        display = screen.app.get_key_display(binding.with_key(key))
        slot = (id(active.node), binding.action)
        if slot in rows:
            rows[slot][0].append(display)
        else:
            rows[slot] = ([display], binding.description, binding.tooltip)
    return [(" ".join(keys), description, tooltip) for keys, description, tooltip in rows.values()]


def help_title(screen: Screen[object]) -> str:
    """What `?` calls `screen`: its HELP_TITLE, in words a person uses."""
    title = getattr(screen, "HELP_TITLE", None)
    return title if isinstance(title, str) else "Console"


class HelpScreen(ModalScreen[None]):
    """A table of the keys of the screen it was opened over; escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", tooltip="Close help", id="help.close"),
    ]

    def __init__(
        self,
        for_screen: Screen[object],
        palette_only: Sequence[tuple[str, str]] = (),
        about: str = "",
    ) -> None:
        """Help for the keys of `for_screen` (read now, while it is still active).

        `palette_only`: (name, what it does) of commands with no key here;
        `about`: where the console is connected (and, in the demo, its database).
        """
        super().__init__()
        self._keys = keys_of(for_screen)
        self._title = help_title(for_screen)
        shown = {description for _, description, _ in self._keys}
        self._palette = [(name, text) for name, text in palette_only if name not in shown]
        self._about = about

    def compose(self) -> ComposeResult:
        """A title, the table, how to close."""
        with Vertical(id="help-dialog"):
            yield Label(f"Keys — {self._title}", id="help-title")
            if self._about:
                # Above the table: a long table must not push it out of sight.
                yield Label(Text(self._about), id="help-about")
            table: DataTable[Text] = DataTable(
                cursor_type="row", zebra_stripes=True, id="help-keys"
            )
            table.add_columns("Key", "Does", "Details")
            for keys, description, tooltip in self._keys:
                table.add_row(Text(keys, style="bold"), Text(description), Text(tooltip))
            for name, text in self._palette:
                table.add_row(Text("ctrl+p", style="bold"), Text(name), Text(text))
            yield table
            yield Label("escape closes · ctrl+p finds any command by name", id="help-hint")

    def action_close(self) -> None:
        """Back to the screen below."""
        self.dismiss()
