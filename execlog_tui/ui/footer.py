"""The key bar at the bottom of every screen: Textual's Footer, recomposed only when what it shows changes.

Textual's Footer recomposes (every key mounted and styled anew) on each bindings signal, and a focus
change sends one: the dashboard's start sent five, about a third of its style work before the first
frame. This one compares what it would show (the active bindings it lists, their keys' display, whether
each is enabled) with what it shows, and recomposes only when they differ.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _shown: tuple[Any, ...] | None = None

    def _showing(self, screen: Screen[Any]) -> tuple[Any, ...]:
        app = screen.app
        palette = app.COMMAND_PALETTE_BINDING
        keys = tuple(
            (key, b.key, app.get_key_display(b), b.description, b.action, id(b.group), enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in screen.active_bindings.items()
            if b.show or key == palette  # what compose lists (the palette's key has a place of its own)
        )
        return (keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE, self.compact)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)  # it only notes the bindings are ready
            return
        showing = self._showing(screen)
        if self._bindings_ready and showing == self._shown:
            return
        self._shown = showing
        super().bindings_changed(screen)
