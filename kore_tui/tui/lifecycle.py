"""Deploy, undo (redeploy after an undeploy) and bounce from the console: one flow.

parameters (journal -> environment's default profile -> the form) -> one confirmation
(environment, host, each kind's count, what it costs, the IDs) -> the engine's
``deploy`` or ``bounce``. The engine does the sending, the journal rules and the
read-only refusal; this only asks the operator. It runs in a worker of the main
screen, so the modals are awaited in order and the UI loop never blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams
from kore_tui.core.deploy_plan import UnknownProfileError
from kore_tui.core.engine import Engine
from kore_tui.core.job import Job, JobState
from kore_tui.core.resources import Action
from kore_tui.core.text import inert
from kore_tui.tui.deploy_plan_view import DeployPlan, plan_deploy, split_kinds
from kore_tui.tui.lifecycle_told import lifecycle_told
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.deploy_form import DeployForm, form_source
from kore_tui.tui.widgets.job_columns import short_id
from kore_tui.tui.widgets.jobs_table import JobsTable
from kore_tui.tui.write_access import refusal

if TYPE_CHECKING:
    from kore_tui.tui.screens.panel import PanelScreen

DEPLOY_WARNING = "Deploying starts machines that cost money until they are undeployed."
BOUNCE_WARNING = (
    "Each stops serving, then is redeployed once its undeploy is verified "
    "SUCCESS; a FAILED or UNKNOWN undeploy stops there."
)


@dataclass(frozen=True)
class Kind:
    """One of the three actions: what it is called and which engine call it makes."""

    verb: str  # the confirmation's title and button
    name: str  # in "read-only: ... is disabled"
    bounce: bool
    warning: str


DEPLOY = Kind("Deploy", "deploy", False, DEPLOY_WARNING)
UNDO = Kind("Undo: redeploy", "undo (redeploy)", False, DEPLOY_WARNING)
BOUNCE = Kind("Bounce", "bounce", True, BOUNCE_WARNING)


def undoable(job: Job) -> bool:
    """A finished undeploy that succeeded, of a model or a tool: what undo redeploys."""
    return (
        job.action == Action.UNDEPLOY
        and job.state is JobState.SUCCESS
        and job.resource in ("model", "tool")
        and bool(job.model_id)
    )


def bounceable(job: Job) -> bool:
    """A job whose resource can be bounced now: it has one, and the job is final (a live
    job of the same resource would only be joined)."""
    return job.resource in ("model", "tool") and bool(job.model_id) and job.is_final


LIFECYCLE_GROUP = "lifecycle"  # the workers of deploy, undo, bounce: their dialogs are awaited


class Lifecycle:
    def __init__(self, screen: PanelScreen) -> None:
        self.screen = screen
        # The deploy form's last entries per (environment, models): given back when the
        # same models need the form again (after Esc at the confirmation, say).
        self._entered: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}

    def start(
        self,
        ids: list[str],
        kind: Kind,
        note: Text | None = None,
        on_sent: Callable[[], str] | None = None,
        undoing: list[Job] | None = None,
        after_confirm: Callable[[], str] | None = None,
    ) -> None:
        """Ask for what is missing, confirm, send (in a worker: the modals are awaited).
        ``on_sent`` (the ID box's) runs once the operator has confirmed, and the jobs panel
        takes the focus; what it returns ends the toast. ``after_confirm`` (the panel's)
        does the same without moving the focus. ``undoing``: the undeploys an undo
        redeploys (one redeployed since is left out)."""
        self.screen.run_worker(
            self._run(ids, kind, note, on_sent, undoing or [], after_confirm),
            group=LIFECYCLE_GROUP,
            exclusive=True,
            exit_on_error=False,
        )

    def refused(self, kind: Kind) -> bool:
        """Say why nothing happens (no host, read-only); True when the action is refused.
        The engine refuses read-only too: this only saves a dialog that could not work."""
        screen = self.screen
        kore = screen.kore
        env = kore.env
        if kore.host is None or env is None:
            screen.notify("No environment connected: press F2.", severity="warning")
            return True
        if kore.read_only or env.read_only:
            screen.notify(refusal(kore.read_only, env.name, kind.name), severity="error")
            return True
        return False

    async def _run(
        self,
        ids: list[str],
        kind: Kind,
        note: Text | None,
        on_sent: Callable[[], str] | None,
        undoing: list[Job],
        after_confirm: Callable[[], str] | None = None,
    ) -> None:
        screen = self.screen
        kore = screen.kore
        host, env = kore.host, kore.env
        if self.refused(kind) or host is None or env is None:
            return
        if undoing:
            # The same undo twice sent a second deploy (the platform's 409, an ERROR row).
            def since(engine: Engine) -> dict[str, Job]:
                later = {j.model_id: engine.redeployed_since(j) for j in undoing if j.model_id}
                return {m: d for m, d in later.items() if d is not None}

            done = await asyncio.wrap_future(host.call(since))
            if done:
                ids = [i for i in ids if i not in done]
                said = already_redeployed(done)
                if not ids:
                    screen.notify(f"Nothing sent: {said}", severity="warning", timeout=10)
                    return
                line = Text(said, style="bold")
                note = Text.assemble(note, "\n", line) if note is not None else line
        models, _tools = split_kinds(ids)

        def recorded(engine: Engine) -> dict[str, ModelDeployParams | None]:
            return {m: engine.recorded_deploy_params(m) for m in models}

        try:
            found = await asyncio.wrap_future(host.call(recorded)) if models else {}
            plan = plan_deploy(ids, found, kore.profiles, env)
        except (UnknownProfileError, DeployParamsError) as exc:
            screen.notify(f"Nothing sent: {inert(str(exc), 300)}", severity="error", timeout=10)
            return
        if plan.missing:
            entered = self._entered.setdefault((env.name, tuple(sorted(plan.missing))), {})
            profiles = kore.profiles.deploy_profiles
            params = await screen.app.push_screen_wait(
                DeployForm(
                    env.name,
                    list(plan.missing),
                    plan.missing_reason,
                    profiles,
                    verb=kind.verb,
                    entered=entered,
                )
            )
            if params is None:
                screen.notify("Cancelled: nothing was sent.")
                return
            plan = plan.with_params(params, form_source(entered, profiles))
        ok = await screen.app.push_screen_wait(
            ConfirmUndeploy(
                env,
                plan.ids,
                verb=kind.verb,
                note=note,
                costs=plan.cost_lines(),
                warning=kind.warning,
            )
        )
        if not ok:
            screen.notify("Cancelled: nothing was sent.")
            return
        tail = on_sent() if on_sent else after_confirm() if after_confirm else ""
        self._send(plan, kind, tail)
        # The cursor goes to the first row the action brings, from the panel too (an undo's
        # deploy row came in off-screen below; Enter opened the old undeploy).
        screen.query_one(JobsTable).follow_next_new()
        if on_sent is not None:  # from the ID box: the jobs panel next, as after ctrl+u
            screen.query_one(JobsTable).focus()

    def _send(self, plan: DeployPlan, kind: Kind, tail: str) -> None:
        batches = plan.batches()

        def start(engine: Engine) -> str:
            send = engine.bounce if kind.bounce else engine.deploy
            jobs = [job for ids, params in batches for job in send(ids, params)]
            return lifecycle_told(
                jobs, engine.notes, engine.not_started, bounce=kind.bounce, tail=tail
            )

        self.screen._send(start, "")


def already_redeployed(done: dict[str, Job]) -> str:
    """ "1 already redeployed since its undeploy (cm-…: DEPLOY SUCCESS): left alone, an
    undo again would deploy it twice." """
    shown = ", ".join(
        f"{short_id(m)}: DEPLOY {job.state.value}" for m, job in list(done.items())[:3]
    )
    more = f", … {len(done) - 3} more" if len(done) > 3 else ""
    return (
        f"{len(done)} already redeployed since its undeploy ({shown}{more}): left alone, "
        "an undo again would deploy it twice."
    )
