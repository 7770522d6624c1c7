"""Small modal prompts: an API key (password input with reveal), a file path, a yes/no."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static

from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui.screens.dialog import Dialog
from kore_tui.tui.widgets.safe_text import SafeInput


class RevealKey:
    """A "Show key" checkbox (#reveal, ctrl+r) that unmasks the password input #key."""

    def action_reveal(self) -> None:
        box = self.query_one("#reveal", Checkbox)  # type: ignore[attr-defined]
        box.value = not box.value

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "reveal":
            self.query_one("#key", Input).password = not event.value  # type: ignore[attr-defined]


@dataclass(frozen=True)
class KeyEntry:
    key: Secret
    remember: bool


class KeyPrompt(RevealKey, Dialog[KeyEntry | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+r", "reveal", "Reveal")]

    def __init__(self, env_name: str, host: str, reason: str = "") -> None:
        super().__init__()
        self.env_name = env_name
        self.host = host
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog narrow"):
            yield Label(Text(f"API key for {inert(self.env_name, 40)} ({inert(self.host, 60)})"))
            if self.reason:
                yield Label(Text(inert(self.reason, 200)), classes="dim")
            yield SafeInput(password=True, placeholder="kg-…", id="key")
            yield Checkbox("Show key (ctrl+r)", id="reveal")
            yield Checkbox("Remember in the 0600 credentials file", id="remember")
            # In the dialog, not a toast: a dialog shows none (screens/dialog.py).
            yield Static("", id="why", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Use key", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#key", Input).focus()

    def _submit(self) -> None:
        value = self.query_one("#key", Input).value
        if not value.strip():
            self.query_one("#why", Static).update("Enter a key, or press Escape to cancel.")
            return
        self.dismiss(KeyEntry(Secret(value), self.query_one("#remember", Checkbox).value))

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(Dialog[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "", error: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.value = value
        self.error = error  # why the last path was refused, shown above the field

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog narrow"):
            yield Label(Text(self.title_text))
            if self.error:
                yield Label(Text(self.error), id="refused", classes="error")
            yield SafeInput(value=self.value, placeholder=self.placeholder, id="path")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.dismiss(self.query_one("#path", Input).value.strip() or None)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class YesNo(Dialog[bool]):
    TAKES_TYPED_AHEAD = False  # answered only by keys typed once it is on screen
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog narrow"):
            yield Static(Text(self.question))
            with Horizontal(classes="buttons"):
                yield Button("No", id="no")
                yield Button(self.yes, id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
