"""What the main screen needs from the application, as a narrow interface.

The app imports the main screen (it pushes it and lists its actions in the
palette); the screen reaches back only through this Protocol, so there is no
import cycle and the screen's dependencies are written down in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kore_tui.core.config import Config, Environment
from kore_tui.core.engine_host import EngineHost
from kore_tui.tui.sessions import Sessions


class Console(Protocol):
    clock: Callable[[], float]
    read_only: bool
    sessions: Sessions

    @property
    def env(self) -> Environment | None: ...

    @property
    def host(self) -> EngineHost | None: ...

    @property
    def journal_path(self) -> Path | None: ...

    @property
    def profiles(self) -> Config: ...

    def action_environments(self) -> None: ...

    def action_replace_key(self) -> None: ...

    def platform_guard(self, env: Environment) -> str | None:
        """A protected environment other than ``env`` on its platform (its name), or None."""
        ...
