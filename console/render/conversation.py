"""A conversation in words: its header line, the hold banner, what someone else did."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from backend_client import ConversationDetail, DraftStatus, Operator
from console.render.labels import (
    DRAFTING_GLYPH,
    DRAFTING_LABEL,
    STATUS_GLYPHS,
    STATUS_LABELS,
    spoken,
)
from console.render.sanitize import safe_text

__all__ = [
    "close_question",
    "conversation_header",
    "decided_elsewhere",
    "hold_banner",
    "operator_label",
]

NameOf = Callable[[str | None], str]
"""Turns an operator id into something to show ("you", a name, or the id)."""

_DECIDED_BY_OTHER: dict[str, str] = {
    DraftStatus.APPROVED: "{who} approved this draft",
    DraftStatus.EDITED: "{who} edited and sent this draft",
    DraftStatus.REJECTED: "{who} rejected this draft",
    DraftStatus.SUPERSEDED: "The customer wrote again: this draft was replaced",
    DraftStatus.AUTO_SENT: "This draft went out on its own: nobody stopped it in time",
}


def conversation_header(detail: ConversationDetail, name_of: NameOf) -> Text:
    """Status glyph, customer, who holds it or why it escalated (and, when the AI gave
    up, what went wrong), whether the AI is drafting, what its channel did not take
    ("not delivered: …").

    No version number: that is the optimistic lock's counter, which read like a draft
    number beside the draft panel's "AI draft 3 of this conversation"."""
    glyph = DRAFTING_GLYPH if detail.drafting else STATUS_GLYPHS[detail.status]
    header = Text.assemble(
        (f"{glyph} ", "bold"),
        safe_text(detail.customer.name, "bold", single_line=True, max_length=40),
    )
    if detail.customer.email:  # two customers of one name are told apart
        header.append(" · ", style="dim")
        header.append_text(safe_text(detail.customer.email, "dim", single_line=True, max_length=60))
    if detail.holder is not None:
        header.append("  held by ")
        header.append_text(safe_text(name_of(detail.holder), single_line=True))
    elif detail.escalation_reason is not None:
        header.append(f"  escalated: {spoken(detail.escalation_reason)}")
        if detail.escalation_detail:
            # The model's error comes from outside: sanitised like any untrusted text.
            header.append(" — ")
            header.append_text(
                safe_text(detail.escalation_detail, single_line=True, max_length=160)
            )
    elif detail.drafting:
        header.append(f"  {DRAFTING_LABEL}")
    else:
        header.append(f"  {STATUS_LABELS[detail.status]}")
    if detail.delivery_problem:
        # The channel's answer comes from outside: sanitised like any untrusted text.
        header.append("  not delivered: ", style="bold red")
        header.append_text(safe_text(detail.delivery_problem, single_line=True, max_length=120))
    return header


def hold_banner(detail: ConversationDetail, held_by_me: bool, name_of: NameOf) -> Text:
    """Who holds the conversation and what that means here (empty when nobody does)."""
    if held_by_me:
        return Text("You hold this chat; the AI is silent here.  esc leaves the box · h hands back")
    if detail.holder is not None:
        return Text.assemble(
            safe_text(name_of(detail.holder), single_line=True),
            " holds this conversation — only they can write here.",
        )
    return Text()


def decided_elsewhere(status: object, who: str) -> str | None:
    """What to tell the person when someone else decided the draft they look at."""
    template = _DECIDED_BY_OTHER.get(str(status))
    if template is None:
        return None
    return template.format(who=who[:1].upper() + who[1:])


def close_question(detail: ConversationDetail) -> str:
    """Asked before closing: whose conversation, and that it cannot be written in after."""
    name = safe_text(detail.customer.name, single_line=True, max_length=40).plain
    return f"Close the conversation with {name}? Nobody can write in it afterwards."


def operator_label(
    operator_id: str | None, me: Operator | None, lookup: Callable[[str], str | None]
) -> str:
    """What to call an operator: "you", a name we learned (`lookup`), or their id."""
    if operator_id is None:
        return "nobody"
    if me is not None and operator_id == me.id:
        return "you"
    return lookup(operator_id) or f"operator {operator_id}"
