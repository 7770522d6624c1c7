"""The console's environment editor and theme write only what changed, over the file as it
is on disk now: what `kore-tui env add` or a text editor did meanwhile survives."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, OptionList, Select

from kore_tui.core import paths
from kore_tui.core.config import Environment, load_config
from kore_tui.core.config_writer import put_environment
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.screens.environments import NO_PROFILE, EnvironmentEditor, EnvironmentPicker
from kore_tui.tui.screens.prompts import YesNo
from tests.tui.conftest import configured_sim, env_block, make_app, until, write_config
from tests.tui.test_console import SIZE, undeploy_in_ui
from tests.tui.test_lifecycle import PROFILE


@pytest.fixture
def commented(simenv: SimulatorThread) -> str:
    text = '# hand-written: keep this comment\ndefault = "sim"  # the simulator\n\n' + env_block(
        "sim", simenv.url, 'colour = "blue"  # calm'
    )
    write_config(text)
    return text


async def open_editor_for_sim(pilot: Pilot[int]) -> EnvironmentEditor:
    await pilot.press("f2")
    assert isinstance(pilot.app.screen, EnvironmentPicker)
    await pilot.press("e")
    editor = pilot.app.screen
    assert isinstance(editor, EnvironmentEditor)
    return editor


async def test_saving_an_edit_keeps_an_environment_added_meanwhile_and_comments(
    simenv: SimulatorThread, commented: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        # Another process adds an environment while the console is open.
        put_environment(Environment("qa", "https://qa.kore.ai"))
        editor = await open_editor_for_sim(pilot)
        editor.query_one("#protected", Checkbox).value = True
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#save")
        await until(pilot, lambda: load_config().environments["sim"].protected)
        await until(pilot, lambda: app.config is not None and "qa" in app.config.environments)
    text = paths.config_path().read_text()
    assert "[environments.qa]" in text, "the environment added meanwhile survived"
    for comment in ("# hand-written: keep this comment", "# the simulator", "# calm"):
        assert comment in text
    assert load_config().default == "sim"


async def test_saving_over_a_conflicting_change_is_refused(
    simenv: SimulatorThread, commented: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    said: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
        editor = await open_editor_for_sim(pilot)
        # Someone edits the same environment on disk while the editor is open.
        changed = commented.replace("# calm", "# calm\nprotected = true")
        write_config(changed)
        editor.query_one("#read_only", Checkbox).value = True
        editor.query_one("#host", Input).value = "http://127.0.0.1:9"
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#save")
        await until(pilot, lambda: any("Config not saved" in m for m in said))
        await pilot.pause(0.3)
        # A break-it run: the refused edit still re-pointed the open environment (host,
        # protection) while the file kept the old one; a send then went to the new host.
        assert app.env is not None and app.env.host == simenv.url and not app.env.read_only
        assert app.host is not None and app.host.env.host == simenv.url
    assert any("'sim' was changed in the file meanwhile" in m for m in said)
    assert paths.config_path().read_text() == changed


async def test_saving_an_unchanged_edit_keeps_hex_colour_and_deploy_profile(
    simenv: SimulatorThread,
) -> None:
    """Saved unchanged, an environment lost its hex colour (the list offers names only) and
    the running session its deploy_profile (undo then asked for parameters)."""
    text = env_block("sim", simenv.url, 'colour = "#ff8800"\ndeploy_profile = "gpu"')
    write_config('default = "sim"\n' + text + PROFILE)
    before = load_config().environments["sim"]
    assert before.colour == "#ff8800" and before.deploy_profile == "gpu"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await open_editor_for_sim(pilot)
        await pilot.pause(0.3)
        await pilot.click("#save")
        await until(pilot, lambda: app.config is not None and app.env is not before)
        assert app.env == before, app.env
    assert load_config().environments["sim"] == before


@pytest.mark.parametrize(("on_disk", "picked"), [(None, "gpu"), ("gpu", None)])
async def test_the_editor_sets_and_clears_the_deploy_profile(
    simenv: SimulatorThread, on_disk: str | None, picked: str | None
) -> None:
    """The editor had no field for it: an environment without one refused undo, redeploy
    and bounce ("no deploy parameters") until its TOML was edited by hand."""
    extra = f'deploy_profile = "{on_disk}"' if on_disk else ""
    write_config('default = "sim"\n' + env_block("sim", simenv.url, extra) + PROFILE)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        editor = await open_editor_for_sim(pilot)
        field = editor.query_one("#deploy_profile", Select)
        assert field.value == (on_disk or NO_PROFILE)
        assert [str(prompt) for prompt, _ in field._options] == ["none", "gpu"]
        field.value = picked or NO_PROFILE
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#save")
        await until(pilot, lambda: load_config().environments["sim"].deploy_profile == picked)
        await until(pilot, lambda: app.env is not None and app.env.deploy_profile == picked)
    written = "deploy_profile = " in paths.config_path().read_text()
    assert written is (picked is not None), "none is no key in the file, not an empty one"


async def test_enter_in_an_editor_field_saves(simenv: SimulatorThread, commented: str) -> None:
    """An operator's run: Enter in a field did nothing; Save was eight Tabs away."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        editor = await open_editor_for_sim(pilot)
        editor.query_one("#key_env", Input).focus()
        editor.query_one("#key_env", Input).value = "OTHER_KEY"
        await pilot.press("enter")
        await until(pilot, lambda: load_config().environments["sim"].key_env == "OTHER_KEY")


async def test_the_editor_s_deploy_profile_says_where_profiles_come_from_when_none_exist(
    simenv: SimulatorThread, commented: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        editor = await open_editor_for_sim(pilot)
        field = editor.query_one("#deploy_profile", Select)
        assert field.disabled and field.value == NO_PROFILE
        assert "[deploy_profiles.NAME]" in str(field._options[0][0])


async def test_theme_is_saved_without_rewriting_the_file(
    simenv: SimulatorThread, commented: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        put_environment(Environment("qa", "https://qa.kore.ai"))
        app.theme = "nord"
        await until(pilot, lambda: "nord" in paths.config_path().read_text())
    config = load_config()
    assert config.settings.theme == "nord" and "qa" in config.environments
    # The console runs with fast test settings: only the theme reaches the file.
    assert config.settings.poll_initial == 2.0
    assert "# hand-written: keep this comment" in paths.config_path().read_text()


async def test_cancelling_a_remove_or_an_edit_goes_back_to_the_picker(
    simenv: SimulatorThread, commented: str
) -> None:
    """Esc on 'Remove environment …?' (or in the editor) closed the picker too: the
    operator had to press F2 again to get back to the list they were working in."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f2")
        assert isinstance(app.screen, EnvironmentPicker)
        await pilot.press("d")
        await until(pilot, lambda: not isinstance(app.screen, EnvironmentPicker))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentPicker))
        await open_editor_for_sim_from_picker(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentPicker))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, EnvironmentPicker))
    assert "sim" in load_config().environments, "nothing was removed"


async def open_editor_for_sim_from_picker(pilot: Pilot[int]) -> None:
    await pilot.press("e")
    await until(pilot, lambda: isinstance(pilot.app.screen, EnvironmentEditor))


async def test_removing_an_environment_with_unfinished_jobs_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A break-it run: removing the open environment mid-undeploy dropped its rows, nothing
    followed them any more, quit printed no hint, and `status --env` no longer knew it."""
    with configured_sim(monkeypatch, models=2, job_seconds=(60.0, 60.0)) as sim:
        app = make_app()
        said: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.host is not None)
            await undeploy_in_ui(app, pilot, sim.model_ids[:1])
            await until(pilot, lambda: len(app.main.model.jobs) == 1)
            monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
            await pilot.press("f2")
            assert isinstance(app.screen, EnvironmentPicker)
            await pilot.press("d")
            await until(pilot, lambda: any("unfinished" in m for m in said))
            assert not isinstance(app.screen, YesNo)
            assert app.host is not None and app.env is not None and app.env.name == "sim"
            assert len(app.main.model.jobs) == 1
        assert "sim" in load_config().environments


async def test_adding_another_name_for_a_protected_platform_says_it_is_guarded(
    simenv: SimulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An environment saved on a protected environment's host (under another spelling)
    is asked as protected from then on: the save said only 'Saved <path>'."""
    write_config(
        'default = "sim"\n'
        + env_block("sim", simenv.url)
        + env_block("prod", simenv.url, "protected = true")
    )
    app = make_app()
    said: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentPicker))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentEditor))
        editor = app.screen
        assert isinstance(editor, EnvironmentEditor)
        editor.query_one("#name", Input).value = "stage"
        editor.query_one("#host", Input).value = simenv.url.replace("127.0.0.1", "localhost")
        await pilot.pause(0.3)  # a Button ignores presses during its 0.2 s press effect
        await pilot.click("#save")
        await until(pilot, lambda: any(m.startswith("Saved") for m in said))
        guarded = "stage shares the platform of protected prod: its actions are asked as"
        assert any(guarded in m for m in said), said


async def test_the_picker_itself_says_when_the_config_on_disk_is_broken(
    simenv: SimulatorThread, commented: str
) -> None:
    """A break-it run: a duplicate [environments.prod] appended to the config, then F2: the
    picker listed the old environments with no warning (the toast was raised under the
    dialog, which shows none), while `env list` said 'not valid TOML'."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        write_config(commented + "\n[environments.sim]\nhost = 'x'\n")
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentPicker))
        shown = " ".join(str(w.render()) for w in app.screen.query(".warning"))
        assert "could not be read again" in shown and "config.toml:9: not valid TOML" in shown
        assert "the list is the one read before" in shown


async def test_a_save_or_remove_says_what_it_did_to_which_environment(
    simenv: SimulatorThread, commented: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A break-it run: removing 'qa' said only 'Saved /tmp/…/confi' 'g.toml' (the path cut
    mid-word by the toast), nothing about qa."""
    from pathlib import Path

    monkeypatch.setenv("HOME", str(paths.config_path().parent.parent))
    put_environment(Environment("qa", "https://qa.kore.ai"))
    app = make_app()
    said: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentPicker))
        picker = app.screen
        assert isinstance(picker, EnvironmentPicker)
        picker.query_one("#envs", OptionList).highlighted = 0  # qa, sorted first
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, YesNo))
        await pilot.click("#yes")
        await until(pilot, lambda: bool(said))
    home = Path(paths.config_path().parent.parent)
    shown = str(paths.config_path().relative_to(home))
    assert said[-1] == f"Removed environment qa from ~/{shown}", said
