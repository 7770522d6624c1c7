"""The confirmation of every action that changes the platform (undeploy, deploy, undo,
bounce, retry): environment, host, each kind's count, what it costs, and the IDs.

Cancel has the focus, except in a protected environment, where the name field has it:
the operator's next keystrokes are the name, and Enter there confirms once it matches.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from kore_tui.core.config import Environment
from kore_tui.core.text import inert
from kore_tui.tui.deploy_plan_view import kind_counts
from kore_tui.tui.screens.dialog import Dialog
from kore_tui.tui.widgets.banner import rich_colour
from kore_tui.tui.widgets.safe_text import SafeInput

_SHOWN = 200  # the list scrolls; beyond this, a count says how many more
# One line at 80 columns: a second one pushed the buttons off a protected dialog.
UNDEPLOY_WARNING = "They stop serving. u (jobs panel or history) redeploys them."


class ConfirmUndeploy(Dialog[bool]):
    TAKES_TYPED_AHEAD = False  # answered only by keys typed once it is on screen
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        env: Environment,
        model_ids: list[str],
        verb: str = "Undeploy",
        note: Text | None = None,
        *,
        costs: list[str] | None = None,
        warning: str = UNDEPLOY_WARNING,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """``tags``: a word shown before an ID in the list (a mixed retry's action)."""
        super().__init__()
        self.env = env
        self.model_ids = model_ids  # model and tool IDs: the counts say which is which
        self.tags = dict(tags or {})
        self.verb = verb
        self.note = note
        self.costs = costs or []  # a deploy's money lines (device type, replicas)
        self.warning = warning
        self.guard: str | None = None  # see compose

    @property
    def protected(self) -> bool:
        return self.env.protected or self.guard is not None

    def compose(self) -> ComposeResult:
        env = self.env
        # A protected environment on the same platform under another name protects this
        # one too: 'stage' written as localhost:18744, prod's host, undeployed with no name
        # typed (an operator's run). The app knows the config (KoreApp.platform_guard).
        guard = getattr(self.app, "platform_guard", None)
        self.guard = guard(env) if callable(guard) else None
        title = Text()
        title.append(f"{self.verb} {kind_counts(self.model_ids)} in ", style="bold")
        title.append(f" {inert(env.name, 40)} ", style=f"bold white on {rich_colour(env.colour)}")
        if env.protected:
            title.append("  PROTECTED", style="bold red")
        elif self.guard is not None:
            title.append(f"  PROTECTED: {inert(self.guard, 40)}'s platform", style="bold red")
        title.append(f"\nhost: {inert(env.host, 80)}")
        width = max((len(t) for t in self.tags.values()), default=0)
        ids = "\n".join(
            f"{self.tags[i]:<{width}}  {i}" if i in self.tags else i
            for i in self.model_ids[:_SHOWN]
        )
        if len(self.model_ids) > _SHOWN:
            ids += f"\n… and {len(self.model_ids) - _SHOWN} more"
        with Vertical(classes="dialog danger"):
            yield Static(title, id="title")
            if self.costs:
                # Above the scrolling list: what costs money is never scrolled out of sight.
                yield Static(
                    Text(
                        "\n".join(f"cost: {inert(line, 200)}" for line in self.costs), style="bold"
                    ),
                    id="costs",
                )
            with VerticalScroll(classes="body"):
                if self.note is not None:
                    yield Static(self.note, id="note")
                yield Static(Text(ids), id="ids", classes="dim")
            yield Static(self.warning, classes="warning")
            if self.protected:
                yield Static(
                    Text.assemble(
                        "Type the environment name ",
                        (inert(env.name, 40), "bold"),
                        " to confirm, then press Enter:",
                    ),
                    classes="spelled-out",  # the field's placeholder says it on a short terminal
                )
                # Not the name itself: shown in the field, it read as already typed (bug 3).
                yield SafeInput(placeholder="type the environment name, then Enter", id="typed")
                yield Static("", id="why", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="default")
                yield Button(
                    f"{self.verb} {len(self.model_ids)}",
                    id="confirm",
                    variant="error",
                    disabled=self.protected,
                )

    def on_mount(self) -> None:
        self.query_one("#typed" if self.protected else "#cancel").focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.env.name
        self.query_one("#why", Static).update("")

    def _confirmed(self) -> None:
        # What earlier toasts said ("Cancelled: nothing was sent.") no longer holds once a
        # send is confirmed; left on screen they sat over the new batch's rows.
        self.app.clear_notifications()
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.env.name:
            self._confirmed()
            return
        typed = inert(event.value, 40)
        # What differs: a space said "names are case-sensitive" (an operator's run).
        differs = (
            "a space before or after it"
            if event.value.strip() == self.env.name
            else "names are case-sensitive"
        )
        why = (
            "Type the name first; Escape cancels."
            if not event.value
            else f"{typed!r} is not {inert(self.env.name, 40)!r} ({differs}); nothing was sent."
        )
        self.query_one("#why", Static).update(Text(why))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm" and not event.button.disabled:
            self._confirmed()
        else:
            self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)
