"""Paste anything: live feedback on what was understood."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static, TextArea

from kore_tui.core.ids import ParsedIds, parse_ids
from kore_tui.tui.widgets.safe_text import SafeTextArea

# The reasons panel scrolls; past this many, a count (a 100k-token paste must stay cheap).
_MAX_REASONS = 200


def feedback_text(parsed: ParsedIds) -> Text:
    text = Text()
    if not parsed.total_valid and not parsed.invalid:
        text.append("Paste model IDs (cm-…) to undeploy, or dock status IDs (ds-…) to watch.\n"
                    "Lines, commas, CSV, JSON, URLs: anything goes.", style="dim")
        return text
    text.append(f"{len(parsed.model_ids)} model ID(s)", style="bold green")
    if parsed.dock_status_ids:
        text.append(f" · {len(parsed.dock_status_ids)} dock status ID(s)", style="bold cyan")
    if parsed.duplicates:
        text.append(f" · {parsed.duplicates} duplicate(s) removed", style="yellow")
    if parsed.invalid:
        text.append(f"\n{len(parsed.invalid)} invalid:", style="bold red")
        for bad in parsed.invalid[:_MAX_REASONS]:
            text.append(f"\n  {bad.token}", style="red")
            text.append(f"  {bad.reason}", style="dim")
        if len(parsed.invalid) > _MAX_REASONS:
            text.append(f"\n  … and {len(parsed.invalid) - _MAX_REASONS} more", style="dim")
    return text


class IdsTextArea(SafeTextArea):
    """The paste box. ctrl+u/ctrl+w/ctrl+o/ctrl+l here are the screen's priority bindings
    (not a TextArea's line editing); the box's border title lists them."""


class IdEntry(Vertical):
    DEFAULT_CSS = """
    IdEntry { height: 25vh; min-height: 9; max-height: 20; border: round $primary-darken-2;
        border-title-color: $text-muted; }
    IdEntry > Horizontal { height: 1fr; }
    IdEntry TextArea, IdEntry TextArea:focus { width: 3fr; height: 100%; border: none;
        padding: 0 1; }
    IdEntry #feedback-scroll { width: 2fr; height: 100%; }
    IdEntry #feedback { width: 100%; height: auto; padding: 0 1; }
    IdEntry #buttons { height: 1; width: 100%; }
    IdEntry #buttons Button { width: auto; min-width: 10; height: 1; border: none;
        margin: 0 1 0 0; padding: 0 1; }
    """

    class Parsed(Message):
        def __init__(self, parsed: ParsedIds) -> None:
            self.parsed = parsed
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.parsed = ParsedIds()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield IdsTextArea(id="ids", soft_wrap=False, show_line_numbers=False)
            with VerticalScroll(id="feedback-scroll"):
                yield Static(feedback_text(self.parsed), id="feedback")
        with Horizontal(id="buttons"):
            yield Button("Undeploy 0", id="undeploy", variant="error")
            yield Button("Watch 0", id="watch", variant="primary")
            yield Button("Load file", id="load")
            yield Button("Clear", id="clear")

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#ids", TextArea)

    def set_text(self, text: str) -> None:
        self.text_area.load_text(text)
        self._reparse(text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._reparse(event.text_area.text)

    def _reparse(self, text: str) -> None:
        self.parsed = parse_ids(text[: 4 * 1024 * 1024])
        self.query_one("#feedback", Static).update(feedback_text(self.parsed))
        self.query_one("#undeploy", Button).label = f"Undeploy {len(self.parsed.model_ids)}"
        self.query_one("#watch", Button).label = f"Watch {len(self.parsed.dock_status_ids)}"
        # An auto-width button keeps its old width when its label grows ("Undeploy 0" to
        # "Undeploy 12" wrapped the count out of sight): measure each button again.
        for button in self.query("#buttons Button"):
            button.refresh(layout=True)
        self.post_message(self.Parsed(self.parsed))
