"""How the console routes keys beyond Textual's own routing: keys held while a dialog is
on its way (tui/typed_ahead.py), and a panel's bindings kept from running while an action
works out its dialog."""

from __future__ import annotations

from textual import events

from kore_tui.tui.env_lifecycle import EnvLifecycle
from kore_tui.tui.screens.dialog import Dialog


class KeyRouting(EnvLifecycle):
    async def on_event(self, event: events.Event) -> None:
        # Before Textual routes a key (its priority bindings, the focused widget): held
        # while a dialog is on its way (tui/typed_ahead.py).
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and self.typed_ahead.take(event)
        ):
            return
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        # A key's binding runs when the key reaches the app, after its widgets. One typed
        # while an action works out its dialog (u Enter, a burst) ran the binding of the
        # panel or the history below it (Enter: a job detail under the confirmation). Its
        # binding is not run (a bell says so): the dialog is up a moment later. Runs
        # before App._on_key (the subclass's handler first), whose default it prevents.
        busy = self.screen_stack and not isinstance(self.screen, Dialog)
        if busy and self.main.dialog_on_its_way:
            event.prevent_default()
            event.stop()
            self.bell()
