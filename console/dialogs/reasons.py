"""The dialogs that need a reason: edit (with the diff), reject, regenerate, take over.

Each dialog is a `ModalScreen` that dismisses with a typed result (a frozen
dataclass) or `None` when cancelled, so the conversation screen gets a value
it can send without reading widgets. Keyboard first: tab moves between
fields, enter confirms, escape cancels. Where the API needs a reason (edit,
reject, regenerate, take over) the dialog will not confirm without one, and
reason `other` needs a note, as the backend demands; the dialog says so
instead of letting the backend refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, OptionList, Static
from textual.widgets.option_list import Option

from backend_client import ReasonCode
from console.dialogs.base import say
from console.render.diff import themed_diff
from console.render.labels import REASON_LABELS, TAKEOVER_REASON_LABELS

__all__ = [
    "EditChoice",
    "EditConfirmDialog",
    "ReasonChoice",
    "ReasonDialog",
    "RegenerateChoice",
    "RegenerateDialog",
    "RejectChoice",
    "RejectDialog",
    "TakeoverDialog",
]


@dataclass(frozen=True)
class ReasonChoice:
    """Why the operator overrode the AI (take over uses it as is)."""

    reason_code: ReasonCode
    note: str | None


@dataclass(frozen=True)
class EditChoice(ReasonChoice):
    """Send `text` instead of the AI's draft."""

    text: str


@dataclass(frozen=True)
class RejectChoice(ReasonChoice):
    """Discard the draft; escalate, or ask for a new draft when `regenerate`."""

    regenerate: bool


@dataclass(frozen=True)
class RegenerateChoice(ReasonChoice):
    """Discard the draft and ask the AI again, following `instruction`."""

    instruction: str


R = TypeVar("R", bound=ReasonChoice)


class ReasonDialog(ModalScreen[R | None], Generic[R]):
    """A dialog that needs a reason (and a note for `other`) before it confirms.

    Subclasses add their own fields in `compose_fields`, check them in
    `problem`, and build their result in `result`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without deciding", id="dialog.cancel"),
        # Enter on the reason list with nothing picked would do nothing at all
        # (the list selects only a highlighted option): say what is missing.
        Binding("enter", "confirm", show=False, priority=True, id="dialog.enter_unpicked"),
    ]
    TITLE_TEXT = "Why?"
    CONFIRM_LABEL = "Confirm"
    REASONS: ClassVar[dict[ReasonCode, str]] = REASON_LABELS
    """The reasons offered, each with its label: what was wrong with the draft by default."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.TITLE_TEXT, classes="dialog-title")
            yield from self.compose_fields()
            yield Static("Reason (↑↓ to pick)", classes="dialog-label")
            yield OptionList(
                *(Option(label, id=code.value) for code, label in self.REASONS.items()),
                id="reasons",
            )
            yield Input(placeholder="Note (optional; required for Other)", id="note")
            yield Static(id="dialog-error", classes="dialog-error").set_styles("display: none;")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.CONFIRM_LABEL, variant="primary", id="confirm")
                yield Button("Cancel", id="cancel")
            yield Static("tab next field · enter confirm · esc cancel", classes="dialog-hint")

    def compose_fields(self) -> ComposeResult:
        """Fields shown above the reason picker (none by default)."""
        yield from ()

    def on_mount(self) -> None:
        # OptionList highlights its first option on creation; a reason must
        # be a choice the operator made, not a default they overlooked.
        self.query_one("#reasons", OptionList).highlighted = None
        self.focus_first()

    def focus_first(self) -> None:
        """Put the cursor where the user starts (the reason picker by default)."""
        self.query_one("#reasons", OptionList).focus()

    @property
    def reason_code(self) -> ReasonCode | None:
        """The highlighted reason, or None until the user picks one."""
        reasons = self.query_one("#reasons", OptionList)
        if reasons.highlighted is None:
            return None
        option_id = reasons.get_option_at_index(reasons.highlighted).id
        return ReasonCode(option_id) if option_id else None

    @property
    def note(self) -> str | None:
        """The note, or None when blank."""
        return self.query_one("#note", Input).value.strip() or None

    def problem(self) -> tuple[str, str] | None:
        """What stops confirming, as (message, id of the field to fix); None when fine."""
        if self.reason_code is None:
            return "Pick a reason first.", "reasons"
        if self.reason_code is ReasonCode.OTHER and self.note is None:
            return "Reason Other needs a note saying why.", "note"
        return None

    def result(self, reason_code: ReasonCode, note: str | None) -> R:
        """The dialog's answer, built once everything checks out."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter is ours only on the reason list with no reason picked yet."""
        if action == "confirm":
            focused = self.focused
            return isinstance(focused, OptionList) and focused.highlighted is None
        return True

    def action_confirm(self) -> None:
        """Dismiss with the result, or say what is missing and go there."""
        problem = self.problem()
        if problem is not None:
            message, field_id = problem
            say(self, message)
            self.query_one(f"#{field_id}").focus()
            return
        reason_code = self.reason_code
        assert reason_code is not None  # problem() said so
        self.dismiss(self.result(reason_code, self.note))

    def action_cancel(self) -> None:
        """Close without deciding."""
        self.dismiss(None)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        say(self, "")
        placeholder = (
            "Note (required for Other)"
            if self.reason_code is ReasonCode.OTHER
            else "Note (optional)"
        )
        self.query_one("#note", Input).placeholder = placeholder

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm":
            self.action_confirm()
        else:
            self.action_cancel()


class EditConfirmDialog(ReasonDialog[EditChoice]):
    """Show what the edit changes in the AI's text, and ask why."""

    TITLE_TEXT = "Send your edit instead of the AI's draft?"
    CONFIRM_LABEL = "Send edit"

    def __init__(self, ai_text: str, text: str) -> None:
        super().__init__()
        self.ai_text = ai_text
        self.text = text

    def compose_fields(self) -> ComposeResult:
        yield Static("Changes (struck: the AI's words; marked: yours)", classes="dialog-label")
        with VerticalScroll(id="diff-scroll"):
            yield Static(self._diff(), id="diff")

    def _diff(self) -> Text:
        # Theme colours, so the diff follows the app's theme like the rest.
        return themed_diff(self.app.get_css_variables(), self.ai_text, self.text)

    def result(self, reason_code: ReasonCode, note: str | None) -> EditChoice:
        return EditChoice(reason_code=reason_code, note=note, text=self.text)


class RejectDialog(ReasonDialog[RejectChoice]):
    """Discard the draft: the conversation escalates, or the AI tries again."""

    TITLE_TEXT = "Reject the AI's draft?"
    CONFIRM_LABEL = "Reject"

    def __init__(self, regenerate: bool = False) -> None:
        super().__init__()
        self._regenerate = regenerate

    def compose_fields(self) -> ComposeResult:
        yield Checkbox(
            "Ask the AI for a new draft instead of escalating",
            self._regenerate,
            id="regenerate",
        )

    def result(self, reason_code: ReasonCode, note: str | None) -> RejectChoice:
        regenerate = self.query_one("#regenerate", Checkbox).value
        return RejectChoice(reason_code=reason_code, note=note, regenerate=regenerate)


class RegenerateDialog(ReasonDialog[RegenerateChoice]):
    """Discard the draft and tell the AI what to do differently."""

    TITLE_TEXT = "Ask the AI for a new draft"
    CONFIRM_LABEL = "Regenerate"

    def compose_fields(self) -> ComposeResult:
        yield Static("Instruction for the AI", classes="dialog-label")
        yield Input(placeholder="e.g. mention the 30-day return window", id="instruction")

    def focus_first(self) -> None:
        self.query_one("#instruction", Input).focus()

    @property
    def instruction(self) -> str:
        """What the AI should do differently, stripped."""
        return self.query_one("#instruction", Input).value.strip()

    def problem(self) -> tuple[str, str] | None:
        if not self.instruction:
            return "Tell the AI what to do differently.", "instruction"
        return super().problem()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the instruction moves on to the reason, unless all is set.
        event.stop()
        if event.input.id == "instruction" and self.reason_code is None:
            self.query_one("#reasons", OptionList).focus()
            return
        self.action_confirm()

    def result(self, reason_code: ReasonCode, note: str | None) -> RegenerateChoice:
        return RegenerateChoice(reason_code=reason_code, note=note, instruction=self.instruction)


class TakeoverDialog(ReasonDialog[ReasonChoice]):
    """Hold the conversation: the AI goes silent and only you write."""

    TITLE_TEXT = "Take over this conversation? The AI goes silent until you hand it back."
    CONFIRM_LABEL = "Take over"
    REASONS = TAKEOVER_REASON_LABELS

    def result(self, reason_code: ReasonCode, note: str | None) -> ReasonChoice:
        return ReasonChoice(reason_code=reason_code, note=note)
