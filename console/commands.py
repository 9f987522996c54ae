"""The command palette (ctrl+p): the current screen's actions and the app's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider

from console.host import ConsoleHost, host
from console.live.queue_state import QueueFilter
from console.roles import role_may

__all__ = ["ConsoleCommands", "app_commands"]

Command = tuple[str, str, Callable[[], Any]]


class ConsoleCommands(Provider):
    """Every shown binding of the screen the palette was opened over, plus app commands."""

    def _commands(self) -> Iterator[Command]:
        app = self.app
        seen: set[str] = set()
        names: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.system or active.node is app:
                continue
            if binding.action in seen or binding.action.endswith("quit"):
                continue  # Quit comes once, with Textual's system commands
            if active.node.check_action(binding.action, ()) is False:
                continue  # not for this role
            seen.add(binding.action)
            names.add(binding.description)
            key = app.get_key_display(binding)
            yield (
                binding.description,
                f"{binding.tooltip or binding.description} ({key})",
                partial(app.run_action, binding.action, active.node),
            )
        yield from (command for command in self._app_commands() if command[0] not in names)

    def _app_commands(self) -> Iterator[Command]:
        return app_commands(self.app)

    async def discover(self) -> Hits:
        """Everything, for an empty query."""
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands whose name fuzzily matches `query`."""
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def app_commands(shell: App[Any]) -> Iterator[Command]:
    """The app's own commands this role may use (the palette and `?` list them)."""
    app: ConsoleHost = host(shell)

    def action(name: str) -> Callable[[], Any]:
        return partial(shell.run_action, name)

    for queue_filter in QueueFilter:
        yield (
            f"Queue: {queue_filter.title()}",
            f"Show the {queue_filter.title()} tab of the queue",
            partial(app.show_filter, queue_filter),
        )
    if role_may(app.me, "next_draft"):
        yield ("Next draft", "Open the draft that has waited longest", action("next_draft"))
    if app.is_supervisor:
        paused = app.ai_state is not None and app.ai_state.paused
        if not paused:
            yield ("Pause AI", "Supervisor: stop all AI sending now", action("pause_ai"))
        if paused or app.ai_state is None:
            yield ("Resume AI", "Supervisor: let the AI send again", action("resume_ai"))
    if app.is_supervisor:
        yield (
            "Override log",
            "Supervisor: decisions, chain state, export",
            action("open_audit_log"),
        )
        yield (
            "Metrics",
            "Supervisor: override rates and review times",
            action("open_metrics"),
        )
    yield ("Alerts", "What the console warned about this session (f9)", action("open_alerts"))
    yield ("Replay", "Step through a past conversation", action("open_replay"))
    yield ("Help", "Every key of this screen", action("help"))
    # Quit comes with Textual's own system commands, which stay in COMMANDS.
