"""The served demo is the terminal demo, locked: tools in the paste and a default deploy
profile (undo, deploy and bounce work without the form)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kore_tui.core.secret import Secret
from kore_tui.serve.console import demo_app, deployed_resources
from kore_tui.serve.locked import LockedKoreApp
from kore_tui.simulator import SimConfig, SimulatorThread
from kore_tui.tui.launch import DEMO_PROFILE_NAME

KEY = "kg-served-demo-test-key-0123456789"


@pytest.fixture
def sim() -> Iterator[SimulatorThread]:
    thread = SimulatorThread(SimConfig(api_key=KEY, models=3, tools=2, seed=7)).start()
    try:
        yield thread
    finally:
        thread.stop()


def test_deployed_resources_lists_models_and_tools(sim: SimulatorThread) -> None:
    models, tools = deployed_resources(sim.url, Secret(KEY))
    assert models == list(sim.model_ids)
    assert tools == list(sim.tool_ids) and len(tools) == 2


def test_the_served_demo_pastes_tools_and_has_a_default_profile(
    sim: SimulatorThread, tmp_path: Path
) -> None:
    app = demo_app(sim.url, Secret(KEY), tmp_path, read_only=False)
    assert isinstance(app, LockedKoreApp)
    assert app.env is not None and app.env.deploy_profile == DEMO_PROFILE_NAME
    assert DEMO_PROFILE_NAME in app.profiles.deploy_profiles
    assert app.journal_path == tmp_path / "demo-journal.sqlite3"
    prefill = app._prefill
    assert all(t in prefill for t in sim.tool_ids)
    assert all(m in prefill for m in sim.model_ids)
