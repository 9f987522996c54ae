"""The words and glyphs the console shows for the protocol's values, in one place.

A status, a flag or a reason code is shown the same way on every screen; the
screens branch on the enums and ask here how to say them.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from backend_client import ConversationStatus, Flag, ReasonCode

__all__ = [
    "DRAFTING_GLYPH",
    "DRAFTING_LABEL",
    "FLAG_LABELS",
    "FLAG_TAGS",
    "REASON_LABELS",
    "STATUS_GLYPHS",
    "STATUS_LABELS",
    "TAKEOVER_REASON_LABELS",
    "fit",
    "format_waiting",
    "spoken",
]

STATUS_GLYPHS: dict[str, str] = {
    ConversationStatus.BOT: "·",
    ConversationStatus.AWAITING_REVIEW: "●",
    ConversationStatus.ESCALATED: "▲",
    ConversationStatus.HUMAN: "◆",
    ConversationStatus.CLOSED: "✓",
}
"""The one glyph per status, wherever the console shows a conversation's status.

Keyed by the status's value, so a queue row's plain string finds it as well as the enum.
"""

DRAFTING_GLYPH = "✎"
"""The glyph of a conversation whose draft the AI is writing right now."""
DRAFTING_LABEL = "AI drafting…"
"""The same, in words."""

STATUS_LABELS: dict[str, str] = {
    ConversationStatus.BOT: "AI handling it",
    ConversationStatus.AWAITING_REVIEW: "draft awaiting review",
    ConversationStatus.ESCALATED: "escalated",
    ConversationStatus.HUMAN: "held by a person",
    ConversationStatus.CLOSED: "closed",
}
"""A status in words, for the conversation's header."""

FLAG_TAGS: dict[str, str] = {
    Flag.REFUND: "refund",
    Flag.PII: "pii",
    Flag.LEGAL: "legal",
    Flag.LOW_CONFIDENCE: "lowconf",
    Flag.PROMPT_INJECTION: "inject",
    Flag.UNGROUNDED: "ungrounded",
}
"""A flag as a short tag, for the queue's narrow flags column."""

FLAG_LABELS: dict[str, str] = {
    Flag.REFUND: "refund",
    Flag.PII: "personal data",
    Flag.LEGAL: "legal",
    Flag.LOW_CONFIDENCE: "low confidence",
    Flag.PROMPT_INJECTION: "prompt injection",
    Flag.UNGROUNDED: "ungrounded: cites no passage it was given",
}
"""A flag in words, for the draft panel."""

REASON_LABELS: dict[ReasonCode, str] = {
    ReasonCode.INCORRECT: "Incorrect — wrong facts or wrong answer",
    ReasonCode.INCOMPLETE: "Incomplete — something is missing",
    ReasonCode.TONE: "Tone — right content, wrong manner",
    ReasonCode.POLICY: "Policy — goes against company policy",
    ReasonCode.PRIVACY: "Privacy — exposes personal data",
    ReasonCode.BIAS: "Bias — unfair or discriminatory",
    ReasonCode.OUTDATED: "Outdated — no longer true",
    ReasonCode.CUSTOMER_REQUEST: "Customer request — they asked for it",
    ReasonCode.OTHER: "Other — explain in the note",
}
"""A human label for every reason about a draft, in the order the picker lists them."""

TAKEOVER_REASON_LABELS: dict[ReasonCode, str] = {
    ReasonCode.CUSTOMER_REQUEST: "Customer asked — they want a person",
    ReasonCode.SENSITIVE: "Sensitive — this needs a person's care",
    ReasonCode.AI_STUCK: "AI stuck — going in circles or cannot answer",
    ReasonCode.VIP: "VIP — a customer we look after in person",
    ReasonCode.OTHER: "Other — explain in the note",
}
"""Why a person takes a conversation over, in the order the takeover picker lists them."""


def spoken(value: str) -> str:
    """A protocol value as words: `awaiting_review` → `awaiting review`."""
    return str(value).replace("_", " ")


def format_waiting(seconds: float | None) -> str:
    """A short waiting time: `12s`, `4m05s`, `1h02m`, `3d04h`; empty when nobody waits."""
    if seconds is None:
        return ""
    total = max(0, int(seconds))
    if total < 60:
        return f"{total}s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def fit(text: str, width: int, *, right: bool = False) -> str:
    """`text` cut to `width` cells with "…", padded with spaces to exactly `width`."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    padding = " " * (width - length)
    return padding + text if right else text + padding
