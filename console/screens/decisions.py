"""The decisions a person makes in a conversation, and the messages that report them.

The screen branches on `DecisionKind`, never on the words it shows; the words
for each kind live in one table (`WORDING`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from enum import Enum, auto

from textual.binding import Binding, BindingType
from textual.message import Message

from backend_client import (
    AsyncBackendClient,
    BackendError,
    ConversationDetail,
    ConversationStatus,
    Draft,
)
from console.dialogs import EditChoice, ReasonChoice, RegenerateChoice, RejectChoice

__all__ = [
    "CONVERSATION_BINDINGS",
    "WORDING",
    "Attempt",
    "Call",
    "DecisionKind",
    "DecisionMade",
    "DecisionRefused",
    "DetailLoaded",
    "Wording",
    "key_applies",
]


class DecisionKind(Enum):
    """What a person did: one member per decision call of the API."""

    APPROVE = auto()
    EDIT = auto()
    REJECT = auto()
    REGENERATE = auto()
    TAKEOVER = auto()
    HANDBACK = auto()
    CLOSE = auto()
    SEND_MESSAGE = auto()

    @property
    def decides_draft(self) -> bool:
        """True for the kinds that decide the pending draft."""
        return self in _DRAFT_KINDS

    @property
    def keeps_text(self) -> bool:
        """True when the person typed text that a failed attempt must not lose."""
        return self in (DecisionKind.EDIT, DecisionKind.SEND_MESSAGE)


_DRAFT_KINDS = frozenset(
    {DecisionKind.APPROVE, DecisionKind.EDIT, DecisionKind.REJECT, DecisionKind.REGENERATE}
)


@dataclass(frozen=True)
class Wording:
    """How the console speaks of one kind of decision."""

    verb: str
    """What the user tried, for "Could not <verb>: …"."""
    doing: str
    """Shown while it runs."""
    done: str
    """Said when it worked."""
    retry_key: str
    """The key that retries it, for the connection-lost message."""


WORDING: dict[DecisionKind, Wording] = {
    DecisionKind.APPROVE: Wording(
        "approve",
        "Sending the approved draft…",
        "Approved: the customer has the AI's reply.",
        "a",
    ),
    DecisionKind.EDIT: Wording(
        "send your edit", "Sending your edit…", "Edited reply sent to the customer.", "e"
    ),
    DecisionKind.REJECT: Wording(
        "reject", "Rejecting the draft…", "Draft rejected: the conversation is escalated.", "r"
    ),
    DecisionKind.REGENERATE: Wording(
        "regenerate", "Asking the AI for a new draft…", "New draft ready.", "g"
    ),
    DecisionKind.TAKEOVER: Wording(
        "take over",
        "Taking over…",
        "You hold this conversation: write below, h hands it back.",
        "t",
    ),
    DecisionKind.HANDBACK: Wording(
        "hand back",
        "Handing back…",
        "Handed back: the AI handles this conversation again.",
        "h",
    ),
    DecisionKind.CLOSE: Wording("close", "Closing…", "Conversation closed.", "c"),
    DecisionKind.SEND_MESSAGE: Wording(
        "send your message", "Sending your message…", "Sent to the customer.", "enter"
    ),
}
"""The words for each kind of decision."""

Call = Callable[[str], Awaitable[ConversationDetail]]
"""A decision call, given the idempotency key to send it with."""

_REJECTED_AND_REDRAFTED = "Draft rejected: the AI wrote a new one."


# Actions that decide the pending draft, and those that act on the conversation.
_DRAFT_ACTIONS = frozenset({"approve", "edit", "reject", "regenerate"})
_BUSY_BLOCKED = _DRAFT_ACTIONS | {"takeover", "handback", "close_conversation"}

CONVERSATION_BINDINGS: list[BindingType] = [
    Binding("a", "approve", "Approve", tooltip="Send the AI's draft as written", id="conv.approve"),
    Binding(
        "e",
        "edit",
        "Edit",
        tooltip="Change the draft, then send it with a reason",
        id="conv.edit",
    ),
    Binding(
        "r",
        "reject",
        "Reject",
        tooltip="Discard the draft (escalates, or asks the AI again)",
        id="conv.reject",
    ),
    Binding(
        "g",
        "regenerate",
        "Regenerate",
        tooltip="Ask the AI for a new draft with an instruction",
        id="conv.regenerate",
    ),
    Binding(
        "t",
        "takeover",
        "Take over",
        tooltip="Hold the conversation; the AI goes silent",
        id="conv.takeover",
    ),
    Binding("h", "handback", "Hand back", tooltip="Give the conversation back", id="conv.handback"),
    Binding("c", "close_conversation", "Close", tooltip="Close the conversation", id="conv.close"),
    Binding(
        "n",
        "next_draft",
        "Next draft",
        tooltip="Open the draft that has waited longest",
        id="conv.next",
    ),
    Binding("escape", "back", "Queue", tooltip="Back to the queue", id="conv.back"),
]
"""The conversation screen's keys."""


def key_applies(
    action: str, detail: ConversationDetail | None, *, busy: bool, held_by_me: bool
) -> bool | None:
    """Whether a key of the conversation screen applies now (None: shown dimmed)."""
    if action in _BUSY_BLOCKED and busy:
        return None  # one decision at a time: repeated keys do nothing
    if detail is None:
        return True if action in ("back", "next_draft") else None
    if action in _DRAFT_ACTIONS:
        return True if detail.draft is not None else None
    closed = detail.status is ConversationStatus.CLOSED
    if action == "takeover":
        return None if closed or held_by_me else True
    if action == "handback":
        return True if held_by_me else None
    if action == "close_conversation":
        return None if closed else True
    return True


@dataclass(frozen=True)
class Attempt:
    """One decision as sent."""

    kind: DecisionKind
    request: tuple[Hashable, ...] = field(default=())
    """Everything sent; the same request retried reuses its idempotency key."""
    draft_id: str | None = None
    """The draft it decides, if any."""
    regenerates: bool = False
    """True when the AI drafts again afterwards: what to say depends on how that went."""

    @property
    def wording(self) -> Wording:
        """How to speak of it."""
        return WORDING[self.kind]

    @property
    def done(self) -> str:
        """Said when it worked (before knowing whether a new draft came back)."""
        if self.kind is DecisionKind.REJECT and self.regenerates:
            return _REJECTED_AND_REDRAFTED
        return self.wording.done


class DetailLoaded(Message):
    """The conversation was (re)loaded from the backend."""

    def __init__(self, detail: ConversationDetail) -> None:
        super().__init__()
        self.detail = detail


class DecisionMade(Message):
    """The backend accepted a decision; `detail` is the conversation after it."""

    def __init__(self, attempt: Attempt, detail: ConversationDetail) -> None:
        super().__init__()
        self.attempt = attempt
        self.detail = detail


class DecisionRefused(Message):
    """The backend refused a decision, or could not be reached."""

    def __init__(self, attempt: Attempt, error: BackendError) -> None:
        super().__init__()
        self.attempt = attempt
        self.error = error


# -- each decision as (what was tried, the call that sends it) -------------------


def approve(client: AsyncBackendClient, draft: Draft) -> tuple[Attempt, Call]:
    """Send `draft` as written."""
    attempt = Attempt(DecisionKind.APPROVE, ("approve", draft.id, draft.version), draft.id)
    return attempt, lambda key: client.approve(draft.id, draft.version, idempotency_key=key)


def edit(client: AsyncBackendClient, draft: Draft, choice: EditChoice) -> tuple[Attempt, Call]:
    """Send `choice.text` instead of `draft` (as it was when the editor opened)."""
    request = ("edit", draft.id, draft.version, choice.text, choice.reason_code, choice.note)
    return Attempt(DecisionKind.EDIT, request, draft.id), lambda key: client.edit(
        draft.id, draft.version, choice.text, choice.reason_code, choice.note, idempotency_key=key
    )


def reject(client: AsyncBackendClient, draft: Draft, choice: RejectChoice) -> tuple[Attempt, Call]:
    """Discard `draft`: escalate, or ask for a new one."""
    attempt = Attempt(
        DecisionKind.REJECT,
        ("reject", draft.id, draft.version, choice),
        draft.id,
        regenerates=choice.regenerate,
    )
    return attempt, lambda key: client.reject(
        draft.id,
        draft.version,
        choice.reason_code,
        choice.note,
        regenerate=choice.regenerate,
        idempotency_key=key,
    )


def regenerate(
    client: AsyncBackendClient, draft: Draft, choice: RegenerateChoice
) -> tuple[Attempt, Call]:
    """Discard `draft` and ask the AI again, following `choice.instruction`."""
    attempt = Attempt(
        DecisionKind.REGENERATE,
        ("regenerate", draft.id, draft.version, choice),
        draft.id,
        regenerates=True,
    )
    return attempt, lambda key: client.regenerate(
        draft.id,
        draft.version,
        choice.instruction,
        choice.reason_code,
        choice.note,
        idempotency_key=key,
    )


def takeover(
    client: AsyncBackendClient, detail: ConversationDetail, choice: ReasonChoice
) -> tuple[Attempt, Call]:
    """Hold the conversation."""
    attempt = Attempt(DecisionKind.TAKEOVER, ("takeover", detail.id, detail.version, choice))
    return attempt, lambda key: client.takeover(
        detail.id, detail.version, choice.reason_code, choice.note, idempotency_key=key
    )


def handback(client: AsyncBackendClient, detail: ConversationDetail) -> tuple[Attempt, Call]:
    """Give the conversation back to the AI."""
    attempt = Attempt(DecisionKind.HANDBACK, ("handback", detail.id, detail.version))
    return attempt, lambda key: client.handback(detail.id, detail.version, idempotency_key=key)


def close(client: AsyncBackendClient, detail: ConversationDetail) -> tuple[Attempt, Call]:
    """Close the conversation."""
    attempt = Attempt(DecisionKind.CLOSE, ("close", detail.id, detail.version))
    return attempt, lambda key: client.close(detail.id, detail.version, idempotency_key=key)


def send_message(
    client: AsyncBackendClient, conversation_id: str, text: str
) -> tuple[Attempt, Call]:
    """Write `text` to the customer (the holder only)."""
    attempt = Attempt(DecisionKind.SEND_MESSAGE, ("send", conversation_id, text))
    return attempt, lambda key: client.send_message(conversation_id, text, idempotency_key=key)


def approve_confirmed(client: AsyncBackendClient, draft: Draft, words: int) -> tuple[Attempt, Call]:
    """Send `draft` as written, confirming it was read although the approval came fast."""
    attempt = Attempt(DecisionKind.APPROVE, ("approve", draft.id, draft.version, words), draft.id)
    return attempt, lambda key: client.approve_confirmed(
        draft.id, draft.version, words, idempotency_key=key
    )
