"""The deploy parameters form: shown when neither the journal nor a profile has them.

Every value goes through core/deploy_params' ``parse_model_params``, the same checks a
profile gets, before the form closes: what the confirmation shows and the engine sends
has passed them, and a bad value is refused here with the field and its allowed range.
A config's profiles can be picked to fill the fields (then edited).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from kore_tui.core.deploy_params import (
    DEVICE_TYPES,
    MODEL_TYPES,
    DeployParamsError,
    ModelDeployParams,
    parse_model_params,
)
from kore_tui.core.text import inert
from kore_tui.tui.screens.dialog import Dialog
from kore_tui.tui.widgets.safe_text import SafeInput

# (input id, label, dotted path in the snake_case mapping, hint): the numbers of the form.
NUMBER_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("temperature", "Temperature", "hyper_parameters.temperature", "0 to 2"),
    ("max_tokens", "Max tokens", "hyper_parameters.max_tokens", "0 to 512"),
    ("top_p", "Top p", "hyper_parameters.top_p", "0 to 1"),
    ("top_k", "Top k", "hyper_parameters.top_k", "1 to 100"),
    ("min_replicas", "Min replicas", "scaling_parameters.min_replicas", "1 to 10, optional"),
    ("max_replicas", "Max replicas", "scaling_parameters.max_replicas", "1 to 50, optional"),
)
SOURCE = "deploy form"


def _number(text: str) -> Any:
    """The typed text as a number when it is one; else as typed (the checks name it)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def form_mapping(values: Mapping[str, str]) -> dict[str, Any]:
    """The form's texts as the snake_case mapping ``parse_model_params`` reads; an empty
    optional number is left out (the platform's default), an empty required one stays
    missing so the message says it is required."""
    out: dict[str, Any] = {}
    for key in ("model_type", "name", "device_type"):
        if values.get(key, ""):
            out[key] = values[key]
    for key, _label, path, _hint in NUMBER_FIELDS:
        text = values.get(key, "").strip()
        if text:
            group, name = path.split(".")
            out.setdefault(group, {})[name] = _number(text)
    out.setdefault("hyper_parameters", {})
    return out


# A valid value per field, put in place of a bad one to find the next bad one: the core
# check stops at the first, and one error per "Use these" took 5 round trips for 5.
_STAND_INS = {
    "model_type": MODEL_TYPES[0],
    "name": "stand-in",
    "device_type": DEVICE_TYPES[0],
    "temperature": "0",
    "max_tokens": "1",
    "top_p": "0",
    "top_k": "1",
    "min_replicas": "",  # empty optional numbers are left out
    "max_replicas": "",
}


def form_problems(values: Mapping[str, str]) -> list[DeployParamsError]:
    """Every field of the form that breaks a rule (the same checks as a profile's), in
    the order the check meets them; empty when the form is good."""
    trial = dict(values)
    found: list[DeployParamsError] = []
    for _ in range(len(_STAND_INS) + 1):
        try:
            parse_model_params(form_mapping(trial), source=SOURCE)
            break
        except DeployParamsError as exc:
            found.append(exc)
            key = exc.field.rsplit(".", 1)[-1]
            if key not in _STAND_INS or trial.get(key) == _STAND_INS[key]:
                break  # nothing to stand in for: report what was found
            trial[key] = _STAND_INS[key]
    return found


def form_source(values: Mapping[str, str], profiles: Mapping[str, ModelDeployParams]) -> str:
    """Where the form's values come from, as the confirmation's cost line says it: a
    profile picked and left as it was is that profile (it read "from the deploy form")."""
    for name, params in sorted(profiles.items()):
        if form_values(params) == dict(values):
            return f"deploy profile {inert(name, 40)!r} (picked in the form)"
    return "the deploy form"


def form_values(params: ModelDeployParams) -> dict[str, str]:
    """A profile's parameters as the form's texts."""
    out = {"model_type": params.model_type, "name": params.name, "device_type": params.device_type}
    for key, *_ in NUMBER_FIELDS:
        value = getattr(params, key)
        out[key] = "" if value is None else str(value)
    return out


class DeployForm(Dialog[ModelDeployParams | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    DeployForm .grid { layout: grid; grid-size: 2; grid-columns: 16 1fr; grid-rows: 1;
        grid-gutter: 0 1; height: auto; }
    DeployForm .grid Label { height: 1; }
    DeployForm .body { max-height: 50vh; }
    """

    def __init__(
        self,
        env_name: str,
        model_ids: list[str],
        reason: str,
        profiles: Mapping[str, ModelDeployParams],
        verb: str = "Deploy",
        entered: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        # What was entered last for these models (the caller's dict, updated when the form
        # closes): Esc at the confirmation, then the action again, found the form empty.
        self.entered = entered if entered is not None else {}
        self.verb = verb  # the action the parameters are for (Deploy, Undo: redeploy, Bounce)
        self.env_name = env_name
        self.model_ids = model_ids
        self.reason = reason
        self.profiles = dict(profiles)

    def compose(self) -> ComposeResult:
        title = Text(
            # "·", not ":": the verb may hold one ("Undo: redeploy: deploy parameters").
            f"{self.verb} · deploy parameters for {len(self.model_ids)} model(s) in "
            f"{inert(self.env_name, 40)}",
            style="bold",
        )
        title.append(f"\n{inert(self.reason, 300)}", style="dim")
        if any(self.entered.values()):  # an empty form closed is nothing entered
            title.append(
                "\nFilled in as entered last for these models (nothing was sent).",
                style="italic",
            )
        if self.verb == "Bounce":
            # An operator's run: a blank form titled "Deploy parameters" for a model that
            # is running, with no word that it is for the bounce's redeploy.
            title.append(
                "\nThe models are undeployed first, then deployed again with these: "
                "kore-tui does not know the parameters they run with now.",
                style="bold yellow",
            )
        with Vertical(classes="dialog"):
            yield Static(title, id="title")
            with VerticalScroll(classes="body"), Vertical(classes="grid"):
                if self.profiles:
                    yield Label("Profile")
                    yield Select(
                        [(inert(n, 40), n) for n in sorted(self.profiles)],
                        prompt="fill from a profile…",
                        id="profile",
                        compact=True,
                    )
                yield Label("Model type")
                yield Select(
                    [(t, t) for t in MODEL_TYPES], prompt="choose…", id="model_type", compact=True
                )
                yield Label("Name")
                yield SafeInput(placeholder="deployment name", id="name", compact=True)
                yield Label("Device type")
                yield Select(
                    [(t, t) for t in DEVICE_TYPES], prompt="choose…", id="device_type", compact=True
                )
                for key, label, _path, hint in NUMBER_FIELDS:
                    yield Label(label)
                    yield SafeInput(placeholder=hint, id=key, compact=True)
            yield Static("", id="why", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Use these", id="use", variant="primary")

    def on_mount(self) -> None:
        if any(self.entered.values()):
            self.fill(self.entered)
        self.query_one("#profile" if self.profiles else "#model_type").focus()

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in ("model_type", "device_type"):
            chosen = self.query_one(f"#{key}", Select).value
            out[key] = chosen if isinstance(chosen, str) else ""
        for key in ("name", *(k for k, *_ in NUMBER_FIELDS)):
            out[key] = self.query_one(f"#{key}", Input).value
        return out

    def fill(self, values: Mapping[str, str]) -> None:
        for key in ("model_type", "device_type"):
            select: Select[str] = self.query_one(f"#{key}", Select)
            select.value = values[key] if values.get(key) else Select.NULL
        for key in ("name", *(k for k, *_ in NUMBER_FIELDS)):
            self.query_one(f"#{key}", Input).value = values.get(key, "")

    def on_select_changed(self, event: Select.Changed) -> None:
        self.query_one("#why", Static).update("")
        if event.select.id == "profile" and isinstance(event.value, str):
            self.fill(form_values(self.profiles[event.value]))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def submit(self) -> None:
        values = self.values()
        if problems := form_problems(values):
            lines = "\n".join(f"{exc}" for exc in problems)
            # The count first: the reasons scroll past four lines (the buttons stay put).
            head = f"Nothing was sent: {len(problems)} field(s) to fix."
            self.query_one("#why", Static).update(Text(f"{head}\n{lines}"))
            first = problems[0].field.rsplit(".", 1)[-1]
            if widgets := self.query(f"#{first}"):
                widgets.first().focus()
            return
        self._close(parse_model_params(form_mapping(values), source=SOURCE))

    def _close(self, params: ModelDeployParams | None) -> None:
        self.entered.clear()
        self.entered.update(self.values())
        self.dismiss(params)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "use":
            self.submit()
        else:
            self._close(None)

    def action_cancel(self) -> None:
        self._close(None)
