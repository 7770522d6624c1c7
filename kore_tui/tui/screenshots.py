"""The command palette's "Screenshot": saved where it can be, or a failure that says why.

Textual saves it to the user's Downloads folder, and said only "Failed to save screenshot"
where there is none (a server account, a fresh HOME: a break-it run). Without one, it goes
to the folder the console was started from; a failure names the path and the reason.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_downloads_path
from textual import events, on
from textual.app import App

from kore_tui.core.text import inert


class Screenshots(App[int]):
    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        if path is None:
            downloads = user_downloads_path()
            path = str(downloads if downloads.is_dir() else Path.cwd())
        return super().deliver_screenshot(filename, path, time_format)

    @on(events.DeliveryFailed)
    def _screenshot_failed(self, event: events.DeliveryFailed) -> None:
        if event.name == "screenshot":
            event.prevent_default()  # Textual's own "Failed to save screenshot" says no more
            self.notify(
                f"Screenshot not saved: {inert(str(event.exception), 200)}",
                title="Screenshot",
                severity="error",
            )
