"""How one queue row is drawn: its columns, fitted and styled, as a `Strip`.

The list (`QueueList`) decides which rows are on screen and caches whole
lines; the painter draws a line and caches the part of it that changes only
with the row (everything after the waiting time, which ticks every second).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip
from textual.widget import Widget

from backend_client import ConversationStatus
from console.live.queue_rows import (
    ASSIGNEE,
    DRAFTING,
    FLAGS,
    HOLDER,
    ID,
    REASON,
    STATUS,
    TAG_SEPARATOR,
    TEXT,
    VERSION,
    Row,
)
from console.render.labels import (
    DRAFTING_GLYPH,
    DRAFTING_LABEL,
    FLAG_TAGS,
    STATUS_GLYPHS,
    fit,
    format_waiting,
    spoken,
)
from console.render.sanitize import safe_text

ESCALATED = ConversationStatus.ESCALATED.value
"""A row's status string when a person is needed."""

__all__ = [
    "COMPONENT_CLASSES",
    "GLYPHS",
    "QUEUE_LIST_CSS",
    "Frame",
    "QueuePainter",
    "RowStyles",
    "bar_shown",
]

GLYPHS: dict[str, tuple[str, str]] = {
    status: (glyph, f"queue-list--{status.replace('_', '-')}")
    for status, glyph in STATUS_GLYPHS.items()
}
GLYPHS["drafting"] = (DRAFTING_GLYPH, "queue-list--drafting")
"""The AI writing a draft has a glyph of its own, whatever the status says."""

# Column widths in cells; the preview takes whatever is left.
_GLYPH_WIDTH = 2
_WAITING_WIDTH = 6
_GAP = 1


class Columns(NamedTuple):
    """The widths of the customer, flags and holder columns for one row width."""

    name: int
    flags: int
    holder: int

    @property
    def fixed(self) -> int:
        """Every cell before the preview."""
        return _GLYPH_WIDTH + _WAITING_WIDTH + self.name + self.flags + self.holder + 4 * _GAP


def fit_customer(label: str, width: int) -> str:
    """`name · tag` in `width` cells: the tag (email or `#3f2a`) keeps at least 9 of them
    (all of a short id), so two customers of one name differ on screen even when the name
    is long."""
    name, _, tag = label.partition(TAG_SEPARATOR)
    if not tag:
        return fit(name, width)
    full = f"{name} · {tag}"
    if cell_len(full) <= width:
        return fit(full, width)
    name_width = max(1, min(cell_len(name), width - 3 - min(cell_len(tag), 9)))
    tag_width = max(1, width - 3 - name_width)
    return fit(f"{fit(name, name_width).rstrip()} · {fit(tag, tag_width).rstrip()}", width)


def columns(width: int) -> Columns:
    """Column widths for a row `width` cells wide: 80 columns first (the preview keeps a
    third of the line), wider terminals give the customer (name and email) more room."""
    if width < 100:
        return Columns(name=22, flags=9, holder=8)
    if width < 140:
        return Columns(name=28, flags=16, holder=12)
    return Columns(name=36, flags=16, holder=12)


COMPONENT_CLASSES = {
    "queue-list--cursor",
    "queue-list--bot",
    "queue-list--awaiting-review",
    "queue-list--escalated",
    "queue-list--human",
    "queue-list--closed",
    "queue-list--drafting",
    "queue-list--waiting",
    "queue-list--name",
    "queue-list--flags",
    "queue-list--holder",
    "queue-list--preview",
    "queue-list--bar",
    "queue-list--bar-thumb",
}
"""Parts of a row, styled in CSS with theme variables."""

QUEUE_LIST_CSS = """
QueueList {
    background: $surface;
    color: $foreground;
    /* No Textual scrollbar: it re-renders on every scroll (~3 ms at 50
       lines, 40% of a frame), so the list draws its own position bar;
       the wheel still scrolls (`allow_vertical_scroll`). */
    overflow: hidden hidden;
    & > .queue-list--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    &:focus > .queue-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    & > .queue-list--bot { color: $text-muted; }
    & > .queue-list--awaiting-review { color: $warning; }
    & > .queue-list--escalated { color: $error; text-style: bold; }
    & > .queue-list--human { color: $accent; }
    & > .queue-list--closed { color: $success; }
    & > .queue-list--drafting { color: $secondary; text-style: bold; }
    & > .queue-list--waiting { text-style: bold; }
    & > .queue-list--name { text-style: bold; }
    & > .queue-list--flags { color: $warning; }
    & > .queue-list--holder { color: $text-accent; }
    & > .queue-list--preview { color: $text-muted; }
    & > .queue-list--bar { color: $scrollbar-background; }
    & > .queue-list--bar-thumb { color: $scrollbar; }
}
"""
"""`QueueList`'s default CSS: the theme's colours for each part."""


class RowStyles(NamedTuple):
    """The style of each part of a row (the base combined with the part's own)."""

    base: Style
    glyphs: dict[str, Style]
    waiting: Style
    name: Style
    flags: Style
    holder: Style
    preview: Style
    bar: Style
    thumb: Style


class Frame(NamedTuple):
    """What every line of one frame shares, worked out once per frame."""

    width: int
    top: int
    rows: Sequence[Row]
    bar: bool
    """Whether the last column is the position bar."""
    thumb: range
    """The screen lines of the bar's thumb."""
    now: float
    focused: bool

    @classmethod
    def of(
        cls, width: int, height: int, top: int, rows: Sequence[Row], now: float, focused: bool
    ) -> Frame:
        """The frame of a `width` × `height` window whose first line shows row `top`."""
        thumb = range(0)
        bar = bar_shown(len(rows), height) and width > 1
        if bar:
            size = max(1, round(height * height / len(rows)))
            start = round(top / max(1, len(rows) - height) * (height - size))
            thumb = range(start, start + size)
        return cls(width, top, rows, bar, thumb, now, focused)


def bar_shown(length: int, height: int) -> bool:
    """Whether the rows overflow the window, so the position bar is drawn."""
    return 0 < height < length


class QueuePainter:
    """Draws queue rows; `names` gives the holder column its operator names."""

    def __init__(self) -> None:
        """A painter with no names yet and nothing drawn."""
        self.names: Mapping[str, str] = {}
        """Operator id → name, sanitised (ids are shown until a name is known)."""
        self.over_sla: Callable[[Row, float], bool] = lambda _row, _seconds: False
        """Whether a row has waited (seconds) past its promise: its clock is marked."""
        # Rows without their first two columns (glyph, waiting time).
        self._body_cache: LRUCache[tuple[object, ...], list[Segment]] = LRUCache(1024)
        self._style_cache: dict[tuple[bool, bool], RowStyles] = {}

    def clear(self) -> None:
        """Forget drawn rows and styles (the styles or the names changed)."""
        self._body_cache.clear()
        self._style_cache.clear()

    def styles(self, widget: Widget, selected: bool) -> RowStyles:
        """The styles of a row's parts, computed once until the styles change.

        `rich_style` walks the widget's ancestors on every call; at 50 rows
        a frame that was a fifth of the cost of drawing them.
        """
        key = (selected, selected and widget.has_focus)
        styles = self._style_cache.get(key)
        if styles is None:
            base = widget.rich_style
            if selected:
                base += widget.get_component_rich_style("queue-list--cursor", partial=True)

            def part(name: str) -> Style:
                return base + widget.get_component_rich_style(name, partial=True)

            styles = RowStyles(
                base=base,
                glyphs={status: part(name) for status, (_, name) in GLYPHS.items()},
                waiting=part("queue-list--waiting"),
                name=part("queue-list--name"),
                flags=part("queue-list--flags"),
                holder=part("queue-list--holder"),
                preview=part("queue-list--preview"),
                # The position bar is not part of the row: no cursor colours.
                bar=widget.rich_style
                + widget.get_component_rich_style("queue-list--bar", partial=True),
                thumb=widget.rich_style
                + widget.get_component_rich_style("queue-list--bar-thumb", partial=True),
            )
            self._style_cache[key] = styles
        return styles

    def waiting_label(self, row: Row, seconds: float) -> str:
        """`4m05s`; `!16m02` once the row waited past its promise (cut to the column)."""
        label = format_waiting(seconds)
        return ("!" + label)[:_WAITING_WIDTH] if self.over_sla(row, seconds) else label

    def draw(
        self,
        row: Row,
        width: int,
        styles: RowStyles,
        selected: bool,
        focused: bool,
        thumb: bool | None,
        waiting: str,
    ) -> Strip:
        """Row `row`, `width` cells, the position bar last when `thumb` is not None."""
        if thumb is not None:
            width -= 1
        # The waiting label changes every second; the rest of the row
        # only with the row, so a tick re-draws one segment, not the row.
        body_key = (row[ID], row[VERSION], width, selected, focused)
        body = self._body_cache.get(body_key)
        if body is None:
            body = self._render_body(row, width, styles)
            self._body_cache[body_key] = body
        status = "drafting" if row[DRAFTING] else row[STATUS]
        segments = [
            Segment(fit(GLYPHS[status][0], _GLYPH_WIDTH), styles.glyphs[status]),
            Segment(
                fit(waiting, _WAITING_WIDTH, right=True),
                styles.glyphs[ESCALATED] if waiting.startswith("!") else styles.waiting,
            ),
            *body,
        ]
        if width < columns(width).fixed:
            segments = list(Strip(segments).crop(0, width))
        if thumb is not None:
            segments.append(self._bar_segment(thumb, styles))
            width += 1
        return Strip(segments, width)

    @staticmethod
    def _bar_segment(thumb: bool, styles: RowStyles) -> Segment:
        # The bar's styles carry no cursor colours: the bar is not part of the row.
        return Segment("┃", styles.thumb) if thumb else Segment("│", styles.bar)

    def _render_body(self, row: Row, width: int, styles: RowStyles) -> list[Segment]:
        """Every column after the waiting time, exactly `width - 8` cells."""
        gap = Segment(" " * _GAP, styles.base)
        tags = " ".join(FLAG_TAGS.get(flag, flag) for flag in row[FLAGS])
        if row[DRAFTING]:
            tags = f"{DRAFTING_LABEL} {tags}".rstrip()
        holder_id = row[HOLDER]
        holder = ""
        if holder_id is not None:
            holder = self.names.get(holder_id) or safe_text(holder_id, single_line=True).plain
        elif (assignee := row[ASSIGNEE]) is not None:  # assigned, nobody holds it yet
            holder = "→ " + (
                self.names.get(assignee) or safe_text(assignee, single_line=True).plain
            )
        name, _, preview = row[TEXT].partition("\0")
        reason = row[REASON]
        if reason is not None and row[STATUS] == ESCALATED:
            # Why a person is needed comes first: the row says it without opening.
            preview = f"⚑ {spoken(reason)} · {preview}"
        cols = columns(width)
        preview_width = max(0, width - cols.fixed)
        # The name and the preview were sanitised when the row was built;
        # the holder's name comes from the operator directory.
        segments = [
            gap,
            Segment(fit_customer(name, cols.name), styles.name),
            gap,
            Segment(fit(tags, cols.flags), styles.flags),
            gap,
            Segment(fit(holder, cols.holder), styles.holder),
            gap,
            Segment(fit(preview, preview_width), styles.preview),
        ]
        return segments
