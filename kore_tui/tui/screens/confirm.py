"""The undeploy confirmation: environment, host, count and the IDs; Cancel has focus."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from kore_tui.core.config import Environment
from kore_tui.core.text import inert
from kore_tui.tui.widgets.banner import rich_colour

_SHOWN = 12


class ConfirmUndeploy(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ConfirmUndeploy { align: center middle; }
    ConfirmUndeploy > Vertical { width: 84; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 1 2; }
    ConfirmUndeploy #ids { height: auto; max-height: 14; overflow-y: auto;
        color: $text-muted; margin: 1 0; }
    ConfirmUndeploy #typed { margin: 1 0 0 0; }
    ConfirmUndeploy Horizontal { height: 3; align: right middle; margin-top: 1; }
    ConfirmUndeploy Button { margin-left: 2; }
    """

    def __init__(self, env: Environment, model_ids: list[str], verb: str = "Undeploy") -> None:
        super().__init__()
        self.env = env
        self.model_ids = model_ids
        self.verb = verb

    def compose(self) -> ComposeResult:
        env = self.env
        title = Text()
        title.append(f"{self.verb} {len(self.model_ids)} model(s) in ", style="bold")
        title.append(f" {inert(env.name, 40)} ", style=f"bold white on {rich_colour(env.colour)}")
        if env.protected:
            title.append("  PROTECTED", style="bold red")
        ids = "\n".join(self.model_ids[:_SHOWN])
        if len(self.model_ids) > _SHOWN:
            ids += f"\n… and {len(self.model_ids) - _SHOWN} more"
        with Vertical():
            yield Static(title)
            yield Label(Text(f"host: {inert(env.host, 80)}"))
            yield Static(Text(ids), id="ids")
            yield Label("This cannot be undone from here: the models stop serving.",
                        classes="warning")
            if env.protected:
                yield Label(Text.assemble("Type the environment name ",
                                          (repr(inert(env.name, 40)), "bold"), " to confirm:"))
                yield Input(placeholder=env.name, id="typed")
            with Horizontal():
                yield Button("Cancel", id="cancel", variant="default")
                yield Button(f"{self.verb} {len(self.model_ids)}", id="confirm", variant="error",
                             disabled=env.protected)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.env.name

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value == self.env.name:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm" and not event.button.disabled)

    def action_cancel(self) -> None:
        self.dismiss(False)
