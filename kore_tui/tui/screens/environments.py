"""Pick, add, edit and remove environments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from kore_tui.core.config import (
    COLOURS,
    Environment,
    protected_platform,
    validate_colour,
    validate_name,
)
from kore_tui.core.errors import InsecureHostError
from kore_tui.core.hosts import normalize_host
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui.screens.dialog import Dialog
from kore_tui.tui.screens.prompts import RevealKey
from kore_tui.tui.widgets.env_label import env_label
from kore_tui.tui.widgets.safe_text import SafeInput


@dataclass(frozen=True)
class PickerResult:
    action: str  # "select", "add", "edit", "remove"
    name: str | None = None


class EnvironmentList(OptionList):
    """Up and down stop at the first and the last environment: down from the last wrapped
    to the first, and an operator pressing it once too often landed on prod."""

    def action_cursor_down(self) -> None:
        if self.highlighted is None or self.highlighted < self.option_count - 1:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.highlighted is None or self.highlighted > 0:
            super().action_cursor_up()

    def action_select(self) -> None:
        """Enter switches at once. OptionList posts the selection as a message: a key typed
        right after Enter ("Enter d", an operator's burst) ran its picker binding first
        and opened 'Remove environment prod?' instead of switching; the picker answers
        once (Dialog), so the keys after the switch are dropped."""
        picker = self.screen
        if isinstance(picker, EnvironmentPicker) and self.highlighted is not None:
            picker.select(self.get_option_at_index(self.highlighted).id)


class EnvironmentPicker(Dialog[PickerResult | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("n", "add", "New"),
        Binding("e", "edit", "Edit"),
        Binding("delete,d", "remove", "Remove"),
    ]

    def __init__(
        self,
        environments: dict[str, Environment],
        default: str | None,
        current: str | None,
        active: Mapping[str, int] | None = None,
        warning: str = "",
    ) -> None:
        super().__init__()
        self.environments = environments
        self.default = default
        self.current = current
        self.active = dict(active or {})  # live jobs per environment not on screen
        self.warning = warning  # why the list may not be the file's (a broken config)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Environments: enter to switch · n new · e edit · d remove")
            if self.warning:
                yield Static(Text(self.warning), classes="warning")
            envs = sorted(self.environments.items())
            name_width = max((len(inert(n, 40)) for n, _ in envs), default=0)
            host_width = max((len(inert(e.host, 50)) for _, e in envs), default=0)
            options = [
                Option(
                    env_label(
                        env,
                        name == self.default,
                        name_width,
                        host_width,
                        name == self.current,
                        self.active.get(name, 0),
                        protected_platform(env, self.environments),
                    ),
                    id=name,
                )
                for name, env in envs
            ]
            if not options:
                yield Label("No environments yet: press n to add one.", classes="dim")
            yield EnvironmentList(*options, id="envs")
            with Horizontal(classes="buttons"):
                yield Button("New", id="add")
                yield Button("Edit", id="edit")
                yield Button("Remove", id="remove", variant="error")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        options = self.query_one("#envs", OptionList)
        options.focus()
        if self.current and self.current in self.environments:
            options.highlighted = sorted(self.environments).index(self.current)

    def _highlighted(self) -> str | None:
        options = self.query_one("#envs", OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.select(event.option.id)  # a click (Enter answers at once: EnvironmentList)

    def select(self, name: str | None) -> None:
        self.dismiss(PickerResult("select", name))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "add": self.action_add,
            "edit": self.action_edit,
            "remove": self.action_remove,
            "close": self.action_cancel,
        }
        actions[event.button.id or "close"]()

    def action_add(self) -> None:
        self.dismiss(PickerResult("add"))

    def action_edit(self) -> None:
        if (name := self._highlighted()) is not None:
            self.dismiss(PickerResult("edit", name))

    def action_remove(self) -> None:
        if (name := self._highlighted()) is not None:
            self.dismiss(PickerResult("remove", name))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class EditorResult:
    env: Environment
    key: Secret | None
    remember: bool
    make_default: bool
    # What the editor was opened with (None: a new environment), so that saving can refuse
    # to overwrite a change made to the file meanwhile.
    original: Environment | None = None


# The deploy profile field's value for "none" (a Select value cannot be None).
NO_PROFILE = ""


class EnvironmentEditor(RevealKey, Dialog[EditorResult | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+r", "reveal", "Reveal key")]

    def __init__(
        self,
        env: Environment | None = None,
        is_default: bool = False,
        profiles: Sequence[str] = (),
    ) -> None:
        """``profiles``: the config's [deploy_profiles.NAME] names, for the deploy profile
        an undo, redeploy or bounce in this environment uses."""
        super().__init__()
        self.env = env
        self.is_default = is_default
        self.profiles = list(profiles)

    def compose(self) -> ComposeResult:
        env = self.env
        with Vertical(classes="dialog editor"):
            yield Label("Edit environment" if env else "New environment")
            # One labelled row per field: the fields were 3-row boxes named only by their
            # placeholders, so an edit showed "prod", a URL and "red" with no names, and at
            # 100x30 Read-only and Default were below the fold.
            with VerticalScroll(classes="body"):
                yield from self._fields(env)
                with Grid(id="flags", classes="flags"):
                    yield Checkbox("Show key", id="reveal", compact=True)
                    yield Checkbox("Remember key", id="remember", compact=True)
                    yield Checkbox(
                        "Protected", value=bool(env and env.protected), id="protected", compact=True
                    )
                    yield Checkbox(
                        "Read-only", value=bool(env and env.read_only), id="read_only", compact=True
                    )
                    yield Checkbox("Default", value=self.is_default, id="default", compact=True)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def _fields(self, env: Environment | None) -> ComposeResult:
        with Grid(classes="fields"):
            yield Label("Name")
            yield SafeInput(
                value=env.name if env else "",
                placeholder="e.g. prod",
                id="name",
                disabled=env is not None,
                compact=True,
            )
            yield Label("Host")
            yield SafeInput(
                value=env.host if env else "",
                id="host",
                placeholder="https://agent-platform.kore.ai",
                compact=True,
            )
            yield Label("Colour")
            # A colour the file spells otherwise (a hex value) is offered as it is, or
            # saving an unchanged environment would turn it blue.
            colours = list(COLOURS)
            if env and env.colour not in colours:
                colours.append(env.colour)
            yield Select(
                [(c, c) for c in colours],
                value=env.colour if env else "blue",
                id="colour",
                allow_blank=False,
                compact=True,
            )
            yield Label("Deploy profile")
            yield self._profile_field(env)
            yield Label("Key variable")
            yield SafeInput(
                value=env.key_env or "" if env else "",
                id="key_env",
                placeholder="optional: the key from this environment variable",
                compact=True,
            )
            yield Label("API key")
            yield SafeInput(
                password=True,
                id="key",
                placeholder="optional; kept in memory unless remembered",
                compact=True,
            )

    def _profile_field(self, env: Environment | None) -> Select[str]:
        if not self.profiles:
            # Said where profiles come from: an empty, dead list told nothing.
            none = "none: define [deploy_profiles.NAME] in the config file"
            options = [(Text(none), NO_PROFILE)]
        else:
            # Text, not str: a table's name is the file's text, never markup.
            options = [(Text("none"), NO_PROFILE)]
            options += [(Text(inert(p, 40)), p) for p in self.profiles]
        current = env.deploy_profile if env and env.deploy_profile in self.profiles else None
        return Select(
            options,
            value=current or NO_PROFILE,
            id="deploy_profile",
            allow_blank=False,
            compact=True,
            disabled=not self.profiles,
        )

    def on_mount(self) -> None:
        self.query_one("#host" if self.env else "#name", Input).focus()

    def _build(self) -> EditorResult:
        name = validate_name(self.query_one("#name", Input).value.strip())
        host = normalize_host(self.query_one("#host", Input).value)
        colour = validate_colour(str(self.query_one("#colour", Select).value))
        key_env = self.query_one("#key_env", Input).value.strip() or None
        key_text = self.query_one("#key", Input).value
        profile = str(self.query_one("#deploy_profile", Select).value) or None
        # Settings the editor has no field for (key_command, ca_bundle, …) are kept, not
        # dropped on save.
        env = replace(
            self.env or Environment(name=name, host=host),
            host=host,
            colour=colour,
            key_env=key_env,
            deploy_profile=profile,
            protected=self.query_one("#protected", Checkbox).value,
            read_only=self.query_one("#read_only", Checkbox).value,
        )
        return EditorResult(
            env,
            Secret(key_text) if key_text.strip() else None,
            self.query_one("#remember", Checkbox).value,
            self.query_one("#default", Checkbox).value,
            original=self.env,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "save":
            self.dismiss(None)
            return
        self._save()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in a field saves, as in every form: it did nothing, and Save was 8 Tabs away.
        event.stop()
        self._save()

    def _save(self) -> None:
        try:
            self.dismiss(self._build())
        except (ValueError, InsecureHostError) as exc:
            self.query_one("#error", Static).update(Text(inert(str(exc), 200), style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)
