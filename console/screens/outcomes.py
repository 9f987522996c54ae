"""What the conversation screen says when a decision comes back: done, or refused and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from textual.widget import Widget

from backend_client import (
    BackendError,
    ConflictError,
    ConnectionLostError,
    ConversationDetail,
    Draft,
    Event,
)
from console.render.conversation import decided_elsewhere
from console.render.labels import spoken
from console.screens.decisions import Attempt

__all__ = ["Notice", "elsewhere_notice", "made_notice", "refused_notice"]


@dataclass(frozen=True)
class Notice:
    """A toast's words, title, severity and how long it stays."""

    text: str
    title: str = ""
    severity: Literal["information", "warning", "error"] = "information"
    timeout: float | None = None

    def show(self, where: Widget) -> None:
        """Show it as a toast (the words may be the server's: never read as markup)."""
        where.notify(
            self.text, title=self.title, severity=self.severity, timeout=self.timeout, markup=False
        )


def made_notice(attempt: Attempt, detail: ConversationDetail) -> str:
    """What happened, in words, now that `attempt` succeeded and left `detail`."""
    if attempt.regenerates and detail.draft is None:
        # The AI may not get another go (e.g. a second low-confidence
        # draft escalates): say what happened instead of "new draft".
        reason = detail.escalation_reason
        if reason is not None:
            return f"No new draft: the conversation escalated ({spoken(reason)})."
        return "No new draft came back."
    return attempt.done


def refused_notice(attempt: Attempt, error: BackendError) -> Notice:
    """Who refused and why, in the server's words; a lost connection says how to retry."""
    wording = attempt.wording
    if isinstance(error, ConnectionLostError):
        kept = " (your text is kept)" if attempt.kind.keeps_text else ""
        return Notice(
            f"Not sent — connection lost; press {wording.retry_key} to retry{kept}.",
            title=f"Could not {wording.verb}",
            severity="error",
        )
    return Notice(
        f"Could not {wording.verb}: {error}",
        severity="warning" if isinstance(error, ConflictError) else "error",
        timeout=10,
    )


def elsewhere_notice(
    event: Event,
    shown: Draft | None,
    deciding: str | None,
    me: str | None,
    name_of: Callable[[str | None], str],
) -> str | None:
    """What to say when someone else decided the draft on screen (None: nothing)."""
    draft_id = event.data.get("id")
    if shown is None or draft_id != shown.id or draft_id == deciding:
        # Not the draft on screen, or our own decision in flight: its
        # result (or refusal) will speak for itself.
        return None
    decided_by = event.data.get("decided_by")
    if decided_by is not None and decided_by == me:
        return None
    who = name_of(decided_by) if decided_by else "Someone"
    return decided_elsewhere(event.data.get("status"), who)
