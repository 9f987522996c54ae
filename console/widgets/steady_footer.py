"""A footer that rebuilds only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen

from console.widgets.fit_footer import FitFooter

__all__ = ["SteadyFooter"]


class SteadyFooter(FitFooter):
    """A `Footer` that rebuilds only when the keys it shows change.

    Textual's recomposes (removes and mounts every key, then lays the screen
    out) whenever the screen's bindings are updated, ~20-60 ms each time,
    though moving between widgets with the same keys (the filter fields, a
    page arriving) shows the same footer.
    """

    _shown: tuple[object, ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Recompose after the refresh, as the base class does, but only on a change."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    def _keys_shown(self) -> tuple[object, ...]:
        return tuple(
            (node is self.app, binding.key, binding.action, binding.description, enabled, tooltip)
            for key, (node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        shown = self._keys_shown()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
