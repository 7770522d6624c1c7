"""The Textual application: what it is made of and how the parts are wired. Kept small
on purpose (frogmouth's App): environments at run time are in env_lifecycle, writing
the config in config_saving, the palette's commands in palette, and everything the
operator does on screens/main."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual.app import SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from kore_tui.core.config import Config, Environment, Settings
from kore_tui.core.engine_host import stop_all
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui import termination
from kore_tui.tui.config_saving import ConfigSaving
from kore_tui.tui.palette import console_commands
from kore_tui.tui.quitting import quit_question
from kore_tui.tui.screens.main import MainScreen
from kore_tui.tui.screens.prompts import YesNo
from kore_tui.tui.sessions import Sessions
from kore_tui.tui.typed_ahead import TypedAhead


class KoreApp(ConfigSaving):
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
        self.typed_ahead = TypedAhead(self)  # keys typed while a dialog is on its way
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
        self._handles_sigterm = False

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry server and file-system text: never parse it as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- lifecycle ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(prefill=self._prefill)

    def on_mount(self) -> None:
        self._handles_sigterm = termination.install(self, self._stop_engines)
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
        if self._handles_sigterm:
            termination.uninstall()
        self._stop_engines()

    def _stop_engines(self) -> None:
        stop_all(self.sessions.hosts())
        for session in self.sessions:
            # The last changes into the rows the exit hints count (drained 10 times a
            # second otherwise): a signal within 100 ms of a send left its job unnamed.
            session.model.apply(*session.take())
            session.writes_as = session.host.owner_id if session.host is not None else None
            session.host = None

    @property
    def profiles(self) -> Config:
        """The config whose [deploy_profiles] a redeploy uses: the loaded file, the
        demo's, or none at all (an empty one: the form asks)."""
        return self.config or self._deploy_config or Config(path=Path("(no config file)"))

    @property
    def journal_path(self) -> Path | None:
        """The journal this console writes (the demo's temporary one), None: the default."""
        return self._journal_path

    # -- wiring ------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Background work never fails silently and never takes the console down."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.name or 'background task'} failed: "
                f"{type(error).__name__}: {inert(str(error), 200)}",
                severity="error",
                timeout=10,
            )

    async def action_quit(self) -> None:
        """Quitting with jobs in flight is allowed (they resume next time), but asked; the
        demo asks whenever it has jobs (kore_tui.tui.quitting)."""
        unfinished = self.sessions.unfinished()
        temporary = {
            s.env.name: n for s in self.sessions if s.env.ephemeral and (n := len(s.model.jobs))
        }
        current = self.env.name if self.env else None
        bounces = self.sessions.pending_bounces()
        stopped = {name: len(ids) for name, ids in self.sessions.stopped().items()}
        question = quit_question(unfinished, temporary, current, bounces, stopped)
        if question is None:
            self.exit(0)
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self._left_unfinished = unfinished
                self.exit(0)

        self.push_screen(YesNo(question, yes="Quit"), answer)

    def left_unfinished(self) -> dict[str, int]:
        """Jobs not final when the console ended, by environment."""
        # Ended without the quit question (SIGTERM, an error): whatever was unfinished.
        return self._left_unfinished if not self.return_code else self.sessions.unfinished()

    def resume_hints(self) -> list[str]:
        """Commands that pick up what quitting left unfinished (printed after the app exits);
        jobs whose tracking was stopped are not resumed by the first: named, not forgotten."""
        resume = [
            f"kore-tui status --env {name} --wait   ({count} job(s) not final)"
            for name, count in self.left_unfinished().items()
            if (s := self.sessions.get(name)) is not None and not s.env.ephemeral
        ]
        stopped = [
            f"kore-tui status --env {name} {' '.join(ids[:10])}"
            + (f" … ({len(ids) - 10} more)" if len(ids) > 10 else "")
            + "   (tracking stopped with x)"
            for name, ids in self.sessions.stopped().items()
        ]
        # A bounce whose redeploy was not sent leaves its resource down (SIGTERM, a quit
        # mid-bounce): the command that finishes it, once its undeploy is final.
        redeploy = [
            f"kore-tui deploy --env {name} {resource}   (if its undeploy ends SUCCESS: "
            "the bounce's redeploy, not sent)"
            for name, resource in self.sessions.pending_bounces()
            if (s := self.sessions.get(name)) is not None and not s.env.ephemeral
        ]
        return resume + stopped + redeploy

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's own hint is markup, which ``notify`` above shows literally."""
        self.notify(
            "ctrl+c does not quit here (it copies in the ID box): press ctrl+q to quit.",
            title="Quit?",
        )

    # -- command palette ---------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own (themes, quit, ...) and every described key of the console, from the
        same bindings as the footer and F1 help (kore_tui.tui.keys)."""
        yield from super().get_system_commands(screen)
        yield from console_commands(lambda: self.main)
