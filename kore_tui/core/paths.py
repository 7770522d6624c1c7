"""Where kore-tui keeps its files (platformdirs, with overrides for tests)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "kore-tui"


def config_path() -> Path:
    override = os.environ.get("KORE_TUI_CONFIG")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def credentials_path() -> Path:
    return config_path().with_name("credentials.toml")


def state_dir() -> Path:
    return platformdirs.user_state_path(APP_NAME, appauthor=False)


def journal_path() -> Path:
    override = os.environ.get("KORE_TUI_JOURNAL")
    if override:
        return Path(override).expanduser()
    return state_dir() / "journal.sqlite3"
