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


NEW_KEY = "kg-rotated-1111111111111111"
ROTATED = {"x-api-key": NEW_KEY}  # the simulator's admin calls take its key too


async def test_a_key_refused_at_connect_is_asked_for_before_anything_is_pasted(
    simenv: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong key was found only at the first undeploy (after the paste and, in a
    protected environment, the typed name): the console now asks one read-only question
    when it connects (Get Dock Status of an ID that does not exist: 404 with a good key)."""
    monkeypatch.setenv("SIM_KEY", "kg-revoked-0000000000000000")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # Pushed is not yet composed: a loaded machine found no #key field (a full run).
        await until(
            pilot, lambda: isinstance(app.screen, KeyPrompt) and bool(app.screen.query("#key"))
        )
        prompt = app.screen
        assert isinstance(prompt, KeyPrompt) and "refused" in prompt.reason
        assert "KEY REFUSED" in str(app.main.query_one("#banner", Static).render())
        counters = admin_sync(simenv.url, "/_sim/counters")
        assert counters["undeployReceived"] == {} and counters["requests"], counters
        prompt.query_one("#key", Input).value = SENTINEL_KEY
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#ok")
        await until(pilot, lambda: not isinstance(app.screen, KeyPrompt))
        # The new key is checked at once: the banner said AUTH FAILED, "no OK answer yet",
        # on an idle environment until a request happened to go out (an operator's run).
        banner = app.main.query_one("#banner", Static)
        await until(pilot, lambda: "last OK" in str(banner.render()), 5)
        assert "AUTH FAILED" not in str(banner.render())
        await undeploy_in_ui(app, pilot, simenv.model_ids[:1])
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 1)
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}


async def test_a_good_key_reads_ok_in_the_banner_before_any_job(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await until(
            pilot, lambda: "last OK" in str(app.main.query_one("#banner", Static).render()), 5
        )
        assert not isinstance(app.screen, KeyPrompt)


async def test_a_refused_key_pauses_asks_for_a_new_one_and_goes_on(
    simenv: SimulatorThread,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        # The key is rotated on the platform while the console runs.
        admin_sync(simenv.url, "/_sim/key", "POST", json={"apiKey": NEW_KEY})
        await undeploy_in_ui(app, pilot, simenv.model_ids[:3])
        await until(
            pilot, lambda: isinstance(app.screen, KeyPrompt) and bool(app.screen.query("#key"))
        )
        prompt = app.screen
        assert isinstance(prompt, KeyPrompt) and "refused" in prompt.reason
        banner = str(app.main.query_one("#banner", Static).render())
        assert "KEY REFUSED" in banner
        await pilot.pause(0.5)  # deliberate: time for sends that must not happen
        assert admin_sync(simenv.url, "/_sim/counters", headers=ROTATED)["undeployAccepted"] == {}
        assert not any(j.state is JobState.SUCCESS for j in app.main.model.jobs.values())
        await pilot.click("#ok")  # no key typed: the dialog says why (it shows no toasts)
        assert "Enter a key" in str(prompt.query_one("#why", Static).render())
        prompt.query_one("#key", Input).value = NEW_KEY
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#ok")
        await until(pilot, lambda: all_final(app) and len(app.main.model.jobs) == 3)
        assert {j.state for j in app.main.model.jobs.values()} == {JobState.SUCCESS}
        accepted = admin_sync(simenv.url, "/_sim/counters", headers=ROTATED)["undeployAccepted"]
        assert set(accepted.values()) == {1}
        assert not isinstance(app.screen, KeyPrompt)  # asked once, not again after the fix
        banner = str(app.main.query_one("#banner", Static).render())
        assert "KEY REFUSED" not in banner
