"""Replay in words: the playback speeds, and what the step panel says at each step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum

from rich.text import Text

from backend_client import AuditEntry, ConversationSummary, Draft, Note, Timeline
from console.render.diff import describe_texts
from console.render.sanitize import safe_text

__all__ = ["NameOf", "PlaybackSpeed", "result_customer", "step_panel"]

NameOf = Callable[[str | None], str]
"""Turns an operator id into something to show."""


class PlaybackSpeed(Enum):
    """How fast play advances: seconds per step (None: straight to the end)."""

    NORMAL = ("1×", 1.0)
    FAST = ("4×", 0.25)
    INSTANT = ("instant", None)

    @property
    def label(self) -> str:
        """What the player shows."""
        label: str = self.value[0]
        return label

    @property
    def seconds(self) -> float | None:
        """Seconds per step, or None for instant."""
        seconds: float | None = self.value[1]
        return seconds

    def next(self) -> PlaybackSpeed:
        """The speed after this one (wrapping around)."""
        members = list(PlaybackSpeed)
        return members[(members.index(self) + 1) % len(members)]


def step_panel(
    timeline: Timeline, position: int, name_of: NameOf, variables: Mapping[str, str]
) -> Text:
    """Step `position`: a person's decision on no draft (take over, hand back, close) says who
    did what and why; otherwise the latest draft so far, its decision, and what went out."""
    current = timeline.items[position - 1] if 0 < position <= len(timeline.items) else None
    if current is not None and current.note is not None:
        return note_lines(current.note, name_of)
    if current is not None and current.decision is not None and not current.decision.draft_id:
        text = Text("At this step\n", style="bold")
        text.append_text(_decision_lines(current.decision, name_of))
        return text
    draft: Draft | None = None
    for item in reversed(timeline.items[:position]):
        if item.draft is not None:
            draft = item.draft
            break
        if item.decision is not None and item.decision.draft_id is not None:
            draft = next(
                (
                    other.draft
                    for other in timeline.items
                    if other.draft is not None and other.draft.id == item.decision.draft_id
                ),
                None,
            )
            if draft is not None:
                break
    if draft is None:
        return Text("No AI draft yet at this step.", style="italic")
    decision = next(
        (
            item.decision
            for item in timeline.items
            if item.decision is not None and item.decision.draft_id == draft.id
        ),
        None,
    )
    return _draft_text(draft, decision, name_of, variables)


def note_lines(note: Note, name_of: NameOf) -> Text:
    """An internal note's step: who wrote it, when, and what (the customer never saw it)."""
    when = note.created_at.astimezone().strftime("%H:%M:%S")
    text = Text("At this step\n", style="bold")
    text.append_text(
        Text.assemble("internal note by ", safe_text(name_of(note.author), "bold"), f" at {when}")
    )
    text.append(" (not shown to the customer)\n", style="dim")
    text.append_text(safe_text(note.text))
    return text


def _draft_text(
    draft: Draft, decision: AuditEntry | None, name_of: NameOf, variables: Mapping[str, str]
) -> Text:
    text = Text.assemble(("The AI proposed", "bold"))
    if draft.ordinal:
        text.append(f" draft {draft.ordinal} of this conversation", style="bold")
    text.append(f"  confidence {draft.confidence:.0%}")
    if draft.flags:
        text.append("  flags: " + ", ".join(flag.value.replace("_", " ") for flag in draft.flags))
    text.append("\n")
    text.append_text(safe_text(draft.text))
    text.append("\nwhy: ", style="dim")
    text.append_text(safe_text(draft.rationale, "dim"))
    text.append("\n\n")
    text.append("The decision\n", style="bold")
    if decision is None:
        text.append(f"none recorded (draft {draft.status.value.replace('_', ' ')})\n")
    else:
        text.append_text(_decision_lines(decision, name_of))
    text.append("\n")
    text.append("What went out\n", style="bold")
    final = draft.final_text
    if final is None and decision is not None:
        final = decision.final_text
    if final is None:
        text.append("nothing — rejected\n" if draft.status.value == "rejected" else "nothing\n")
        return text
    text.append_text(safe_text(final))
    text.append("\n\nChanges (struck: the AI's words; marked: the person's)\n", style="dim")
    text.append_text(describe_texts(variables, draft.text, final))
    return text


def _decision_lines(decision: AuditEntry, name_of: NameOf) -> Text:
    """Who did what (and as what), when, and why: the reason and the note."""
    action = decision.action.value.replace("_", " ")
    text = Text(f"{action} by ")
    text.append_text(safe_text(name_of(decision.actor), single_line=True))
    text.append(f" ({decision.role.value}) at {decision.at:%H:%M:%S}\n")
    reason = decision.reason_code.value.replace("_", " ") if decision.reason_code else "—"
    text.append(f"reason: {reason}\n")
    if decision.note:
        text.append("note: ")
        text.append_text(safe_text(decision.note))
        text.append("\n")
    return text


def result_customer(item: ConversationSummary, masked: bool) -> str:
    """A search result's customer: the name, and the email that tells two of a name apart
    (left out of a masked view, where it would only say "[email]")."""
    email = None if masked else item.customer.email
    return f"{item.customer.name} · {email}" if email else item.customer.name
