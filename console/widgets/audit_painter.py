"""How one override-log row is drawn: its cells, sanitised, fitted to the columns."""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from backend_client import Action, AuditEntry, Operator, ReasonCode
from console.render.labels import fit, spoken
from console.render.sanitize import safe_text

__all__ = ["HEADINGS", "AuditCells", "audit_cells", "audit_line"]

_WHEN_FORMAT = "%Y-%m-%d %H:%M:%S"
_WHEN_WIDTH = 19
_WHO_WIDTH = 20
_ACTION_WIDTH = max(len("action"), *(len(action.value) for action in Action))
_REASON_WIDTH = max(len("reason"), *(len(reason.value) for reason in ReasonCode))
_GAP = "  "
HEADINGS = ("#", "when", "who", "action", "reason", "note")


class AuditCells(NamedTuple):
    """One row's text, sanitised, before it is fitted to the columns."""

    seq: str
    when: str
    who: str
    action: str
    reason: str
    note: str


def audit_cells(entry: AuditEntry, me: Operator | None) -> AuditCells:
    """What a row shows; the person's own entries say "(you)"."""
    if me is not None and me.id == entry.actor:
        who = f"{me.name} (you)"
    else:
        who = entry.actor_name or entry.actor
    return AuditCells(
        seq=str(entry.seq),
        when=entry.at.astimezone().strftime(_WHEN_FORMAT),
        who=safe_text(who, single_line=True).plain,
        action=entry.action.value,
        reason=spoken(entry.reason_code) if entry.reason_code else "",
        note=safe_text(entry.note or "", single_line=True).plain,
    )


NARROW_TABLE = 90
"""Below this many cells the table drops the year and seconds and narrows "who", so at
80 columns the action and the reason are on screen, not cut off after "a"."""


def audit_line(
    cells: AuditCells, width: int, seq_width: int, styles: tuple[Style, Style, Style]
) -> Strip:
    """One line of fitted columns, exactly `width` cells."""
    base, seq_style, note_style = styles
    narrow = width < NARROW_TABLE
    when = cells.when[5:16] if narrow and len(cells.when) == _WHEN_WIDTH else cells.when
    when_width, who_width, gap = (11, 12, " ") if narrow else (_WHEN_WIDTH, _WHO_WIDTH, _GAP)
    fixed = 1 + seq_width + when_width + who_width + _ACTION_WIDTH + _REASON_WIDTH
    fixed += 5 * len(gap)
    middle = gap.join(
        (
            "",
            fit(when, when_width),
            fit(cells.who, who_width),
            fit(cells.action, _ACTION_WIDTH),
            fit(cells.reason, _REASON_WIDTH),
            "",
        )
    )
    segments = [
        Segment(" " + fit(cells.seq, seq_width, right=True), seq_style),
        Segment(middle, base),
        Segment(fit(cells.note, max(0, width - fixed)), note_style),
    ]
    strip = Strip(segments, max(width, fixed))
    return strip.crop(0, width) if width < fixed else strip
