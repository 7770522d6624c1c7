"""Console flows around environments, keys, themes, the palette, copy and pause."""

from __future__ import annotations

import stat
import tomllib

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import Button, Checkbox, Input, OptionList, Static

from kore_tui.core import paths
from kore_tui.core.config import load_config
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.environments import EnvironmentEditor, EnvironmentPicker
from kore_tui.tui.screens.prompts import KeyPrompt, YesNo
from kore_tui.tui.widgets.jobs_table import JobsTable
from tests.conftest import SENTINEL_KEY
from tests.tui.conftest import env_block, make_app, until, write_config
from tests.tui.test_console import SIZE, all_final, paste, undeploy_in_ui


async def test_add_edit_remove_environment_and_key_prompt(
    simenv: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f2")
        assert isinstance(app.screen, EnvironmentPicker)
        await pilot.press("n")
        assert isinstance(app.screen, EnvironmentEditor)
        editor = app.screen
        editor.query_one("#name", Input).value = "qa"
        editor.query_one("#host", Input).value = "http://qa.kore.ai"
        await pilot.click("#save")
        assert isinstance(app.screen, EnvironmentEditor), "http to a remote host is refused"
        assert "https" in str(editor.query_one("#error").render())
        editor.query_one("#host", Input).value = simenv.url
        editor.query_one("#protected", Checkbox).value = True
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#save")
        await until(pilot, lambda: "qa" in paths.config_path().read_text())
        assert app.host is not None and app.host.env.name == "sim", "no silent switch"
        await pilot.press("f2")
        app.screen.query_one("#envs", OptionList).highlighted = 0  # "qa" sorts before "sim"
        await pilot.press("enter")
        # No key anywhere for "qa": the console asks, in a password field.
        await until(pilot, lambda: isinstance(app.screen, KeyPrompt))
        prompt = app.screen
        key_input = prompt.query_one("#key", Input)
        assert key_input.password
        await pilot.press("ctrl+r")
        assert not key_input.password
        key_input.value = SENTINEL_KEY
        prompt.query_one("#remember", Checkbox).value = True
        await pilot.click("#ok")
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        assert app.focused is not None and app.focused.id == "no"
        await pilot.click("#yes")
        await until(pilot, lambda: app.host is not None and app.host.env.name == "qa")
        await until(pilot, lambda: paths.credentials_path().exists())
        creds = paths.credentials_path()
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        config = tomllib.loads(paths.config_path().read_text())
        assert config["environments"]["qa"]["protected"] is True
        assert SENTINEL_KEY not in paths.config_path().read_text()
        banner = str(app.main.query_one("#banner", Static).render())
        assert "qa" in banner and "PROTECTED" in banner
        await pilot.press("f2")
        picker = app.screen
        assert isinstance(picker, EnvironmentPicker)
        picker.query_one("#envs").highlighted = 0  # "qa" sorts before "sim"
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        await pilot.click("#yes")
        await until(
            pilot,
            lambda: "qa" not in tomllib.loads(paths.config_path().read_text())["environments"],
        )
        assert "qa" not in tomllib.loads(creds.read_text()).get("keys", {})


async def test_theme_is_persisted(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        app.theme = "nord"
        await until(pilot, lambda: "nord" in paths.config_path().read_text())
    config = load_config()
    assert config.settings.theme == "nord"
    again = KoreApp(config=config, env=config.environments["sim"])
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert again.theme == "nord"


async def test_palette_copy_and_pause(simenv: SimulatorThread) -> None:
    from kore_tui.tui.screens.main import console_keys

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Theme" in titles
        assert {k.text for k in console_keys() if not k.action.startswith("app.")} <= titles
        await undeploy_in_ui(app, pilot, simenv.model_ids[:2])
        # The keys act on the rows the table shows, which follow the model on its next rebuild.
        await until(pilot, lambda: all_final(app) and len(app.main.model.visible) == 2)
        app.main.query_one(JobsTable).focus()
        await pilot.press("a", "c")
        copied = app.clipboard.splitlines()
        ds_ids = [j.dock_status_id or "" for j in app.main.model.jobs.values()]
        assert sorted(copied) == sorted(ds_ids)
        # The palette runs the command, not just lists it.
        await pilot.press("ctrl+p")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        # Set the search directly (style: not a key press per letter), then wait for its hits.
        palette.query_one(CommandInput).value = "pause or resume all"
        hits = palette.query_one(CommandList)
        await until(
            pilot,
            lambda: (
                hits.option_count > 0
                and "Pause or resume all" in str(hits.get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await until(pilot, lambda: app.host is not None and app.host.store.health.user_paused)
        app.main.refresh_banner()
        assert "PAUSED" in str(app.main.query_one("#banner", Static).render())
        await pilot.press("p")
        await until(pilot, lambda: app.host is not None and not app.host.store.health.user_paused)


async def test_disabled_confirm_button_cannot_be_clicked(simenv: SimulatorThread) -> None:
    write_config('default = "prod"\n' + env_block("prod", simenv.url, "protected = true"))
    app = make_app("prod")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        await pilot.press("ctrl+u")
        assert app.screen.query_one("#confirm", Button).disabled
        await pilot.click("#confirm")
        await pilot.pause(0.3)  # deliberate: time for jobs that must not start
        assert app.main.model.jobs == {}


async def test_a_failing_background_task_is_reported_not_fatal(simenv: SimulatorThread) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)

        def broken(engine: object) -> None:
            raise RuntimeError("boom")

        app.main._send(broken, "never")
        await until(pilot, lambda: any("boom" in str(n.message) for n in app._notifications))
        assert app.is_running


async def test_quit_with_active_jobs_asks_and_detail_stays_live() -> None:
    from kore_tui.tui.screens.detail import JobDetail
    from tests.conftest import sim_config

    slow = SimulatorThread(sim_config(models=2, job_seconds=(1.5, 1.5)))
    slow.start()
    try:
        write_config('default = "slow"\n' + env_block("slow", slow.url))
        import os

        os.environ["SIM_KEY"] = SENTINEL_KEY
        app = make_app("slow")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.host is not None)
            await undeploy_in_ui(app, pilot, [slow.model_ids[0]])
            # The keys act on the rows the table shows, which follow the model on its next rebuild.
            await until(pilot, lambda: len(app.main.model.visible) == 1)
            await pilot.press("enter")
            assert isinstance(app.screen, JobDetail)
            await until(
                pilot,
                lambda: (
                    "SUCCESS"
                    in str(app.screen.query_one("#detail", Static).render()).split("\n")[0]
                    if isinstance(app.screen, JobDetail)
                    else False
                ),
                timeout=10,
            )
            await pilot.press("escape")
            await undeploy_in_ui(app, pilot, [slow.model_ids[1]])
            await until(pilot, lambda: len(app.main.model.jobs) == 2)
            await pilot.press("ctrl+q")
            assert isinstance(app.screen, YesNo)
            await pilot.press("enter")  # "No" has the focus
            assert app.is_running
            await pilot.press("ctrl+q")
            await pilot.click("#yes")
            await until(pilot, lambda: not app.is_running)
    finally:
        slow.stop()


async def test_the_picker_stops_at_its_first_and_last_environment(
    simenv: SimulatorThread,
) -> None:
    """Down from the last environment wrapped to the first: an operator pressed it once too
    often and landed on prod, the protected default."""
    write_config(
        'default = "prod"\n'
        + env_block("prod", simenv.url, "protected = true")
        + env_block("stage", simenv.url)
    )
    app = make_app("stage")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f2")
        options = app.screen.query_one("#envs", OptionList)
        assert options.highlighted == 1  # stage, the one on screen
        await pilot.press("down")
        assert options.highlighted == 1
        await pilot.press("up", "up")
        assert options.highlighted == 0


async def test_the_picker_lists_an_environment_added_in_another_terminal(
    simenv: SimulatorThread,
) -> None:
    """An operator's run: `kore-tui env add bulk …` in another shell; F2 still listed only
    the environments the console started with (a restart was needed)."""
    write_config('default = "sim"\n' + env_block("sim", simenv.url))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        write_config(
            'default = "sim"\n' + env_block("sim", simenv.url) + env_block("bulk", simenv.url)
        )
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentPicker))
        options = app.screen.query_one("#envs", OptionList)
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert names == ["bulk", "sim"], names
        assert app.config is not None and "bulk" in app.config.environments
