"""What the console-side benchmarks share: a driver under which Textual encodes every frame.

Kept apart from `harness` (which the backend's child processes import too) so
that a backend process never loads Textual.
"""

from __future__ import annotations

from textual.drivers.headless_driver import HeadlessDriver


class CountingDriver(HeadlessDriver):
    """A headless driver that lets Textual encode every frame, and counts the bytes."""

    written = 0

    @property
    def is_headless(self) -> bool:
        """Not headless as far as `App._display` knows: frames get encoded."""
        return False

    def write(self, data: str) -> None:
        """Count the frame instead of writing it to a terminal."""
        self.written += len(data)
