"""Deterministic scenes of the console, for README screenshots and snapshot tests.

Every scene is the real app (real screens, widgets and modals) with a frozen
clock and a fixed size. The jobs panel is fed a scripted set of jobs built
from the seeded demo simulator's model IDs, written into the same JobStore the
engine writes to; a live run would make polls and timings differ from one
run to the next, and the files must be byte-identical.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from kore_tui.core.config import Config, Environment, Settings
from kore_tui.core.engine_host import EngineHost
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.job import Job, JobState, Transition
from kore_tui.core.journal import Journal
from kore_tui.core.secret import Secret
from kore_tui.core.store import HostHealth, JobStore
from kore_tui.simulator import SimConfig, Simulator
from kore_tui.tui.app import KoreApp
from kore_tui.tui.deploy_plan_view import plan_deploy
from kore_tui.tui.launch import DEMO_PROFILE_NAME, demo_deploy_config, demo_profile
from kore_tui.tui.lifecycle import UNDO
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable

SIZE = (120, 36)
# Layout is checked at these sizes too (snapshot tests); README screenshots use SIZE.
SIZES = ((80, 24), (120, 36), (200, 50))
AT_EVERY_SIZE = ("live-panel", "confirm", "confirm-protected", "deploy-confirm", "quit", "help")
FROZEN = datetime(2026, 11, 29, 3, 12, 40, tzinfo=UTC)
SEED = 2026


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StaticHost(EngineHost):
    """An EngineHost that never starts: a store that the scene fills, no thread, no network.

    A subclass rather than a look-alike, so the console takes it where it takes a real host
    and the type checker sees every use. Stopping a thread that never ran does nothing.
    """

    def __init__(self, env: Environment, store: JobStore) -> None:
        super().__init__(env, Secret(""), EngineSettings(), use_journal=False)
        self._loop.close()  # never run: close it now rather than warn when collected
        self.store = store

    def start(self, timeout: float = 15.0) -> EngineHost:
        raise RuntimeError("a scene's host has no engine to start")


def environments() -> dict[str, Environment]:
    envs = [
        Environment("prod", "https://agent-platform.kore.ai", protected=True, colour="red"),
        Environment("preprod", "https://preprod-gale.kore.ai", colour="yellow"),
        Environment("dev", "https://dev-agent-platform.kore.ai", colour="green"),
        Environment("audit", "https://gale.kore.ai", read_only=True, colour="blue"),
    ]
    return {e.name: e for e in envs}


def demo_model_ids() -> list[str]:
    return Simulator(SimConfig(models=24, seed=SEED)).model_ids


def demo_tool_ids() -> list[str]:
    # Tools are drawn from their own generator: the model IDs stay those above.
    return Simulator(SimConfig(models=24, seed=SEED, tools=4)).tool_ids


# Rows of the live panel that are not a model undeploy: a tool's undeploy, a redeploy
# (an undo) with its parameters, and a bounce's two halves.
def _lifecycle(job: Job, i: int) -> Job:
    if i == 1:
        return replace(job, model_id=demo_tool_ids()[0], job_type="TOOLS", resource="tool")
    if i == 4:
        return replace(job, action="DEPLOY", params=demo_profile().to_json())
    if i == 11:
        return replace(job, then="DEPLOY", params=demo_profile().to_json())
    return job


_SCRIPT = [
    (JobState.SUCCESS, 48, 6, None),
    (JobState.SUCCESS, 41, 6, None),
    (JobState.IN_PROGRESS, 95, 9, None),
    (JobState.FAILED, 37, 5, "the platform reported FAILED"),
    (JobState.SUCCESS, 22, 4, None),
    (JobState.IN_PROGRESS, 70, 8, None),
    (
        JobState.UNKNOWN,
        0,
        0,
        "HTTP 503 SERVICE_UNAVAILABLE: The service is temporarily "
        "unavailable (outcome unknown: the request may have reached the server; check the "
        "model before retrying)",
    ),
    (JobState.SUCCESS, 30, 5, None),
    (JobState.IN_PROGRESS, 64, 8, None),
    (JobState.ERROR, 0, 0, "HTTP 409 CONFLICT: Model is not deployed"),
    (JobState.SUBMITTING, 0, 0, None),
    (JobState.IN_PROGRESS, 12, 3, None),
    (JobState.SUCCESS, 55, 7, None),
    (JobState.QUEUED, 0, 0, None),
    (JobState.QUEUED, 0, 0, None),
    (JobState.TIMED_OUT, 1800, 74, "deadline of 1800s reached: still IN_PROGRESS"),
]


def scripted_jobs(env: Environment) -> list[Job]:
    rng = random.Random(SEED + 1)  # not SEED: the simulator drew the model IDs from it
    jobs = []
    for i, (model, (state, age, polls, error)) in enumerate(
        zip(demo_model_ids(), _SCRIPT, strict=False)
    ):
        submitted = FROZEN - timedelta(seconds=age + 2)
        sent = state not in {JobState.QUEUED}
        ds = f"ds-{uuid.UUID(int=rng.getrandbits(128), version=4)}" if polls else None
        status = {"SUCCESS": "SUCCESS", "FAILED": "FAILED"}.get(state.value, "IN_PROGRESS")
        checked = FROZEN - timedelta(seconds=(i % 4) + 1)
        queued = Transition(
            _iso(submitted - timedelta(seconds=1)), JobState.QUEUED, "queued for undeploy"
        )
        timeline: tuple[Transition, ...] = (queued,)
        if sent:
            timeline += (
                Transition(
                    _iso(submitted),
                    JobState.SUBMITTING,
                    "intent recorded; sending the undeploy request",
                ),
            )
        if ds:
            timeline += (
                Transition(
                    _iso(submitted + timedelta(milliseconds=180)),
                    JobState.IN_PROGRESS,
                    "accepted: server says IN_PROGRESS; verifying",
                    200,
                ),
            )
        if state not in {JobState.QUEUED, JobState.SUBMITTING, JobState.IN_PROGRESS}:
            timeline += (
                Transition(
                    _iso(checked),
                    state,
                    error or "verified with Get Dock Status",
                    200 if ds else 503,
                ),
            )
        jobs.append(
            Job(
                key=f"job-{i:03d}",
                environment=env.name,
                host=env.host,
                origin="sent",
                model_id=model,
                dock_status_id=ds,
                state=state,
                error=error,
                server_status=status if ds else None,
                polls=polls,
                attempts=1 if sent else 0,
                stale=i == 8,
                created_at=_iso(submitted - timedelta(seconds=1)),
                submitted_at=_iso(submitted) if sent else None,
                updated_at=_iso(checked if ds else submitted),
                last_checked_at=_iso(checked) if ds else None,
                last_response={
                    "_id": ds,
                    "toolId": model,
                    "jobType": "MODELS",
                    "action": "UNDEPLOY",
                    "status": status,
                }
                if ds
                else None,
                http_status=503
                if state is JobState.UNKNOWN
                else (409 if error and "409" in error else 200),
                timeline=timeline,
            )
        )
    return [_lifecycle(job, i) for i, job in enumerate(jobs)]


MESSY_PASTE = """modelId,name,owner
{0},support-bot-v3,ana
"{1}",faq-embedder,li
 • {2}
https://agent-platform.kore.ai/api/public/models/{3}/undeploy
{0}
cm-20xxxxxf-0xx9-5xx0-8xx1-81xxxxxxxx80
cm-7c1e
{4}
"""


@dataclass
class Scene:
    name: str
    title: str
    env: str | None
    setup: Callable[[KoreApp, Pilot[int]], Awaitable[None]]
    with_jobs: bool = True


def isolate_files() -> Path:
    """Point config and journal at a private temp folder (never the user's files)."""
    folder = Path(tempfile.mkdtemp(prefix="kore-tui-scenes-"))
    os.environ["KORE_TUI_CONFIG"] = str(folder / "config.toml")
    os.environ["KORE_TUI_JOURNAL"] = str(folder / "journal.sqlite3")
    return folder


def build_app(scene: Scene) -> KoreApp:
    envs = environments()
    config = Config(
        path=Path(os.environ.get("KORE_TUI_CONFIG", "/nonexistent/config.toml")),
        environments=envs,
        default="prod",
    )
    env = envs.get(scene.env) if scene.env else envs["prod"]
    assert env is not None
    app = KoreApp(
        config=config, env=env, settings=Settings(), clock=FROZEN.timestamp, connect_on_start=False
    )
    store = JobStore()
    if scene.with_jobs:
        store.put_many(scripted_jobs(env))
    store.set_health(HostHealth(last_success_wall=FROZEN.timestamp() - 1, errors=2))
    store.in_flight = 3
    app.adopt(env, StaticHost(env, store))
    return app


async def settle(app: KoreApp, pilot: Pilot[int]) -> None:
    for area in app.screen.query(TextArea):
        area.cursor_blink = False
    await app.main.query_one(IdEntry).current()  # the box is parsed off the UI loop
    await pilot.pause()
    app.main._drain()
    app.main.query_one("#jobs", JobsTable).rebuild()
    app.main.refresh_banner()
    await pilot.pause()


async def _environments(app: KoreApp, pilot: Pilot[int]) -> None:
    await settle(app, pilot)
    await pilot.press("f2")
    await pilot.pause()


async def _id_entry(app: KoreApp, pilot: Pilot[int]) -> None:
    await pilot.pause()  # the screen composes after the pilot starts
    ids = demo_model_ids()
    app.main.query_one(IdEntry).set_text(MESSY_PASTE.format(*ids[16:21]))
    await settle(app, pilot)


async def _confirm(app: KoreApp, pilot: Pilot[int]) -> None:
    await pilot.pause()
    app.main.query_one(IdEntry).set_text("\n".join(demo_model_ids()[16:23]))
    await settle(app, pilot)
    await pilot.press("ctrl+u")
    await pilot.pause()
    app.screen.query_one("#typed", Input).value = "pro"
    await pilot.pause()


async def _confirm_normal(app: KoreApp, pilot: Pilot[int]) -> None:
    await pilot.pause()
    app.main.query_one(IdEntry).set_text("\n".join(demo_model_ids()[16:23]))
    await settle(app, pilot)
    await pilot.press("ctrl+u")
    await pilot.pause()


async def _deploy_confirm(app: KoreApp, pilot: Pilot[int]) -> None:
    """An undo of three models and a tool with the environment's default profile: the
    confirmation the lifecycle flow shows (built from the same plan, no engine here)."""
    await settle(app, pilot)
    env = app.env
    assert env is not None
    ids = [*demo_model_ids()[16:19], demo_tool_ids()[1]]
    plan = plan_deploy(
        ids,
        {},
        demo_deploy_config(Path("/nonexistent")),
        replace(env, deploy_profile=DEMO_PROFILE_NAME),
    )
    app.push_screen(
        ConfirmUndeploy(
            env, plan.ids, verb=UNDO.verb, costs=plan.cost_lines(), warning=UNDO.warning
        )
    )
    await pilot.pause()


async def _quit(app: KoreApp, pilot: Pilot[int]) -> None:
    await settle(app, pilot)
    await pilot.press("ctrl+q")
    await pilot.pause()


async def _live(app: KoreApp, pilot: Pilot[int]) -> None:
    await settle(app, pilot)
    app.main.query_one("#jobs").focus()
    await pilot.press("down", "down", "down")
    await pilot.pause()


async def _detail(app: KoreApp, pilot: Pilot[int]) -> None:
    await _live(app, pilot)
    await pilot.press("enter")
    await pilot.pause()


async def _history(app: KoreApp, pilot: Pilot[int]) -> None:
    journal = Journal()
    journal.record(
        [
            replace(j, key=f"{e}-{j.key}")
            for e in ("prod", "preprod")
            for j in scripted_jobs(environments()[e])
        ]
    )
    journal.close()
    await settle(app, pilot)
    await pilot.press("f3")
    await pilot.pause(0.5)
    await pilot.press("t")
    await pilot.pause(0.5)


async def _help(app: KoreApp, pilot: Pilot[int]) -> None:
    await settle(app, pilot)
    await pilot.press("f1")
    await pilot.pause()


SCENES = [
    Scene("environments", "Environment picker", "prod", _environments),
    Scene("id-entry", "ID entry: feedback on a messy paste", "preprod", _id_entry, with_jobs=False),
    Scene(
        "confirm-protected",
        "Confirmation for a protected environment",
        "prod",
        _confirm,
        with_jobs=False,
    ),
    Scene("confirm", "Confirmation", "preprod", _confirm_normal, with_jobs=False),
    Scene(
        "deploy-confirm",
        "Undo: the redeploy's confirmation with what it costs",
        "preprod",
        _deploy_confirm,
    ),
    Scene("live-panel", "Live jobs panel mid-run", "prod", _live),
    Scene("quit", "Quit while jobs are running", "prod", _quit),
    Scene("job-detail", "Job detail: last response and timeline", "prod", _detail),
    Scene("history", "History from the journal", "prod", _history),
    Scene("help", "Help", "prod", _help),
]
