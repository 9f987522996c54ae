"""A failed worker in words a person can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from textual.app import App

from backend_client import BackendError, ConnectionLostError, ForbiddenError, UnauthorizedError

__all__ = ["Notice", "failure_notice"]


@dataclass(frozen=True)
class Notice:
    """A notification to show: `App.notify(message, title=…, severity=…, timeout=…)`."""

    message: str
    title: str
    severity: Literal["information", "warning", "error"] = "error"
    timeout: float | None = None

    def show(self, app: App[Any]) -> None:
        """Show it (the words come from outside: never read as markup)."""
        app.notify(
            self.message,
            title=self.title,
            severity=self.severity,
            timeout=self.timeout,
            markup=False,
        )


def failure_notice(error: BaseException | None, url: str, worker_name: str) -> Notice:
    """What to tell the person when a worker of the app failed with `error`."""
    if isinstance(error, UnauthorizedError):
        return Notice(
            f"The token was refused by {url}: {error}. Check --token / HITL_TOKEN.",
            "Not signed in",
            timeout=30,
        )
    if isinstance(error, ConnectionLostError):
        return Notice(str(error), "Backend unreachable")
    if isinstance(error, ForbiddenError):
        return Notice(str(error), "Not allowed")
    if isinstance(error, BackendError):
        return Notice(str(error), "Backend error")
    return Notice(f"{type(error).__name__}: {error}", f"{worker_name} failed", timeout=30)
