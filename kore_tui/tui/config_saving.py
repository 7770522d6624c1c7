"""The console's config file, written from the console: environments added, edited or
removed (F2) and the theme. Each is one targeted change through core/config_writer,
off the UI loop, over the file as it is now."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from textual import work

from kore_tui.core.config import Config, ConfigError, Environment, load_config
from kore_tui.core.config_writer import MISSING, put_environment, remove_environment, set_setting
from kore_tui.core.errors import KoreError
from kore_tui.core.keys import forget_key
from kore_tui.core.text import inert
from kore_tui.tui.key_routing import KeyRouting
from kore_tui.tui.screens.environments import (
    EditorResult,
    EnvironmentEditor,
    EnvironmentPicker,
    PickerResult,
)
from kore_tui.tui.screens.prompts import YesNo


def home_short(path: Path) -> str:
    """``~/.config/kore-tui/config.toml`` for a path under the home folder: a toast has
    40-odd columns, and a full path wrapped mid-word."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except (ValueError, RuntimeError):  # elsewhere, or no home known
        return str(path)


def _as_on_disk(config: Config) -> Config:
    """The config read again from its file; a file gone since (or never there: scenes,
    tests) keeps what was read before. One trip to a worker thread for both."""
    return load_config(config.path) if config.path.is_file() else config


class ConfigSaving(KeyRouting):
    def platform_guard(self, env: Environment) -> str | None:
        """A protected environment other than ``env`` on the same platform: its name (the
        confirmations ask for the environment's name too: screens/confirm.py)."""
        return self.config.protected_platform(env) if self.config is not None else None

    def action_environments(self) -> None:
        if self.config is None:
            self.notify(
                "The demo has its one environment; yours are kept in the config of a console "
                "started without --demo (README: Configuration).",
                severity="warning",
            )
            return
        # Held from now: the worker below starts only once the keys already queued have
        # been routed (they were the burst's Down and Enter).
        self.typed_ahead.hold()
        self._open_picker()

    @work(group="picker", exclusive=True, exit_on_error=False)
    async def _open_picker(self) -> None:
        """The picker lists the config as it is on disk now: an environment added with
        `kore-tui env add` in another terminal was missing until a restart. Keys typed
        meanwhile are held for it (tui/typed_ahead.py)."""
        try:
            await self._read_and_pick()
        finally:
            self.typed_ahead.release()

    async def _read_and_pick(self) -> None:
        config = self.config
        assert config is not None
        warning = ""
        try:
            config = await asyncio.to_thread(_as_on_disk, config)
        except (ConfigError, OSError) as exc:
            # In the picker itself: a toast raised now sat under the dialog (dialogs show
            # none), and the operator took the old list for the file's.
            warning = (
                f"The config could not be read again ({inert(str(exc), 200)}); the list is "
                "the one read before."
            )
        self.config = config
        self.push_screen(
            EnvironmentPicker(
                config.environments,
                config.default,
                self.env.name if self.env else None,
                self.sessions.active_elsewhere(),
                warning=warning,
            ),
            self._picked,
        )

    def _picked(self, result: PickerResult | None) -> None:
        if result is None or self.config is None:
            return
        config = self.config
        if result.action == "select" and result.name in config.environments:
            self.connect(config.environments[result.name])
        elif result.action == "add":
            self.push_screen(
                EnvironmentEditor(profiles=sorted(config.deploy_profiles)), self._edited
            )
        elif result.action == "edit" and result.name in config.environments:
            env = config.environments[result.name]
            editor = EnvironmentEditor(
                env, config.default == result.name, profiles=sorted(config.deploy_profiles)
            )
            self.push_screen(editor, self._edited)
        elif result.action == "remove" and result.name:
            self._ask_remove(result.name)

    def _ask_remove(self, name: str) -> None:
        config = self.config
        assert config is not None
        session = self.sessions.get(name)
        jobs = session.model.jobs.values() if session else ()
        unfinished = [j for j in jobs if j.tracking and not j.is_final]
        if unfinished:
            # A break-it run: the rows vanished, nothing followed them any more, no hint was
            # printed on quit, and `status --env NAME` no longer knew the environment.
            self.notify(
                f"{inert(name, 40)} still has {len(unfinished)} unfinished job(s); removing it "
                "would leave them unfollowed. Let them end first (x stops following one).",
                severity="warning",
            )
            return

        def answer(ok: bool | None) -> None:
            if not ok:  # back to the list the operator was working in
                self.action_environments()
                return
            loaded = config.environments.get(name)
            self._save_config(
                lambda: remove_environment(name, expected=loaded, path=config.path)[0],
                removed=name,
                then=lambda: self._forget_environment(name),
                said=f"Removed environment {inert(name, 40)} from",
            )

        self.push_screen(
            YesNo(f"Remove environment {inert(name, 40)} and its stored key?", yes="Remove"),
            answer,
        )

    def _edited(self, result: EditorResult | None) -> None:
        if result is None and self.config is not None:
            self.action_environments()  # Esc in the editor: back to the picker
            return
        if result is None or self.config is None:
            return
        path = self.config.path
        # Only this environment (and whether it is the default) is written, over the file
        # as it is now: an environment added by `kore-tui env add` meanwhile survives.
        expected = result.original if result.original is not None else MISSING

        def saved() -> None:
            # Only once the file has it: a refused save (a conflicting change, a corrupt
            # file) re-pointed the open environment all the same, its host and protection
            # the editor's while the file kept the old ones.
            if result.key is not None:
                self.session_keys[result.env.name] = result.key
                if result.remember:
                    self._offer_remember(result.env, result.key)
            if self.env is None or self.env.name == result.env.name:
                self.reconnect(result.env, result.key)
            elif result.env.name in self.sessions:
                self.reconnect(result.env, result.key)  # its engine runs behind: new settings
            guard = self.platform_guard(result.env)
            if guard is not None:  # not protected itself, and yet asked as if it were
                self.notify(
                    f"{inert(result.env.name, 40)} shares the platform of protected "
                    f"{inert(guard, 40)}: its actions are asked as protected (its name typed).",
                    severity="warning",
                    timeout=10,
                )

        self._save_config(
            lambda: put_environment(
                result.env,
                default="set" if result.make_default else "clear",
                expected=expected,
                path=path,
                keep_deploy_profile=False,  # the editor has the field: none means none
            ),
            then=saved,
            said=f"Saved environment {inert(result.env.name, 40)} in",
        )

    @work(thread=True, group="config", exit_on_error=False)
    def _save_config(
        self,
        change: Callable[[], Config],
        removed: str | None = None,
        then: Callable[[], None] | None = None,
        said: str = "",
    ) -> None:
        """Run one targeted change of the config file (config_writer), off the UI loop; the
        console's config becomes the file as written, other processes' changes included.
        ``then`` runs on the UI loop once the change is written, never when it is refused."""
        try:
            config = change()
            if removed:
                forget_key(removed)
        except (OSError, KoreError) as exc:
            self.call_from_thread(
                self.notify, f"Config not saved: {inert(str(exc), 200)}", severity="error"
            )
            return
        self.config = config
        if then is not None:
            self.call_from_thread(then)
        # What changed, then where: 'Saved /tmp/…/confi' 'g.toml' (the toast cut the path
        # mid-word) said nothing of the environment removed.
        self.call_from_thread(self.notify, f"{said or 'Saved'} {home_short(config.path)}")

    def _theme_changed(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if not name or name == self.settings.theme:
            return
        self.settings = replace(self.settings, theme=name)
        if self.config is not None:  # demo mode has no config: nothing to persist into
            path = self.config.path
            self._save_config(lambda: set_setting("theme", name, path=path))
