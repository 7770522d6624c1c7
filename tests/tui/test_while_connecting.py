"""An action pressed while the console is still starting its engine (the first second, or
right after F2 to a new environment on a slow machine).

It said "No environment connected: press F2.": the picker then showed the environment
connected, and the operator did not know whether the undeploy had gone anywhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kore_tui.core.engine_host import EngineHost
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from tests.tui.conftest import make_app, until
from tests.tui.test_console import paste
from tests.tui.test_console_fluent import messages


@pytest.fixture
def held_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """EngineHost.start waits until the test sets the event (10 s at most)."""
    go = threading.Event()
    start = EngineHost.start

    def held(self: EngineHost, *args: Any, **kwargs: Any) -> EngineHost:
        go.wait(10)
        return start(self, *args, **kwargs)

    monkeypatch.setattr(EngineHost, "start", held)
    yield go
    go.set()


async def test_an_undeploy_while_connecting_says_so_and_works_once_connected(
    simenv: SimulatorThread, held_start: threading.Event
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.main.is_attached)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        told = "Still connecting to sim: nothing was sent; try again in a moment."
        await until(pilot, lambda: told in messages(app))
        assert not any("press F2" in m for m in messages(app)), messages(app)
        assert app.host is None
        held_start.set()
        await until(pilot, lambda: app.host is not None)
        await pilot.press("ctrl+u")
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
