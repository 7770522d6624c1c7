"""Every modal of the console answers once.

Keys come in bursts (a fast typist, tmux send-keys, a paste of keystrokes): "Enter Tab
Enter" pressed Cancel, moved the focus to the confirm button of the dialog being
dismissed, and pressed that too. Textual's ``Screen.dismiss`` does not check that the
screen is still the one on top: the second call ran the result callback again and popped
the screen below it (the main screen: the console crashed with ScreenStackError; under a
deeper stack a Cancel could have been followed by a send). The first answer is the one.
"""

from __future__ import annotations

from typing import TypeVar

from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

Answer = TypeVar("Answer")


class Dialog(ModalScreen[Answer]):
    _answered = False

    def dismiss(self, result: Answer | None = None) -> AwaitComplete:
        if self._answered or not self.is_current:
            nothing: AwaitComplete = AwaitComplete.nothing()  # type: ignore[no-untyped-call]
            return nothing
        self._answered = True
        return super().dismiss(result)
