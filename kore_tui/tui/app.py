"""The Textual application: environment lifecycle and screens. Kept small on purpose."""

from __future__ import annotations

import asyncio
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
from kore_tui.core.engine_host import EngineHost, stop_all
from kore_tui.core.errors import KoreError
from kore_tui.core.keys import KeyUnavailableError, forget_key, remember_key, resolve_key
from kore_tui.core.paths import credentials_path
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui.screens.environments import (
    EditorResult,
    EnvironmentEditor,
    EnvironmentPicker,
    PickerResult,
)
from kore_tui.tui.screens.main import MainScreen, console_keys
from kore_tui.tui.screens.prompts import KeyEntry, KeyPrompt, YesNo
from kore_tui.tui.sessions import Session, Sessions


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
        deploy_config: Config | None = None,
    ) -> None:
        super().__init__()
        # Wall clock for ages on screen; screenshots freeze it to get identical files.
        self.clock = clock
        self._connect_on_start = connect_on_start
        self.config = config
        # Where deploy profiles come from when there is no config file (the demo's).
        self._deploy_config = deploy_config
        self.env = env
        self.read_only = read_only
        self.sessions = Sessions()
        if env is not None:
            self.sessions.open(env)
        self._journal_path = journal_path
        self._prefill = prefill
        self.settings = settings or (config.settings if config else Settings())
        self.session_keys: dict[str, Secret] = {}
        if key is not None and env is not None:
            self.session_keys[env.name] = key
        self._left_unfinished: dict[str, int] = {}

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry server and file-system text: never parse it as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def host(self) -> EngineHost | None:
        """The engine of the environment on screen (others keep running behind it)."""
        current = self.sessions.current
        return current.host if current is not None else None

    # -- lifecycle ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(prefill=self._prefill)

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_interval(0.5, self._check_auth)
        if not self._connect_on_start:
            return
        if self.env is not None:
            self.connect(self.env)
        else:
            self.action_environments()

    def on_unmount(self) -> None:
        stop_all(self.sessions.hosts())
        for session in self.sessions:
            session.host = None

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        assert isinstance(screen, MainScreen)
        return screen

    @property
    def profiles(self) -> Config:
        """The config whose [deploy_profiles] a redeploy uses: the loaded file, the
        demo's, or none at all (an empty one: the form asks)."""
        return self.config or self._deploy_config or Config(path=Path("(no config file)"))

    @property
    def journal_path(self) -> Path | None:
        """The journal this console writes (the demo's temporary one), None: the default."""
        return self._journal_path

    # -- environments ------------------------------------------------------------------

    def _show(self) -> None:
        if self.screen_stack:  # before the first screen mounts, its on_mount shows it
            self.main.show_session()

    def adopt(self, env: Environment, host: EngineHost) -> None:
        """Show ``env`` with an already running host (scenes and benchmarks)."""
        self.env = env
        self.sessions.open(env).host = host
        self._show()

    def connect(self, env: Environment, key: Secret | None = None) -> None:
        """Show ``env``; start its engine unless it has one or one is on its way."""
        self.env = env
        session = self.sessions.open(env)
        self.sub_title = env.name
        self._show()
        if session.host is not None or session.connecting:
            return
        session.connecting = True
        self._connect(session, key or self.session_keys.get(env.name))

    def reconnect(self, env: Environment, key: Secret | None = None) -> None:
        """The environment's settings changed: replace its engine (the old one stops first)."""
        session = self.sessions.get(env.name)
        if session is None or session.connecting:
            self.connect(env, key)
            return
        old, session.host = session.host, None
        session.env = env
        if env.name == (self.env.name if self.env else None):
            self.env = env
            self.sessions.open(env)
            self._show()
        session.connecting = True
        self._connect(session, key or self.session_keys.get(env.name), old)

    # Not exclusive: a thread worker cannot be interrupted, so cancelling it would only
    # hide it. One per environment at most is guaranteed by Session.connecting instead.
    @work(thread=True, group="connect", exit_on_error=False)
    def _connect(self, session: Session, key: Secret | None,
                 old: EngineHost | None = None) -> None:
        env = session.env
        if old is not None:
            old.stop()
        if key is None:
            try:
                key, _ = resolve_key(env)
            except (KeyUnavailableError, KoreError, OSError) as exc:
                self.call_from_thread(self._ask_key, session, str(exc))
                return
        engine_settings = EngineSettings.from_settings(self.settings)
        try:
            host = EngineHost(env, key, engine_settings, read_only=self.read_only,
                              journal_path=self._journal_path).start()
        except Exception as exc:
            session.connecting = False
            self.call_from_thread(self.notify, f"Cannot open {inert(env.name, 40)}: "
                                  f"{inert(str(exc), 200)}", severity="error", timeout=10)
            return
        self.session_keys[env.name] = key
        self.call_from_thread(self._attached, session, host)

    def _attached(self, session: Session, host: EngineHost) -> None:
        session.connecting = False
        if self.sessions.get(session.env.name) is not session or session.host is not None:
            self._stop_host(host)  # removed meanwhile: nobody shows or tracks it
            return
        if host.env != session.env:  # edited while its key was being looked up
            session.connecting = True
            self._connect(session, self.session_keys.get(session.env.name), host)
            return
        session.host = host
        if session is not self.sessions.current:
            return
        self._show()
        if host.resumed:
            self.notify(f"Resumed {len(host.resumed)} unfinished job(s) from the journal; "
                        "nothing was re-sent.", title="Resumed", timeout=8)

    @work(thread=True, group="connect", exit_on_error=False)
    def _stop_host(self, host: EngineHost) -> None:
        host.stop()

    def _ask_key(self, session: Session, reason: str) -> None:
        env = session.env

        def entered(result: KeyEntry | None) -> None:
            if result is None:
                session.connecting = False
                self.notify(f"No key for {inert(env.name, 40)}: not connected.",
                            severity="warning")
                return
            if result.remember and not env.ephemeral:
                self._offer_remember(env, result.key)
            self._connect(session, result.key)

        self.push_screen(KeyPrompt(env.name, env.host, reason), entered)

    # -- a key refused mid-run ---------------------------------------------------------

    def _check_auth(self) -> None:
        """The engine stopped sending after a 401/403: ask for a new key, once per refusal."""
        session = self.sessions.current
        if session is None:
            return
        error = session.auth_error
        if error is None:
            session.auth_prompted = None
            return
        if session.auth_prompted is None and not isinstance(self.screen, KeyPrompt):
            self.main.refresh_banner()
            self.action_replace_key()

    def action_replace_key(self) -> None:
        session = self.sessions.current
        if session is None or session.host is None:
            self.notify("No environment connected: press F2.", severity="warning")
            return
        env, host = session.env, session.host
        error = session.auth_error
        session.auth_prompted = error or ""
        reason = (f"The platform refused the key ({inert(error, 120)}). Nothing more is sent "
                  "to this host until a new key is given; queued jobs wait." if error else
                  "Replace the key used for this environment in this session.")

        def entered(result: KeyEntry | None) -> None:
            if result is None:
                if error:
                    self.notify(f"{inert(env.name, 40)} stays paused: the key was refused. "
                                "Use the palette's 'Enter a new API key' to go on.",
                                severity="warning", timeout=10)
                return
            if session.host is not host:
                return  # the environment was reconnected or removed meanwhile
            self.session_keys[env.name] = result.key
            if result.remember and not env.ephemeral:
                self._offer_remember(env, result.key)
            self._install_key(host, result.key)

        self.push_screen(KeyPrompt(env.name, env.host, reason), entered)

    @work(group="engine-calls", exit_on_error=False)
    async def _install_key(self, host: EngineHost, key: Secret) -> None:
        await asyncio.wrap_future(host.call(lambda engine: engine.replace_key(key)))
        self.main.refresh_banner()
        self.notify(f"New key in use for {inert(host.env.name, 40)}; sending goes on.")

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
                    self._forget_environment(name)
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
            self.reconnect(result.env, result.key)
        elif result.env.name in self.sessions:
            self.reconnect(result.env, result.key)  # its engine runs behind: new settings

    def _forget_environment(self, name: str) -> None:
        session = self.sessions.close(name)
        if session is None:
            return
        if session.host is not None:
            self._stop_host(session.host)
            session.host = None
        if self.env is not None and self.env.name == name:
            self.env = None
            self.sub_title = ""
            self._show()

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
        unfinished = self.sessions.unfinished()
        if not unfinished:
            self.exit(0)
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self._left_unfinished = unfinished
                self.exit(0)

        total = sum(unfinished.values())
        if list(unfinished) == [self.env.name if self.env else None]:
            question = (f"{total} job(s) are not final yet. Quit anyway? They stay in the "
                        "journal and resume the next time you open this environment.")
        else:
            where = ", ".join(f"{n} in {inert(name, 40)}" for name, n in unfinished.items())
            question = (f"{total} job(s) are not final yet ({where}). Quit anyway? They stay "
                        "in the journal and resume the next time you open the environment.")
        self.push_screen(YesNo(question, yes="Quit"), answer)

    def resume_hints(self) -> list[str]:
        """Commands that pick up what quitting left unfinished (printed after the app exits)."""
        return [f"kore-tui status --env {name} --wait" for name in self._left_unfinished
                if (s := self.sessions.get(name)) is not None and not s.env.ephemeral]

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
        for row in console_keys():
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
