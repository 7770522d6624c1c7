"""The console a browser visitor gets: nothing that reads or writes the serving user's
files or environments. Each row also runs on the terminal console, where the action
works, so a check that could not fail would show."""

from __future__ import annotations

import pytest
from textual.screen import ModalScreen

from kore_tui.core import paths
from kore_tui.core.config import load_config
from kore_tui.core.secret import Secret
from kore_tui.serve.locked import LockedKoreApp
from kore_tui.simulator import SimulatorThread
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.environments import EnvironmentPicker
from kore_tui.tui.screens.prompts import PathPrompt, YesNo
from tests.conftest import SENTINEL_KEY
from tests.tui.conftest import (  # noqa: F401 (fixtures: simenv, pilot idle = UI thread idle)
    FAST,
    _idle_means_the_ui_thread,
    simenv,
    until,
)

SIZE = (120, 36)


def make(cls: type[KoreApp]) -> KoreApp:
    config = load_config()
    return cls(config=config, env=config.environments["sim"], read_only=True, settings=FAST)


def top(app: KoreApp) -> type[object] | None:
    screen = app.screen
    return type(screen) if isinstance(screen, ModalScreen) else None


def ask(app: KoreApp, action: str) -> None:
    """What the key, the button and the palette entry all call."""
    if action == "environments (F2)":
        app.action_environments()
    elif action == "load file (ctrl+o)":
        app.main.action_load_file()
    elif action == "export":
        app.main.action_export()
    elif action == "remember the key":
        assert app.config is not None
        app._offer_remember(app.config.environments["sim"], Secret(SENTINEL_KEY))


@pytest.mark.parametrize(
    ("action", "terminal_opens"),
    [
        ("environments (F2)", EnvironmentPicker),
        ("load file (ctrl+o)", PathPrompt),
        ("export", PathPrompt),
        ("remember the key", YesNo),
    ],
)
@pytest.mark.parametrize("cls", [KoreApp, LockedKoreApp])
async def test_what_touches_the_servers_files_is_off_in_the_browser(
    simenv: SimulatorThread,  # noqa: F811 (the fixture imported above)
    cls: type[KoreApp],
    action: str,
    terminal_opens: type[object],
) -> None:
    app = make(cls)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        ask(app, action)
        await pilot.pause(0.1)
        if cls is KoreApp:
            assert top(app) is terminal_opens
        else:
            assert top(app) is None
            shown = [n.message for n in app._notifications]
            assert any("not available in a browser console" in m for m in shown), shown


async def test_f2_key_and_theme_change_leave_the_config_alone(simenv: SimulatorThread) -> None:  # noqa: F811
    config_path = paths.config_path()
    before = config_path.read_bytes()
    app = make(LockedKoreApp)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.host is not None)
        await pilot.press("f2")
        await pilot.pause(0.1)
        assert top(app) is None
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause(0.3)
    assert config_path.read_bytes() == before
