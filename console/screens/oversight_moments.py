"""The oversight moments of a decision in a conversation (kept out of the screen's module).

A calibration draft just decided: the reviewer is told. An approval faster
than the draft can be read: the reviewer is asked, and the approval is sent
again with the draft's length as the confirmation.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.widget import Widget

from backend_client import (
    AsyncBackendClient,
    BackendError,
    ConfirmationRequiredError,
    ConversationDetail,
    Draft,
)
from console.dialogs import ConfirmDialog
from console.render.oversight import calibration_notice, fast_approval_question

from . import decisions
from .decisions import Attempt, Call, DecisionKind

__all__ = ["ask_about_fast_approval", "tell_calibration"]


def tell_calibration(widget: Widget, attempt: Attempt, detail: ConversationDetail) -> None:
    """After a decision on a draft: say so if it was a calibration draft."""
    notice = calibration_notice(detail)
    if notice is not None and attempt.kind.decides_draft:
        widget.notify(notice, title="Calibration draft", severity="warning", timeout=20)


def ask_about_fast_approval(
    app: App[object],
    client: AsyncBackendClient,
    draft: Draft | None,
    attempt: Attempt,
    error: BackendError,
    start: Callable[[Attempt, Call], None],
) -> bool:
    """If the backend asked to confirm a fast approval, ask the reviewer; True if it did."""
    if not isinstance(error, ConfirmationRequiredError) or attempt.kind is not DecisionKind.APPROVE:
        return False
    words = error.words
    if draft is None or words is None:
        return True

    def answered(yes: bool | None) -> None:
        if yes:
            start(*decisions.approve_confirmed(client, draft, words))

    question = fast_approval_question(error)
    app.push_screen(ConfirmDialog(question, yes="I read it: approve"), answered)
    return True
