"""The platform refuses the key mid-run: the console pauses, asks, and goes on."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from kore_tui.core.job import JobState
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.screens.prompts import KeyPrompt
from tests.conftest import SENTINEL_KEY
from tests.helpers import admin_sync
from tests.tui.conftest import make_app, until
from tests.tui.test_console import all_final, undeploy_in_ui

SIZE = (120, 36)


async def test_a_refused_key_pauses_asks_for_a_new_one_and_goes_on(
    simenv: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIM_KEY", "kg-revoked-0000000000000000")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await undeploy_in_ui(app, pilot, simenv.model_ids[:3])
        await until(pilot, lambda: isinstance(app.screen, KeyPrompt))
        prompt = app.screen
        assert isinstance(prompt, KeyPrompt) and "refused" in prompt.reason
        banner = str(app.main.query_one("#banner", Static).render())
        assert "KEY REFUSED" in banner
        await pilot.pause(0.5)  # deliberate: time for sends that must not happen
        assert admin_sync(simenv.url, "/_sim/counters")["undeployAccepted"] == {}
        assert not any(j.state is JobState.SUCCESS for j in app.main.model.jobs.values())
        await pilot.click("#ok")  # no key typed: the dialog says why (it shows no toasts)
        assert "Enter a key" in str(prompt.query_one("#why", Static).render())
        prompt.query_one("#key", Input).value = SENTINEL_KEY
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#ok")
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 3)
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}
        assert set(admin_sync(simenv.url, "/_sim/counters")["undeployAccepted"].values()) == {1}
        assert not isinstance(app.screen, KeyPrompt)  # asked once, not again after the fix
        banner = str(app.main.query_one("#banner", Static).render())
        assert "KEY REFUSED" not in banner
