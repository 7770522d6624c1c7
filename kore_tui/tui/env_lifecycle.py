"""The console's environments at run time: open one (look up its key, or ask for it),
show it, replace its engine when its settings change, ask for a new key after a
401/403, offer to store a key, close one. KoreApp is composed on top of this."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import work

from kore_tui.core.config import Config, Environment, Settings
from kore_tui.core.engine import EngineSettings
from kore_tui.core.engine_host import EngineHost
from kore_tui.core.errors import KoreError
from kore_tui.core.keys import KeyUnavailableError, remember_key, resolve_key
from kore_tui.core.paths import credentials_path
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui.screens.main import MainScreen
from kore_tui.tui.screens.prompts import KeyEntry, KeyPrompt, YesNo
from kore_tui.tui.screenshots import Screenshots
from kore_tui.tui.sessions import Session, Sessions
from kore_tui.tui.typed_ahead import TypedAhead
from kore_tui.tui.widgets.id_entry import IdEntry


def resumed_told(resumed: int, followed: int) -> str:
    """What opening an environment picked up: a second console said 'Resumed 12' of jobs
    the first one was tracking (followed here, never written), as if it had taken them."""
    said = []
    if followed:
        said.append(f"Following {followed} job(s) another process is tracking")
    if resumed > followed:
        said.append(f"resumed {resumed - followed} unfinished job(s) from the journal")
    text = "; ".join(said)
    return f"{text[:1].upper()}{text[1:]}; nothing was re-sent."


class EnvLifecycle(Screenshots):
    # Set by KoreApp.__init__.
    config: Config | None
    env: Environment | None
    read_only: bool
    settings: Settings
    sessions: Sessions
    session_keys: dict[str, Secret]
    typed_ahead: TypedAhead
    _journal_path: Path | None

    @property
    def host(self) -> EngineHost | None:
        """The engine of the environment on screen (others keep running behind it)."""
        current = self.sessions.current
        return current.host if current is not None else None

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        assert isinstance(screen, MainScreen)
        return screen

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
        before = self.env
        self.env = env
        if before is not None and before.name != env.name:
            self._say_the_box_stays(before, env)
        session = self.sessions.open(env)
        self.sub_title = env.name
        self._show()
        if session.host is not None or session.connecting:
            return
        session.connecting = True
        self._connect(session, key or self.session_keys.get(env.name))

    def _say_the_box_stays(self, before: Environment, env: Environment) -> None:
        """IDs pasted for one environment stay in the box across F2: an operator's run
        typed a staging ID, switched to prod, and found 'Undeploy 1' ready there. The
        toast may be gone when the operator acts: the confirmation says it too."""
        entry = self.main.query_one(IdEntry)
        parsed = entry.parsed
        if held := len(parsed.model_ids) + len(parsed.tool_ids):
            entry.carry_over(before.name)
            self.notify(
                f"The ID box still holds {held} model/tool ID(s): an action now goes to "
                f"{inert(env.name, 40)}. ctrl+l clears it.",
                severity="warning",
                timeout=8,
            )

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
    def _connect(self, session: Session, key: Secret | None, old: EngineHost | None = None) -> None:
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
            host = EngineHost(
                env, key, engine_settings, read_only=self.read_only, journal_path=self._journal_path
            ).start()
        except Exception as exc:
            session.connecting = False
            self.call_from_thread(
                self.notify,
                f"Cannot open {inert(env.name, 40)}: {inert(str(exc), 200)}",
                severity="error",
                timeout=10,
            )
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
            self.notify(resumed_told(len(host.resumed), host.followed), title="Resumed", timeout=8)

    @work(thread=True, group="connect", exit_on_error=False)
    def _stop_host(self, host: EngineHost) -> None:
        host.stop()

    def _ask_key(self, session: Session, reason: str) -> None:
        env = session.env

        def entered(result: KeyEntry | None) -> None:
            if result is None:
                session.connecting = False
                self.notify(f"No key for {inert(env.name, 40)}: not connected.", severity="warning")
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
        reason = (
            # The engine's reason already says who refused what ("the platform refused the
            # API key (HTTP 401 …)"): said once, not wrapped in the same words again.
            f"{inert(error, 120)[:1].upper()}{inert(error, 120)[1:]}. Nothing more is sent "
            "to this host until a new key is given; queued jobs wait."
            if error
            else "Replace the key used for this environment in this session."
        )

        def entered(result: KeyEntry | None) -> None:
            if result is None:
                if error:
                    self.notify(
                        f"{inert(env.name, 40)} stays paused: the key was refused. "
                        "Press ctrl+k (or the palette's 'Enter a new API key') to go on.",
                        severity="warning",
                        timeout=10,
                    )
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

        self.push_screen(
            YesNo(
                f"Write the key {key.masked} for {inert(env.name, 40)} to "
                f"{credentials_path()} (mode 0600)?",
                yes="Write it",
            ),
            answer,
        )

    @work(thread=True, group="config", exit_on_error=False)
    def _remember(self, name: str, key: Secret) -> None:
        try:
            path = remember_key(name, key)
        except (KoreError, OSError) as exc:
            self.call_from_thread(
                self.notify, f"Key not stored: {inert(str(exc), 200)}", severity="error"
            )
            return
        self.call_from_thread(self.notify, f"Key stored in {path}")

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
