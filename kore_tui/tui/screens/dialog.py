"""Every modal of the console answers once.

Keys come in bursts (a fast typist, tmux send-keys, a paste of keystrokes): "Enter Tab
Enter" pressed Cancel, moved the focus to the confirm button of the dialog being
dismissed, and pressed that too. Textual's ``Screen.dismiss`` does not check that the
screen is still the one on top: the second call ran the result callback again and popped
the screen below it (the main screen: the console crashed with ScreenStackError; under a
deeper stack a Cancel could have been followed by a send). The first answer is the one.

Nor does a dialog show toasts. Textual draws them over the top screen, bottom right: at
80x24 and smaller they covered a confirmation's environment name, its host and both
buttons for seconds (an operator's run at 60x18: 'Undeploy 1 model(s) in  stg▌'). A dialog
is built without Textual's toast rack, so notifications posted while it is open wait, and
show on the screen below once it closes (each for what is left of its timeout).

On a short terminal (under 20 rows) a dialog is compact: one-row buttons and inputs, no
margins around its body. At 40x12 a confirmation ran out of rows before its buttons (and
in a protected environment before the name field): only Escape worked.

Keys that come while a dialog is still mounting (F2, n, "qa1" in one burst) are kept and
handed to the widget the dialog focuses first, in order: Textual gives a key to the
focused widget, and with no focus yet, to the dialog screen, which dropped them (the new
environment's name stayed empty). Not for a confirmation (TAKES_TYPED_AHEAD): keys typed
before it was on screen must not answer it. Textual's auto-focus is off for the dialogs that place
their own focus (it focused the body's scroll container first, and the keys went there);
a dialog that places none within half a second gets its keys itself.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input
from textual.widgets._toast import ToastRack

Answer = TypeVar("Answer")


SHORT_BELOW = 20  # rows: a dialog on a terminal shorter than this is compact


class Dialog(ModalScreen[Answer]):
    # Each dialog focuses its first field or button in on_mount (help and the job detail,
    # which do not, turn it back on for their scroll containers).
    AUTO_FOCUS = ""
    _answered = False
    _early_keys: list[events.Key] | None = None  # keys that came before the first focus
    EARLY_KEYS_AT_MOST = 0.5  # seconds: a dialog that places no focus gets its keys itself
    # A confirmation is never answered by keys typed before it was on screen (a burst
    # "ctrl+u Tab Enter" would send with no one having read it): those keys are dropped.
    TAKES_TYPED_AHEAD = True

    def _forward_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.focused is None and not self._answered:
            if not self.TAKES_TYPED_AHEAD:
                return
            if self._early_keys is None:
                self._early_keys = []
                if self.is_mounted:
                    self.set_timer(self.EARLY_KEYS_AT_MOST, self._hand_early_keys)
            self._early_keys.append(events.Key(event.key, event.character))
            return
        super()._forward_event(event)

    def on_mount(self) -> None:
        # Textual runs this after each subclass's own on_mount, which places the focus. The
        # wait for a focus starts now, not at the first key: on a busy machine the mount
        # alone took over EARLY_KEYS_AT_MOST, and keys typed into a dialog that was about to
        # focus its first field went to the screen, which dropped them.
        if self._early_keys is not None:
            self.set_timer(self.EARLY_KEYS_AT_MOST, self._hand_early_keys)

    def watch_focused(self, focused: Widget | None) -> None:
        if focused is not None:
            self._hand_early_keys()

    def _hand_early_keys(self) -> None:
        # None again: keys held in a later focus-less moment re-arm the timer.
        keys, self._early_keys = self._early_keys or [], None
        target = self.focused or self
        for key in keys:  # in order, before any key routed to it from now on
            target.post_message(key)

    def on_resize(self) -> None:
        short = self.size.height < SHORT_BELOW
        self.set_class(short, "-short")
        widgets: list[Button | Input] = [*self.query(Button), *self.query(Input)]
        for widget in widgets:
            if short and not widget.compact:
                widget.compact = True
                widget.add_class("-made-compact")  # not the ones compact by design
            elif not short and widget.has_class("-made-compact"):
                widget.compact = False
                widget.remove_class("-made-compact")

    def _extend_compose(self, widgets: list[Widget]) -> None:
        super()._extend_compose(widgets)
        widgets[:] = [w for w in widgets if not isinstance(w, ToastRack)]

    def dismiss(self, result: Answer | None = None) -> AwaitComplete:
        if self._answered or not self.is_current:
            nothing: AwaitComplete = AwaitComplete.nothing()  # type: ignore[no-untyped-call]
            return nothing
        self._answered = True
        return super().dismiss(result)
