"""Paste anything: live feedback on what was understood.

The box can hold a whole export (100,000 IDs and more), so parsing never runs
on the UI loop: an edit (re)arms a short debounce timer, the timer starts one
exclusive thread worker over a snapshot of the document's lines, and the
result is used only if no edit came after it. Nothing is cut: the whole text
is parsed, whatever its size. Actions that need the IDs await
:meth:`IdEntry.current`, which parses now (off the loop) if the last edit is
not parsed yet, so a quick ctrl+u never acts on a stale parse.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.document._wrapped_document import WrappedDocument
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Static, TextArea
from textual.widgets.text_area import Edit, EditResult
from textual.worker import get_current_worker

from kore_tui.core.ids import IdParser, ParsedIds, parse_ids
from kore_tui.tui.widgets.carried_ids import CarriedIds
from kore_tui.tui.widgets.fit_row import show_what_fits
from kore_tui.tui.widgets.safe_text import SafeTextArea

# The reasons panel scrolls; past this many, a count (a 100k-token paste must stay cheap).
_MAX_REASONS = 200
# Long enough that a typist's next key usually cancels the pending parse, short enough
# that feedback on a paste feels immediate.
DEBOUNCE_SECONDS = 0.15


# Lines parsed between checks for a newer edit (and a GIL hand-over to the UI thread):
# about 3 ms of work each.
CHUNK_LINES = 2_000


def parse_lines(
    lines: list[str],
    cancelled: Callable[[], bool] = lambda: False,
) -> ParsedIds | None:
    """Parse in chunks; None if ``cancelled()`` turned true on the way."""
    if len(lines) <= CHUNK_LINES:
        return parse_ids("\n".join(lines))
    parser = IdParser()
    for start in range(0, len(lines), CHUNK_LINES):
        if cancelled():
            return None
        parser.feed("\n".join(lines[start : start + CHUNK_LINES]))
        # Without this the UI thread can wait a whole switch interval (5 ms) for the
        # interpreter after every system call: a convoy that cost 30+ ms a frame.
        time.sleep(0)
    return parser.result


def feedback_text(parsed: ParsedIds, writable: bool = True) -> Text:
    text = Text()
    if not parsed.total_valid and not parsed.invalid:
        text.append(
            "Paste model (cm-…) or tool (a-…) IDs to undeploy, deploy or bounce, or "
            "dock status IDs (ds-…) to watch.\n"
            if writable
            else "Read-only: paste dock status IDs (ds-…) to watch.\n",
            style="dim",
        )
        text.append("Lines, commas, CSV, JSON, URLs: anything goes.", style="dim")
        return text
    counts = []  # what the paste holds: "0 model ID(s)" beside a lone ds- ID was noise
    if parsed.model_ids or not (parsed.tool_ids or parsed.dock_status_ids):
        counts.append((f"{len(parsed.model_ids)} model ID(s)", "bold green"))
    if parsed.tool_ids:
        counts.append((f"{len(parsed.tool_ids)} tool ID(s)", "bold green"))
    if parsed.dock_status_ids:
        counts.append((f"{len(parsed.dock_status_ids)} dock status ID(s)", "bold cyan"))
    for index, (count, style) in enumerate(counts):
        text.append((" · " if index else "") + count, style=style)
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


class CountedWrappedDocument(WrappedDocument):
    @property
    def height(self) -> int:
        return len(self._offset_to_line_info)


class IdsTextArea(SafeTextArea):
    """The paste box. ctrl+u/ctrl+w/ctrl+o/ctrl+l here are the screen's priority bindings
    (not a TextArea's line editing); the box's border title lists them.

    Textual 8.2's TextArea re-measures every line after every edit to size its
    scroll area (``Document.get_size``): 170 ms a keystroke with 100,000 lines in
    the box. Here an edit measures only the lines it wrote; the width can then
    overstate after a long line is shortened (a little spare horizontal scroll),
    never understate. Loading and undo/redo still measure everything, once.
    """

    _editing: Edit | None = None
    _width = 0
    _wrapped: WrappedDocument

    # Textual's WrappedDocument.height sums over every line, and TextArea.render_line asks
    # for it once per painted row: 70 ms a frame at 100,000 lines. The number of wrapped
    # rows is also the length of its row index, which wrap() and wrap_range() keep.
    @property
    def wrapped_document(self) -> WrappedDocument:
        return self._wrapped

    @wrapped_document.setter
    def wrapped_document(self, document: WrappedDocument) -> None:
        document.__class__ = CountedWrappedDocument
        self._wrapped = document

    def _rewrap_and_refresh_virtual_size(self) -> None:
        # Without soft wrap there is nothing to re-wrap on a resize or a new document
        # (already wrapped at width 0 when it was made); skipping saves O(lines) work.
        wrapped = self.wrapped_document
        if (
            self.soft_wrap
            or wrapped._width
            or wrapped._tab_width != self.indent_width
            or len(wrapped._line_index_to_offsets) != self.document.line_count
        ):
            super()._rewrap_and_refresh_virtual_size()
            return
        self._line_cache.clear()
        self._refresh_size()

    def edit(self, edit: Edit) -> EditResult:
        self._editing = edit
        try:
            return super().edit(edit)
        finally:
            self._editing = None

    def _refresh_size(self) -> None:
        edit = self._editing
        if self.soft_wrap or edit is None:
            super()._refresh_size()
            self._width = max(self.virtual_size.width - self.gutter_width - 1, 0)
            return
        first = edit.top[0]
        # Every line break the document knows (\r, \r\n, \n: a terminal paste sends \r):
        # counting "\n" alone measured one line of a pasted block, and the rest showed cut
        # at that line's width, IDs hidden that ctrl+u would send.
        written = len(edit.text.splitlines()) + 1  # +1: a trailing break starts a line
        lines = self.document.lines[first : first + written]
        tab = self.indent_width
        self._width = max([self._width, *(cell_len(line.expandtabs(tab)) for line in lines)])
        self.virtual_size = Size(self._width + self.gutter_width + 1, self.document.line_count)
        self._refresh_scrollbars()


class ClickButton(Button, can_focus=False):
    """A button for the mouse: its action has a key, so it needs no stop in the Tab chain."""


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
    IdEntry #buttons Button { width: auto; min-width: 0; height: 1; border: none;
        margin: 0 1 0 0; padding: 0 1; }
    /* A write in a read-only environment: Textual's disabled button only dims the text,
       and a red Undeploy still looked live. */
    IdEntry #buttons Button:disabled { background: $panel; color: $text-disabled;
        text-style: none; }
    """

    class Parsed(Message):
        def __init__(self, parsed: ParsedIds) -> None:
            self.parsed = parsed
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.parsed = ParsedIds()
        self._version = 0  # bumped by every edit
        self._parsed_version = 0  # the version self.parsed belongs to
        self._debounce: Timer | None = None
        self.writable = True
        self._carried = CarriedIds()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield IdsTextArea(id="ids", soft_wrap=False, show_line_numbers=False)
            # Out of the Tab chain, like the buttons: Tab goes from the box to the jobs
            # panel in one press (it took eight). The wheel scrolls the reasons; each
            # button has its key (ctrl+u/d/r/w/o/l, in the box's title) and takes a click.
            with VerticalScroll(id="feedback-scroll", can_focus=False):
                yield Static(feedback_text(self.parsed), id="feedback")
        with Horizontal(id="buttons"):
            yield ClickButton("Undeploy 0", id="undeploy", variant="error")
            yield ClickButton("Deploy 0", id="deploy", variant="warning")
            yield ClickButton("Bounce 0", id="bounce", variant="warning")
            yield ClickButton("Watch 0", id="watch", variant="primary")
            # "Load", not "Load file": at 80 columns with 10+ IDs, Clear did not fit.
            yield ClickButton("Load", id="load")
            yield ClickButton("Clear", id="clear")

    @property
    def text_area(self) -> TextArea:
        return self.query_one("#ids", TextArea)

    @property
    def parse_pending(self) -> bool:
        """The box changed since the last finished parse."""
        return self._parsed_version != self._version

    def carry_over(self, from_env: str) -> None:
        """The environment changed with IDs in the box: they were pasted for ``from_env``."""
        self._carried.carry_over(from_env, self.parsed.resource_ids)

    def carried(self, ids: Iterable[str]) -> tuple[str | None, int]:
        """The environment some of ``ids`` were pasted for, and how many of them."""
        return self._carried.of(ids)

    def set_text(self, text: str) -> None:
        if not text:
            self._carried.forget()  # ctrl+l, or all taken: what comes next is typed here
        self.text_area.load_text(text)
        self._edited(0.0)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._edited(DEBOUNCE_SECONDS)

    def _edited(self, delay: float) -> None:
        self._version += 1
        if self._debounce is not None:
            self._debounce.stop()
        # A parse of an older text is now useless: let it stop at its next check.
        self.workers.cancel_group(self, "id-parse")
        if delay > 0:
            self._debounce = self.set_timer(delay, self._start_parse)
        else:
            # Not set_timer(0): Textual 8.2's timer divides by its interval on its first
            # step, so a 0 s timer never calls back and its task dies (re-raised at quit).
            self._debounce = None
            self.call_later(self._start_parse_if_current, self._version)

    def _snapshot(self) -> list[str]:
        # A shallow copy of the line list (strings are immutable): O(lines) pointer copies
        # on the loop; joining and parsing happen on the worker's thread.
        return list(self.text_area.document.lines)

    def _start_parse_if_current(self, version: int) -> None:
        if version == self._version:  # a later edit has its own debounce
            self._start_parse()

    def _start_parse(self) -> None:
        self._debounce = None
        self._parse(self._snapshot(), self._version)

    @work(thread=True, exclusive=True, group="id-parse", exit_on_error=False)
    def _parse(self, lines: list[str], version: int) -> None:
        worker = get_current_worker()
        parsed = parse_lines(lines, lambda: worker.is_cancelled or self._stale(version))
        if parsed is not None and not worker.is_cancelled:
            self.app.call_from_thread(self._parsed, parsed, version)

    def _parsed(self, parsed: ParsedIds, version: int) -> None:
        if version != self._version:
            return  # the box changed meanwhile; its own parse is on the way
        self._parsed_version = version
        self.parsed = parsed
        self._carried.keep_only_while_in(parsed.resource_ids)
        self._show(parsed)

    async def current(self) -> ParsedIds:
        """The IDs in the box as it is now (parsing off the loop if an edit is pending)."""
        while self.parse_pending:
            version = self._version
            if self._debounce is not None:
                self._debounce.stop()
                self._debounce = None
            parsed = await asyncio.to_thread(
                parse_lines, self._snapshot(), functools.partial(self._stale, version)
            )
            if parsed is not None:
                self._parsed(parsed, version)
        return self.parsed

    def _stale(self, version: int) -> bool:
        return version != self._version

    def set_writable(self, writable: bool) -> None:
        """Read-only: the write buttons are greyed out and the hint offers only a watch."""
        self.writable = writable
        self._grey_writes(self.parsed)
        self.query_one("#feedback", Static).update(feedback_text(self.parsed, writable))

    def _grey_writes(self, parsed: ParsedIds) -> None:
        """Greyed where they would be refused: read-only, or a mangled ID in the box (the
        keys say why: "fix or remove them first"). Watch keeps what it does not take."""
        mangled = any(token.kind == "malformed" for token in parsed.invalid)
        for name in ("undeploy", "deploy", "bounce"):
            self.query_one(f"#{name}", Button).disabled = not self.writable or mangled

    def _show(self, parsed: ParsedIds) -> None:
        self.query_one("#feedback", Static).update(feedback_text(parsed, self.writable))
        self._grey_writes(parsed)
        resources = len(parsed.model_ids) + len(parsed.tool_ids)
        for name in ("undeploy", "deploy", "bounce"):
            self.query_one(f"#{name}", Button).label = f"{name.title()} {resources}"
        self.query_one("#watch", Button).label = f"Watch {len(parsed.dock_status_ids)}"
        # An auto-width button keeps its old width when its label grows ("Undeploy 0" to
        # "Undeploy 12" wrapped the count out of sight): measure each button again.
        for button in self.query("#buttons Button"):
            button.refresh(layout=True)
        self._show_whole_buttons()
        self.post_message(self.Parsed(parsed))

    def on_resize(self) -> None:
        self.call_after_refresh(self._show_whole_buttons)  # once the row has its new width

    def _show_whole_buttons(self) -> None:
        """At 60 columns the row ended in "Watch 0     Loa": the last buttons give way
        (ctrl+o and ctrl+l do what Load and Clear do; the title and F1 say so)."""
        row = self.query_one("#buttons")
        if row.size.width:
            show_what_fits(self.query("#buttons Button"), row.size.width, row.size)
