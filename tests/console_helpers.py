"""What the console's Pilot tests share: the app against a real backend, a chat opened, the
queue's lines as text, an escalated chat, the notifications and alerts an app raised. (Test
files import this, never each other.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.widgets import Tabs

from backend_client import ReasonCode
from console.app import HitlApp, make_app
from console.config import ConsoleConfig
from console.live.alert_log import AlertKind
from console.screens.conversation import ConversationScreen
from console.widgets.queue_list import QueueList
from tests.helpers import Backend, until


def console_for(backend: Backend, tmp_path: Path, name: str = "alice", **extra: Any) -> HitlApp:
    """The real console, signed in as `name` (`extra`: more console settings)."""
    config = ConsoleConfig(
        url=backend.url, token=backend.tokens[name], config_path=tmp_path / "none.toml", **extra
    )
    return make_app(config)


async def open_chat(app: HitlApp, pilot: Any, chat_id: str) -> ConversationScreen:
    """Once signed in, open a conversation and wait until it is on screen, loaded."""
    await until(pilot, lambda: app.me is not None)
    app.call_later(app.open_conversation, chat_id)
    screen: ConversationScreen = await until(
        pilot,
        lambda: (
            app.screen
            if isinstance(app.screen, ConversationScreen) and app.screen.conversation_id == chat_id
            else None
        ),
    )
    await until(pilot, lambda: screen.detail is not None)
    return screen


def queue_list(app: HitlApp) -> QueueList:
    """The list on the home screen."""
    return app.queue_screen.query_one(QueueList)


def shown(app: HitlApp) -> str:
    """The queue's visible lines, as text."""
    widget = queue_list(app)
    return "\n".join(
        widget.render_line(y).text for y in range(widget.scrollable_content_region.height)
    )


async def escalate(backend: Backend, name: str = "Esme Escalate") -> str:
    """A chat whose draft alice rejects: it escalates. Returns its id."""
    chat = await backend.chat("Where is my order?", name=name)
    async with backend.client("alice") as alice:
        draft = (await alice.get_conversation(chat.id)).draft
        assert draft is not None
        await alice.reject(draft.id, draft.version, ReasonCode.INCORRECT, None)
    return chat.id


def underline_in_place(app: HitlApp) -> bool:
    """Whether every tab bar's active tab is laid out at its label's width and the
    underline spans it (no slide under way, no layout pending)."""
    for tabs in app.screen.query(Tabs):
        active = tabs.active_tab
        if active is None:
            continue
        if active.size.width != cell_len(active.label_text):
            return False
        underline: Any = tabs.query_one("Underline")  # Textual's own, not exported
        span = active.virtual_region.shrink(active.styles.gutter).column_span
        if (underline.highlight_start, underline.highlight_end) != span:
            return False
    return True


class Recorded:
    """The notifications and alerts an app raised, as (message, title, severity, markup).

    Issue 15 made escalations and late drafts alerts (the header's count, f9's
    list, one alert line) rather than toasts; they are recorded here alike.
    Alerts are drawn as plain text, never markup.
    """

    def __init__(self, app: HitlApp) -> None:
        self.items: list[dict[str, Any]] = []
        original = app.notify
        original_alert = app.raise_alert

        def notify(message: str, **kwargs: Any) -> None:
            self.items.append({"message": message, **kwargs})
            original(message, **kwargs)

        def raise_alert(
            kind: AlertKind, title: str, text: str, conversation_id: str | None = None
        ) -> None:
            self.items.append({"message": text, "title": title, "markup": False})
            original_alert(kind, title, text, conversation_id)

        app.notify = notify  # type: ignore[method-assign]
        app.raise_alert = raise_alert  # type: ignore[method-assign]

    def titled(self, title: str) -> list[dict[str, Any]]:
        """Notifications with this title."""
        return [item for item in self.items if item.get("title") == title]
