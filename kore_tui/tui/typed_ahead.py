"""Keys typed while a dialog is on its way, held for it.

F2 reads the config before the picker opens (one worker hop): an operator's burst
'F2 Down Enter' went to the panel below and did not switch; 'F2 Up Enter x y z' left
the picker open and 'xyz' in the ID box; at 0.12 s a key, an ID typed after
'F2 Down Enter' met the picker still open and its d asked to remove an environment.

F2 is a priority binding (it runs as its key arrives); from then the app takes every key
before anything routes it (KoreApp.on_event), and ``release`` posts them again, in order,
once the picker is on top and has placed its focus (what the picker opens next, the editor,
buffers its own early keys: Dialog). A confirmation never gets held keys but Escape (keys
typed before it was on screen must not answer it): they are dropped with a bell. A hold
ends by itself after HOLD_AT_MOST seconds.

Not covered: keys that Textual has already routed to a widget when a hold starts (a burst
typed right after Enter or n in the picker reaches its list before the answer does): they
are lost, and never act on a screen below. Holding those too (as they bubble up) was tried
and reverted: the editor's keys then arrived while its Select widgets were still mounting,
and one full run under load crashed inside Textual (Select._on_mount: no SelectOverlay).
"""

from __future__ import annotations

import time
from typing import Any

from textual import events
from textual.app import App
from textual.timer import Timer

from kore_tui.tui.screens.dialog import Dialog

HOLD_AT_MOST = 2.0  # seconds
FOCUS_AT_MOST = 1.0  # seconds a dialog on top may take to place its focus


class TypedAhead:
    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._keys: list[events.Key] | None = None
        self._timer: Timer | None = None

    @property
    def holding(self) -> bool:
        return self._keys is not None

    def hold(self) -> None:
        if self._keys is None:
            self._keys = []
            self._timer = self._app.set_timer(HOLD_AT_MOST, self.release)

    def take(self, event: events.Key) -> bool:
        """Keep ``event`` if holding (True), in the order typed."""
        if self._keys is None:
            return False
        self._keys.append(events.Key(event.key, event.character))
        return True

    def release(self) -> None:
        """Hand the held keys to the screen now on top (see the module's docstring), once
        a dialog there has placed its focus: posted before, an Enter (a priority binding)
        overtook the Down that its list had not taken yet. Keys keep being held until
        then, so the order typed is the order routed."""
        if self._keys is None:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._deliver(time.monotonic() + FOCUS_AT_MOST)

    def _deliver(self, deadline: float) -> None:
        if not self._app.screen_stack:
            # The console has ended meanwhile (a timer's call at exit): nobody to type to.
            self._keys = None
            return
        screen = self._app.screen
        if isinstance(screen, Dialog) and screen.focused is None and time.monotonic() < deadline:
            self._app.set_timer(0.02, lambda: self._deliver(deadline))
            return
        keys, self._keys = self._keys or [], None
        if not keys:
            return
        if isinstance(screen, Dialog) and not screen.TAKES_TYPED_AHEAD:
            # Only Escape: cancelling is never an answer typed ahead that could send.
            escapes = [k for k in keys if k.key == "escape"]
            if len(escapes) < len(keys):
                self._app.bell()
            keys = escapes
        for key in keys:
            self._app.post_message(key)
