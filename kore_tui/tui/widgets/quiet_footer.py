"""Textual's Footer, re-built only when what it shows changes.

Textual's Footer removes and mounts all its keys again whenever the screen's bindings
may have changed: every focus move and every modal opened or closed over its screen
(when the modal closes, the footer below re-builds the very keys it already had).
Each re-build mounts a dozen widgets and re-lays out the screen: ~10 ms of the UI
thread, ~10 times per console test. This one compares what it would show with what it
shows, and keeps its keys when they are the same.

It also shows only the keys that fit whole (widgets/fit_row.py): Footer lets the last
ones run under the command palette key (docked right), which at 60 columns showed
"f3 Hi▏^p palettel", a cut key and, in the last column, a letter of the next one.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from kore_tui.tui.widgets.fit_row import natural_width, show_what_fits

PALETTE_CLASS = "-command-palette"  # Footer's class for the command palette's key


class QuietFooter(Footer):
    _shown: object = None

    def _what_it_shows(self) -> object:
        """Everything Footer.compose reads: the shown bindings (key, label, action, group,
        enabled, tooltip), the palette's binding, and the footer's own options."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple(
            (binding, enabled, tooltip, app.get_key_display(binding))
            for _node, binding, enabled, tooltip in active.values()
            if binding.show
        )
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        palette_key = palette[1:] if palette is not None else None
        return (keys, palette_key, self.compact, self.show_command_palette)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (
            self._bindings_ready
            and self.is_attached
            and screen is self.screen
            and self._what_it_shows() == self._shown
        ):
            return
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._shown = self._what_it_shows() if self._bindings_ready else None
        self.call_after_refresh(self._show_whole_keys)  # once the new keys are mounted
        yield from super().compose()

    def on_resize(self) -> None:
        self._show_whole_keys()

    def _show_whole_keys(self) -> None:
        if not self.is_attached:
            return
        keys = [child for child in self.children if PALETTE_CLASS not in child.classes]
        palette = [child for child in self.children if PALETTE_CLASS in child.classes]
        room = self.size.width - sum(natural_width(child, self.size) for child in palette)
        show_what_fits(keys, room, self.size)

    async def recompose(self) -> None:
        # Footer.bindings_changed queues a rebuild after the next refresh; at start-up the
        # screen announces its bindings several times before the first one runs, and each
        # queued a rebuild of the same keys. Compare again when the rebuild is due.
        if self.is_attached and self._bindings_ready and self._what_it_shows() == self._shown:
            return
        await super().recompose()
