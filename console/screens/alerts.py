"""`f9`: the alerts of this session, newest first; enter opens the conversation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from console.live.alert_log import Alert
from console.render.sanitize import safe_text

__all__ = ["AlertsScreen"]


class AlertsScreen(ModalScreen[str | None]):
    """The list of alerts; dismisses with the chosen conversation's id (None: closed)."""

    HELP_TITLE = "Alerts"
    """What `?` calls this screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f9", "close", "Close", tooltip="Back to work", id="alerts.close"),
    ]

    DEFAULT_CSS = """
    AlertsScreen {
        align: center middle;
        & > Vertical {
            width: 90%;
            max-width: 120;
            height: 80%;
            border: round $warning;
            background: $surface;
        }
        & OptionList { height: 1fr; }
        & #alerts-title { text-style: bold; padding: 0 1; }
        & #alerts-hint { color: $text-muted; padding: 0 1; }
    }
    """

    def __init__(self, alerts: Sequence[Alert]) -> None:
        """The alerts to list, newest first."""
        super().__init__()
        self._alerts = list(alerts)

    def compose(self) -> ComposeResult:
        """Title, the list, how to use it."""
        with Vertical():
            yield Label(f"Alerts — {len(self._alerts)} this session", id="alerts-title")
            options = [
                Option(
                    Text.assemble(
                        (alert.at.strftime("%H:%M:%S "), "dim"),
                        (alert.title, "bold"),
                        " — ",
                        safe_text(alert.text, single_line=True, max_length=200),
                    ),
                    id=str(index),
                )
                for index, alert in enumerate(self._alerts)
            ]
            if not options:
                options = [Option("No alerts yet.", id="none", disabled=True)]
            yield OptionList(*options, id="alerts-list")
            yield Label("enter opens the conversation · esc closes", id="alerts-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Open the alert's conversation (when it names one)."""
        event.stop()
        if event.option.id is None or not event.option.id.isdigit():
            return
        alert = self._alerts[int(event.option.id)]
        self.dismiss(alert.conversation_id)

    def action_close(self) -> None:
        """Back to where the person was."""
        self.dismiss(None)
