"""The console as a visitor of ``kore-tui serve`` gets it: nothing that touches the
serving user's files or environments.

A served console runs as the serving user. In the terminal that user is the operator.
In the browser it is whoever holds the URL, so what the console would do with the
operator's own rights is turned off:
- F2 would edit or switch environments. Editing a host would send the environment's key
  there, and every edit is written to the operator's config.
- Load file (ctrl+o) would read any file the user can read and show its tokens on the
  page, credentials.toml included.
- Export would write a file anywhere the user can write.
- "Remember the key" would write credentials.toml, and a theme change would write
  the config.
Each of these says why it is off instead of doing nothing.
"""

from __future__ import annotations

from pathlib import Path

from textual.screen import Screen

from kore_tui.tui import app as console_app
from kore_tui.tui.app import KoreApp
from kore_tui.tui.screens.main import MainScreen

OFF = "not available in a browser console (kore-tui serve)"


class LockedMainScreen(MainScreen):
    def action_load_file(self) -> None:
        self.notify(
            f"Load file is {OFF}: it would read the server's files. Paste the IDs.",
            severity="warning",
        )

    def action_export(self) -> None:
        self.notify(f"Export is {OFF}: it would write on the server's disk.", severity="warning")


class LockedKoreApp(KoreApp):
    # Textual reads a relative CSS_PATH beside the subclass's module: point at the console's.
    CSS_PATH = str(Path(console_app.__file__).parent / str(KoreApp.CSS_PATH))

    def get_default_screen(self) -> Screen[None]:
        return LockedMainScreen(prefill=self._prefill)

    def action_environments(self) -> None:
        self.notify(
            f"Environments are {OFF}: this console serves one environment.", severity="warning"
        )

    def _offer_remember(self, env: object, key: object) -> None:
        self.notify(
            f"Storing a key is {OFF}; the key is kept for this visit only.", severity="warning"
        )

    def _theme_changed(self, theme: object) -> None:
        """The theme applies to this visit; the operator's config is not written."""
