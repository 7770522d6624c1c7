from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
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
    """tests.helpers.until, pausing through the pilot so the app runs between checks."""
    await helpers.until(condition, timeout, pause=pilot.pause, interval=0.05)


@pytest.fixture
def simenv(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimulatorThread]:
    from tests.conftest import SENTINEL_KEY

    monkeypatch.setenv("SIM_KEY", SENTINEL_KEY)
    with SimulatorThread(sim_config(models=12, job_seconds=(0.2, 0.6))) as sim:
        write_config('default = "sim"\n' + env_block("sim", sim.url))
        yield sim
