"""The pending AI draft, with everything a reviewer needs to judge it.

Shows the draft's text, how confident the AI is (a bar and a percentage),
why it said it (rationale, knowledge-base sources), what deserves a closer
look (flags as tags), and, in review mode `flagged`, how long until it goes
out on its own. All of it is untrusted model output, rendered via `safe_text`.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Static

from backend_client import Draft, Flag
from console.host import Clock, utc_now
from console.render.labels import FLAG_LABELS
from console.render.sanitize import safe_text

__all__ = ["DraftPanel", "confidence_bar", "draft_title"]

# Flags that mean "this could hurt someone if wrong" get the error colour;
# the rest are worth a look and get the warning colour.
_SEVERE_FLAGS = frozenset({Flag.LEGAL, Flag.PII, Flag.PROMPT_INJECTION})
_BAR_WIDTH = 20


def sources_text(draft: Draft) -> Text:
    """The passages the draft rests on, numbered as the model cited them: title, link, text.

    All of it is the company's or the model's text: sanitised, never markup.
    """
    sources = Text("Sources: ")
    if not draft.sources:
        sources.append("none")
        return sources
    if not any(s.url or s.passage for s in draft.sources):
        # Titles only (the built-in bot's matches): one line, as they always were.
        sources.append_text(
            Text(", ").join(safe_text(s.title, single_line=True) for s in draft.sources)
        )
        return sources
    for n, source in enumerate(draft.sources, start=1):
        sources.append(f"\n[{n}] ")
        sources.append_text(safe_text(source.title, "bold", single_line=True, max_length=80))
        if source.url:
            sources.append("  ")
            sources.append_text(
                safe_text(source.url, "underline", single_line=True, max_length=120)
            )
        if source.passage:
            sources.append("\n    ")
            sources.append_text(safe_text(source.passage, single_line=True, max_length=300))
    return sources


def draft_title(draft: Draft) -> str:
    """ "AI draft 3 of this conversation", and the instruction it was regenerated with.

    The draft's `version` is its optimistic-lock counter, not a number anyone should read.
    """
    place = f" {draft.ordinal} of this conversation" if draft.ordinal else ""
    instruction = f" · regenerated: {draft.instruction}" if draft.instruction else ""
    return f"AI draft{place}{instruction}"


def confidence_bar(confidence: float, width: int = _BAR_WIDTH) -> str:
    """A bar of `width` cells filled in proportion to `confidence` (0..1), then the percent."""
    confidence = min(max(confidence, 0.0), 1.0)
    filled = round(confidence * width)
    return "█" * filled + "░" * (width - filled) + f" {confidence:.0%}"


class DraftPanel(Vertical):
    """The AI's pending reply and why it wrote it; `show_draft()` fills it."""

    DEFAULT_CSS = """
    DraftPanel {
        height: auto;
        max-height: 60%;
        border: round $accent;
        border-title-color: $accent;
        padding: 0 1;
    }
    DraftPanel.-empty { display: none; }
    DraftPanel.-busy { border: round $warning; border-title-color: $warning; }
    DraftPanel #draft-text { margin-bottom: 1; }
    DraftPanel #draft-rationale { color: $text-muted; }
    DraftPanel #draft-sources { color: $text-muted; }
    DraftPanel #draft-countdown { color: $warning; text-style: bold; }
    DraftPanel #draft-status { color: $warning; text-style: bold; }
    DraftPanel .draft-panel--flag-warning { background: $warning; color: $text; }
    DraftPanel .draft-panel--flag-error { background: $error; color: $text; }
    DraftPanel .draft-panel--bar { color: $accent; }
    """

    COMPONENT_CLASSES = {
        "draft-panel--flag-warning",
        "draft-panel--flag-error",
        "draft-panel--bar",
    }

    status: reactive[str] = reactive("", init=False)
    """What is happening to the draft right now ("Sending approval…"), or empty."""

    def __init__(
        self,
        *,
        clock: Clock = utc_now,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """An empty panel; `clock` says when, for the hold window's countdown."""
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock
        self.draft: Draft | None = None
        """The draft shown, or None when nothing is pending."""
        self._countdown: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="draft-status").set_styles("display: none;")
        yield Static(id="draft-text")
        yield Static(id="draft-confidence")
        yield Static(id="draft-flags")
        yield Static(id="draft-rationale")
        yield Static(id="draft-sources")
        yield Static(id="draft-countdown")

    def on_mount(self) -> None:
        self.add_class("-empty")
        self._countdown = self.set_interval(0.5, self._tick, pause=True)

    def show_draft(self, draft: Draft | None) -> None:
        """Show `draft` (None hides the panel)."""
        self.draft = draft
        self.set_class(draft is None, "-empty")
        if draft is None:
            if self._countdown is not None:
                self._countdown.pause()
            return
        self.border_title = safe_text(draft_title(draft), single_line=True, max_length=80).plain
        self.query_one("#draft-text", Static).update(safe_text(draft.text))
        bar_style = self.get_component_rich_style("draft-panel--bar")
        self.query_one("#draft-confidence", Static).update(
            Text.assemble("Confidence ", (confidence_bar(draft.confidence), bar_style))
        )
        self.query_one("#draft-flags", Static).update(self._flags(draft.flags))
        self.query_one("#draft-flags", Static).display = bool(draft.flags)
        self.query_one("#draft-rationale", Static).update(
            Text.assemble("Why: ", safe_text(draft.rationale or "(no rationale given)"))
        )
        self.query_one("#draft-sources", Static).update(sources_text(draft))
        if self._countdown is not None:
            if draft.send_at is None:
                self._countdown.pause()
            else:
                self._countdown.resume()
        self._tick()

    def _flags(self, flags: list[Flag]) -> Text:
        tags = Text("Flags ")
        for flag in flags:
            kind = "error" if flag in _SEVERE_FLAGS else "warning"
            style = self.get_component_rich_style(f"draft-panel--flag-{kind}")
            tags.append(f" {FLAG_LABELS.get(flag, flag.value)} ", style=style)
            tags.append(" ")
        return tags

    def _tick(self) -> None:
        """Count down to `send_at`: the hold window in which anyone can stop the draft."""
        countdown = self.query_one("#draft-countdown", Static)
        send_at = self.draft.send_at if self.draft is not None else None
        countdown.display = send_at is not None
        if send_at is None:
            return
        left = (send_at - self._clock()).total_seconds()
        countdown.update(
            f"Goes out on its own in {left:.0f}s unless someone decides"
            if left > 0
            else "Hold window over: sending now unless someone decided"
        )

    def watch_status(self, status: str) -> None:
        """Show the in-flight decision prominently, so nobody presses twice."""
        self.set_class(bool(status), "-busy")
        label = self.query_one("#draft-status", Static)
        label.update(status)
        label.display = bool(status)
