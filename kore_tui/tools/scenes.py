"""Deterministic scenes of the console, for README screenshots and snapshot tests.

Every scene is the real app (real screens, widgets and modals) with a frozen
clock and a fixed size. The jobs panel is fed a scripted set of jobs built
from the seeded demo simulator's model IDs, written into the same JobStore the
engine writes to; a live run would make polls and timings differ from one
run to the next, and the files must be byte-identical.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from kore_tui.core.config import Config, Settings
from kore_tui.core.journal import Journal
from kore_tui.core.store import HostHealth, JobStore
from kore_tui.tools.scene_data import (
    FROZEN,
    MESSY_PASTE,
    SEED,
    StaticHost,
    demo_model_ids,
    demo_tool_ids,
    environments,
    scripted_jobs,
)
from kore_tui.tui.app import KoreApp
from kore_tui.tui.deploy_plan_view import plan_deploy
from kore_tui.tui.launch import DEMO_PROFILE_NAME, demo_deploy_config
from kore_tui.tui.lifecycle import UNDO
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.environments import EnvironmentPicker
from kore_tui.tui.screens.history import HistoryScreen
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable

# The scene data's names stay importable from here (tests and benchmarks use them).
__all__ = [
    "AT_EVERY_SIZE",
    "FROZEN",
    "MESSY_PASTE",
    "SCENES",
    "SEED",
    "SIZE",
    "SIZES",
    "Scene",
    "StaticHost",
    "build_app",
    "demo_model_ids",
    "demo_tool_ids",
    "environments",
    "isolate_files",
    "scripted_jobs",
    "settle",
]

SIZE = (120, 36)
# Layout is checked at these sizes too (snapshot tests); README screenshots use SIZE.
SIZES = ((80, 24), (120, 36), (200, 50))
AT_EVERY_SIZE = ("live-panel", "confirm", "confirm-protected", "deploy-confirm", "quit", "help")


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
    # The picker opens once the config is read again, on a worker thread.
    deadline = time.monotonic() + 10
    while not isinstance(app.screen, EnvironmentPicker):
        if time.monotonic() > deadline:
            raise TimeoutError("the environment picker did not open within 10 s")
        await asyncio.sleep(0.01)
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
    await _until_history_shows(app, pilot, "environment prod")
    await pilot.press("t")
    await _until_history_shows(app, pilot, "all environments")


async def _until_history_shows(app: KoreApp, pilot: Pilot[int], scope: str) -> None:
    """The journal is read on a worker thread: wait for its rows, not a fixed time (it was
    two 0.5 s sleeps, most of a snapshot test's time, and still a guess on a busy machine)."""
    deadline = time.monotonic() + 10
    while not (isinstance(screen := app.screen, HistoryScreen) and screen.scope == scope):
        if time.monotonic() > deadline:
            raise TimeoutError(f"history did not show {scope} within 10 s")
        await asyncio.sleep(0.01)
    await pilot.pause()


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
