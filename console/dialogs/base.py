"""What every decision dialog shares: the line that says why it will not confirm yet."""

from __future__ import annotations

from typing import Any

from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["say"]


def say(dialog: ModalScreen[Any], message: str) -> None:
    """Show what stops the dialog from confirming (nothing, when `message` is empty)."""
    error = dialog.query_one("#dialog-error", Static)
    error.update(message)
    error.display = bool(message)
