from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import textual.app
import textual.pilot
from textual.pilot import Pilot

from kore_tui.core import paths
from kore_tui.core.config import Settings, load_config
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from tests import helpers
from tests.conftest import sim_config

FAST = Settings(poll_initial=0.05, poll_max=0.3, requests_per_second=0.0, not_found_grace=2.0)


def write_config(text: str) -> Path:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def env_block(name: str, url: str, extra: str = "") -> str:
    return f'[environments.{name}]\nhost = "{url}"\nkey_env = "SIM_KEY"\n{extra}\n'


def make_app(default_env: str | None = "sim", read_only: bool = False) -> KoreApp:
    config = load_config()
    env = config.environments.get(default_env) if default_env else None
    return KoreApp(config=config, env=env, read_only=read_only, settings=FAST)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """tests.helpers.until, sleeping on the app's own event loop between checks.

    The app runs on this loop (run_test), so a plain sleep lets it process its messages.
    ``pilot.pause(t)`` did too, but first walked every widget of the screen and posted a
    callback to each, on every check: CPU spent for nothing, since ``condition`` reads
    state, not the screen's pending messages."""
    del pilot  # kept in the signature: the caller's app runs while we sleep
    await helpers.until(condition, timeout, interval=0.02)


async def _wait_for_idle_of_this_thread(min_sleep: float = 0.02, max_sleep: float = 1) -> None:
    """textual._wait.wait_for_idle, measuring the CPU of the UI thread only.

    Textual's version compares wall time with ``process_time()``: the CPU of the whole
    process. Here the simulator and the engine run on threads of the test process, so
    the process was rarely "idle" and every ``pilot.press`` / ``pilot.pause()`` slept
    towards its 1 s cap (76 s of the tui tests' 270 s summed wall). What these waits are
    for is the app's own messages, which run on this (the event loop's) thread; work on
    other threads (engine, simulator, workers) is waited for explicitly with ``until``."""
    start = time.monotonic()
    while True:
        cpu = time.thread_time()
        await asyncio.sleep(0.02)
        elapsed = time.monotonic() - start
        if elapsed >= max_sleep:
            break
        if elapsed > min_sleep and time.thread_time() - cpu < 0.001:
            break


@pytest.fixture(autouse=True)
def _idle_means_the_ui_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both modules import the name; Pilot.press goes through App._press_keys.
    monkeypatch.setattr(textual.pilot, "wait_for_idle", _wait_for_idle_of_this_thread)
    monkeypatch.setattr(textual.app, "wait_for_idle", _wait_for_idle_of_this_thread)


@contextmanager
def configured_sim(monkeypatch: pytest.MonkeyPatch, **sim: Any) -> Iterator[SimulatorThread]:
    """A simulator (``sim_config(**sim)``) with the sentinel key, as the config's default
    environment "sim"."""
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    with SimulatorThread(sim_config(**sim)) as thread:
        write_config('default = "sim"\n' + env_block("sim", thread.url))
        yield thread


@pytest.fixture
def simenv(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    # Jobs here only have to end (tests that need one in flight start a slower simulator).
    with configured_sim(monkeypatch, models=12, job_seconds=(0.05, 0.2)) as sim:
        yield sim
