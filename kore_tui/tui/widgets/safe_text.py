"""Input widgets that never show control, escape or bidi-override characters.

A stock Input or TextArea renders what it holds, escapes and all: a pasted or
loaded ``ESC]52;…BEL`` reaches the terminal and writes its clipboard. Here every
way text gets in (typing, paste, ``value =``, ``load_text``, edits) goes through
``scrub``, which swaps each unsafe character for U+FFFD one for one, so cursor
offsets stay valid and the operator sees that something odd was there.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.document._document import EditResult
from textual.document._edit import Edit
from textual.widgets import Input, TextArea

from kore_tui.core.text import scrub, strip_escapes


class SafeInput(Input):
    """A one-line Input whose value is always scrubbed, and whose keys keep their order.

    Textual gives a printable key to the field at once, but resolves every other key
    (BackSpace, the arrows, Enter, Tab, Escape) through the bindings when the key has
    bubbled up to the app: in a burst (tmux, a paste of keystrokes, a laggy link) the keys
    typed after it got there first. "1 0 BackSpace 2" left 10 in Max replicas; "3.5 Tab
    9999" put 3.59999 in Temperature. Here the field resolves those keys when they come,
    through the same bindings (the field's, its dialog's, the app's), so the burst is
    applied in the order typed: "sim Escape Enter" cancels, it never sends. A key routed
    here before a Tab moved the focus on follows the focus; one routed here before an
    Escape closed the dialog is dropped (it was typed for the dialog)."""

    def validate_value(self, value: str) -> str:
        return scrub(value)

    async def _on_key(self, event: events.Key) -> None:
        screen = self.screen
        if not screen.is_current:
            self._taken(event)
            return
        focused = screen.focused
        if focused is not None and focused is not self:
            self._taken(event)
            focused.post_message(events.Key(event.key, event.character))
            return
        if not event.is_printable:
            self._taken(event)
            # What App._on_key does once the key has bubbled up to it, done now.
            await self.app._check_bindings(event.key)
        # A printable key: Input's own handler inserts it.

    @staticmethod
    def _taken(event: events.Key) -> None:
        event.stop()
        event.prevent_default()  # not Input._on_key as well


class SafeTextArea(TextArea):
    """A TextArea whose document is always scrubbed (newlines and tabs kept)."""

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(scrub(text, keep="\n\r\t"), **kwargs)

    def load_text(self, text: str) -> None:
        super().load_text(scrub(text, keep="\n\r\t"))

    def edit(self, edit: Edit) -> EditResult:
        # A pasted colour code goes whole, not as "�[31m" glued to the ID after it. Only
        # the inserted text changes length: the edit's range and the cursor stay valid.
        edit.text = scrub(strip_escapes(edit.text), keep="\n\r\t")
        return super().edit(edit)

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual's TextArea inserts the paste and lets the event bubble on (its Input
        # stops it): the main screen, which puts a paste that no input took into the ID
        # box, inserted it a second time. Textual calls the handler of each class in the
        # MRO, so TextArea's own still inserts after this one (no super() call here).
        event.stop()
