"""The Textual application: environment lifecycle and screens. Kept small on purpose."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from kore_tui.core.config import Config, Environment, Settings
from kore_tui.core.config_writer import MISSING, put_environment, remove_environment, set_setting
from kore_tui.core.engine import EngineSettings
from kore_tui.core.engine_host import EngineHost
from kore_tui.core.errors import KoreError
from kore_tui.core.keys import KeyUnavailableError, forget_key, remember_key, resolve_key
from kore_tui.core.paths import credentials_path
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui.keys import all_keys
from kore_tui.tui.screens.environments import (
    EditorResult,
    EnvironmentEditor,
    EnvironmentPicker,
    PickerResult,
)
from kore_tui.tui.screens.main import MainScreen
from kore_tui.tui.screens.prompts import KeyEntry, KeyPrompt, YesNo


class KoreApp(App[int]):
    TITLE = "kore-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        *,
        config: Config | None,
        env: Environment | None,
        read_only: bool = False,
        key: Secret | None = None,
        journal_path: Path | None = None,
        prefill: str = "",
        settings: Settings | None = None,
        clock: Callable[[], float] = time.time,
        connect_on_start: bool = True,
    ) -> None:
        super().__init__()
        # Wall clock for ages on screen; screenshots freeze it to get identical files.
        self.clock = clock
        self._connect_on_start = connect_on_start
        self.config = config
        self.env = env
        self.read_only = read_only
        self.host: EngineHost | None = None
        self._journal_path = journal_path
        self._prefill = prefill
        self.settings = settings or (config.settings if config else Settings())
        self.session_keys: dict[str, Secret] = {}
        if key is not None and env is not None:
            self.session_keys[env.name] = key

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry server and file-system text: never parse it as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- lifecycle ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(prefill=self._prefill)

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if not self._connect_on_start:
            return
        if self.env is not None:
            self.connect(self.env)
        else:
            self.action_environments()

    def on_unmount(self) -> None:
        if self.host is not None:
            self.host.stop()
            self.host = None

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def journal_path(self) -> Path | None:
        """The journal this console writes (the demo's temporary one), None: the default."""
        return self._journal_path

    # -- environments ------------------------------------------------------------------

    def connect(self, env: Environment, key: Secret | None = None) -> None:
        self.env = env
        self._connect(env, key or self.session_keys.get(env.name))

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def _connect(self, env: Environment, key: Secret | None) -> None:
        old, self.host = self.host, None
        self.call_from_thread(self.main.reset_jobs)
        if old is not None:
            old.stop()
        if key is None:
            try:
                key, _ = resolve_key(env)
            except (KeyUnavailableError, KoreError, OSError) as exc:
                self.call_from_thread(self._ask_key, env, str(exc))
                return
        engine_settings = EngineSettings.from_settings(self.settings)
        try:
            host = EngineHost(env, key, engine_settings, read_only=self.read_only,
                              journal_path=self._journal_path).start()
        except Exception as exc:
            self.call_from_thread(self.notify, f"Cannot open {inert(env.name, 40)}: "
                                  f"{inert(str(exc), 200)}", severity="error", timeout=10)
            return
        self.session_keys[env.name] = key
        self.call_from_thread(self._attached, host)

    def _attached(self, host: EngineHost) -> None:
        if self.env is None or host.env.name != self.env.name:
            host.stop()
            return
        self.host = host
        self.main.reset_jobs()
        if host.resumed:
            self.notify(f"Resumed {len(host.resumed)} unfinished job(s) from the journal; "
                        "nothing was re-sent.", title="Resumed", timeout=8)
        self.sub_title = host.env.name

    def _ask_key(self, env: Environment, reason: str) -> None:
        def entered(result: KeyEntry | None) -> None:
            if result is None:
                self.notify(f"No key for {inert(env.name, 40)}: not connected.",
                            severity="warning")
                return
            if result.remember and not env.ephemeral:
                self._offer_remember(env, result.key)
            self.connect(env, result.key)

        self.push_screen(KeyPrompt(env.name, env.host, reason), entered)

    def _offer_remember(self, env: Environment, key: Secret) -> None:
        def answer(ok: bool | None) -> None:
            if ok:
                self._remember(env.name, key)

        self.push_screen(YesNo(f"Write the key {key.masked} for {inert(env.name, 40)} to "
                               f"{credentials_path()} (mode 0600)?", yes="Write it"), answer)

    @work(thread=True, group="config", exit_on_error=False)
    def _remember(self, name: str, key: Secret) -> None:
        try:
            path = remember_key(name, key)
        except (KoreError, OSError) as exc:
            self.call_from_thread(self.notify, f"Key not stored: {inert(str(exc), 200)}",
                                  severity="error")
            return
        self.call_from_thread(self.notify, f"Key stored in {path}")

    def action_environments(self) -> None:
        config = self.config
        if config is None:
            self.notify("Environments are not editable here (demo mode or no config).",
                        severity="warning")
            return
        self.push_screen(EnvironmentPicker(config.environments, config.default,
                                           self.env.name if self.env else None),
                         self._picked)

    def _picked(self, result: PickerResult | None) -> None:
        if result is None or self.config is None:
            return
        config = self.config
        if result.action == "select" and result.name in config.environments:
            self.connect(config.environments[result.name])
        elif result.action == "add":
            self.push_screen(EnvironmentEditor(), self._edited)
        elif result.action == "edit" and result.name in config.environments:
            self.push_screen(EnvironmentEditor(config.environments[result.name],
                                               config.default == result.name), self._edited)
        elif result.action == "remove" and result.name:
            name = result.name

            def answer(ok: bool | None) -> None:
                if ok:
                    loaded = config.environments.get(name)
                    self._save_config(lambda: remove_environment(
                        name, expected=loaded, path=config.path)[0], removed=name)

            self.push_screen(YesNo(f"Remove environment {inert(name, 40)} and its stored "
                                   "key?", yes="Remove"), answer)

    def _edited(self, result: EditorResult | None) -> None:
        if result is None or self.config is None:
            return
        path = self.config.path
        # Only this environment (and whether it is the default) is written, over the file
        # as it is now: an environment added by `kore-tui env add` meanwhile survives.
        expected = result.original if result.original is not None else MISSING
        self._save_config(lambda: put_environment(
            result.env, default="set" if result.make_default else "clear", expected=expected,
            path=path))
        if result.key is not None:
            self.session_keys[result.env.name] = result.key
            if result.remember:
                self._offer_remember(result.env, result.key)
        if self.env is None or self.env.name == result.env.name:
            self.connect(result.env, result.key)

    @work(thread=True, group="config", exit_on_error=False)
    def _save_config(self, change: Callable[[], Config], removed: str | None = None) -> None:
        """Run one targeted change of the config file (config_writer), off the UI loop; the
        console's config becomes the file as written, other processes' changes included."""
        try:
            config = change()
            if removed:
                forget_key(removed)
        except (OSError, KoreError) as exc:
            self.call_from_thread(self.notify, f"Config not saved: {inert(str(exc), 200)}",
                                  severity="error")
            return
        self.config = config
        self.call_from_thread(self.notify, f"Saved {config.path}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Background work never fails silently and never takes the console down."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(f"{event.worker.name or 'background task'} failed: "
                        f"{type(error).__name__}: {inert(str(error), 200)}",
                        severity="error", timeout=10)

    async def action_quit(self) -> None:
        """Quitting with jobs in flight is allowed (they resume next time), but asked."""
        active = sum(1 for j in self.main.model.jobs.values() if not j.is_final and j.tracking)
        if not active or self.host is None:
            self.exit(0)
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.exit(0)

        self.push_screen(YesNo(f"{active} job(s) are not final yet. Quit anyway? They stay in "
                               "the journal and resume the next time you open this "
                               "environment.", yes="Quit"), answer)

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's own hint is markup, which ``notify`` above shows literally."""
        self.notify("ctrl+c does not quit here (it copies in the ID box): press ctrl+q to quit.",
                    title="Quit?")

    # -- theme -------------------------------------------------------------------------

    def _theme_changed(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if not name or name == self.settings.theme:
            return
        self.settings = replace(self.settings, theme=name)
        if self.config is not None:  # demo mode has no config: nothing to persist into
            path = self.config.path
            self._save_config(lambda: set_setting("theme", name, path=path))

    # -- command palette ---------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own (themes, quit, ...) and every described key of the console, from the
        same bindings as the footer and F1 help (kore_tui.tui.keys)."""
        yield from super().get_system_commands(screen)
        for row in all_keys():
            if row.action.startswith("app."):
                continue  # Textual lists quit itself
            yield SystemCommand(row.text, f"key: {row.key} ({row.where})",
                                partial(self._run_console_action, row.action))

    async def _run_console_action(self, action: str) -> None:
        """A palette command: the action of its binding, on the widget that declares it."""
        name = action.split(".", 1)[-1]
        main = self.main
        target = main if hasattr(main, f"action_{name}") else main.query_one("#jobs")
        await target.run_action(name)
