"""Meaningful review (AI Act art. 14(4)(b)): approving faster than a draft can be read."""

from __future__ import annotations

from dataclasses import dataclass


def words(text: str) -> int:
    """The words of a text, as a reader counts them."""
    return len(text.split())


@dataclass(frozen=True)
class ReadingCheck:
    """Whether an approval came faster than the draft can be read."""

    words: int
    seconds_needed: float
    seconds_taken: float

    @property
    def too_fast(self) -> bool:
        """Faster than reading at the configured pace allows."""
        return self.seconds_taken < self.seconds_needed


def reading_check(text: str, seconds_taken: float, words_per_second: float) -> ReadingCheck:
    """How long `text` takes to read at `words_per_second`, against the time taken."""
    count = words(text)
    return ReadingCheck(
        words=count,
        seconds_needed=round(count / words_per_second, 3),
        seconds_taken=round(max(seconds_taken, 0.0), 3),
    )


def confirmation_matches(check: ReadingCheck, confirm_words: int | None) -> bool:
    """A fast approval stands only when the reviewer confirmed the draft's length in words."""
    return not check.too_fast or confirm_words == check.words
