"""The live jobs panel: a Line API widget that repaints only rows that changed.

Textual's stock DataTable repaints every visible cell after any update (p99
event-loop lag 94-150 ms at 10k rows and 2,000 updates/s on a 2-core
machine). Here a batch of changes becomes a handful of one-line refresh
regions; each row is rendered from the job snapshot on demand, with fixed
column widths so nothing is re-measured (the layout is in job_columns).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from kore_tui.core.job import Job
from kore_tui.core.text import inert
from kore_tui.tui.jobs_model import JobsModel
from kore_tui.tui.keys import fit_keys
from kore_tui.tui.widgets.job_columns import (
    STATE_STYLES,
    ago,
    columns_for,
    fit,
    render_cells,
    row_cells,
)
from kore_tui.tui.widgets.jobs_bindings import JOBS_TABLE_BINDINGS

# Re-exported: the layout lived here before it got its own module, and tests import it
# from here.
__all__ = ["STATE_STYLES", "JobsHeader", "JobsTable", "ago", "row_cells"]


SCROLLBAR_COLUMNS = 2  # the table's scrollbar-size-vertical, always reserved


class JobsHeader(Widget):
    """Laid out exactly like a row, for the same width, so titles sit over their cells."""

    sort = reactive("created")
    show_environment = reactive(False)

    def set_sort(self, sort: str, show_environment: bool = False) -> None:
        self.sort = sort
        self.show_environment = show_environment

    def render(self) -> Text:
        # The rows' width: the table keeps its scrollbar's columns (scrollbar-gutter:
        # stable). Laid out for the full width, the titles at 100 and 110 columns were of
        # another column set than the rows below them once the list scrolled.
        width = self.size.width - SCROLLBAR_COLUMNS
        target = {"model": "Resource", "status": "Status", "elapsed": "Elapsed"}.get(self.sort)
        columns = columns_for(width, self.show_environment)
        titles = {c.key: (c.title + (" ▾" if c.title == target else ""), None) for c in columns}
        # The mark column's title is the mark itself: an SVG export drops leading blanks,
        # which shifted every title two columns left.
        text = "● " + "".join(cell for cell, _ in render_cells(titles, columns, width))
        return Text(text, no_wrap=True, overflow="crop")


class JobsTable(ScrollView, can_focus=True):
    DEFAULT_CSS = f"""
    JobsTable {{ height: 1fr; background: $surface; scrollbar-gutter: stable;
        scrollbar-size-vertical: {SCROLLBAR_COLUMNS}; overflow-x: hidden; }}
    """
    BINDINGS = JOBS_TABLE_BINDINGS

    cursor = reactive(0, always_update=True, repaint=False)

    class OpenDetail(Message):
        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    class MarksChanged(Message):
        pass

    class SentRowsHidden(Message):
        """Rows a send from the ID box brought are hidden by the view or the text filter."""

        def __init__(self, keys: list[str]) -> None:
            self.keys = keys
            super().__init__()

    def __init__(
        self, model: JobsModel, *, id: str | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(id=id)
        self.model = model
        self.show_environment = False
        self._last_rebuild = 0.0
        self._clock = clock
        self.writable = True  # False: the empty panel's hint offers only what can run
        self._follow_until = 0.0  # see follow_next_new

    # -- feeding -----------------------------------------------------------------------

    def follow_next_new(self) -> None:
        """The operator just sent from the ID box: the cursor goes to the first of the rows
        it brings (they are added at the bottom, out of sight under a long panel, and the
        next key acted on the row the cursor had). For a few seconds only: a send that
        only joined rows already shown must not move the cursor much later."""
        self._follow_until = time.monotonic() + 5.0

    def apply(self, changed: list[Job], removed: list[str]) -> None:
        following = time.monotonic() < self._follow_until
        new = [j.key for j in changed if j.key not in self.model.jobs] if following else []
        rows = self.model.apply(changed, removed)
        if new:
            self._follow_until = 0.0
            self.rebuild()
            if any(self.model.index_of(k) is None for k in new):
                self.post_message(self.SentRowsHidden(new))
            else:
                self.show_first_of(new)
            return
        if self.model.dirty and time.monotonic() - self._last_rebuild > 0.3:
            self.rebuild()
            return
        top = int(self.scroll_offset.y)
        bottom = top + self.size.height
        for row in rows:
            if top <= row < bottom:
                self.refresh(Region(0, row - top, self.size.width, 1))

    _focus_moves = 0  # counts let_go(): a focus kept by a rebuild before it stands down

    def _keep_focus(self, moves: int) -> None:
        if moves == self._focus_moves:
            self.focus()

    def let_go(self) -> None:
        """The focus leaves the panel on purpose (F2, a paste, ctrl+l): a rebuild's pending
        re-focus must not bring it back (a drain 0.1 s later took it back from the ID box,
        and the next typed ID ran as the panel's keys)."""
        self._focus_moves += 1

    def show_first_of(self, keys: list[str]) -> None:
        """The cursor on the first of these rows that the panel shows."""
        shown = [i for k in keys if (i := self.model.index_of(k)) is not None]
        if shown:
            self.cursor = min(shown)
            # Once more after the next refresh: the scroll range may still be that of the
            # rows before the rebuild, and the scroll to a row just past it was cut short.
            self.call_after_refresh(self.scroll_to_cursor)

    def rebuild(self) -> None:
        # Not has_focus: it changes when the Blur event is handled, after a set_focus.
        if self.screen.focused is self:
            # A re-layout (new virtual size plus a changed header) can make Textual hand the
            # focus to the next widget in the chain; the operator's focus stays here.
            self.call_after_refresh(self._keep_focus, self._focus_moves)
        key = self.cursor_key
        self.model.rebuild()
        self._last_rebuild = time.monotonic()
        self._set_virtual_size()
        if key is not None and (index := self.model.index_of(key)) is not None:
            self.cursor = index
        else:
            self.cursor = min(self.cursor, max(len(self.model.visible) - 1, 0))
        self.refresh()

    def tick(self) -> None:
        """Once a second: ages move, and a throttled rebuild may be due."""
        if self.model.dirty:
            self.rebuild()
            return
        # Only the rows on screen hold ages; the empty lines below them (and the message of
        # an empty panel) never change. Repainting the whole panel wrote the same lines to
        # the terminal each second: ~3.9 KB/s at 120x36 from a console with no jobs.
        rows = min(len(self.model.visible) - int(self.scroll_offset.y), self.size.height)
        if rows > 0:
            self.refresh(Region(0, 0, self.size.width, rows))

    # -- rendering ---------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        visible = self.model.visible
        return visible[self.cursor] if 0 <= self.cursor < len(visible) else None

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        # Not size.width: that includes the scrollbar's two columns, which then covered
        # the row's last cells, and a long error lost the "…" that says Enter shows it all.
        width = self.scrollable_content_region.width
        base = self.rich_style
        visible = self.model.visible
        if not visible and y == 1:
            message = fit(fit_keys("  " + self.empty_message(), width), width)
            return Strip([Segment(message, base + Style(italic=True))], width)
        if index >= len(visible):
            return Strip.blank(width, base)
        key = visible[index]
        job = self.model.jobs[key]
        is_cursor = index == self.cursor
        row_style = base + Style(bgcolor="grey23") if is_cursor else base
        if is_cursor and self.has_focus:
            row_style = base + Style(bgcolor="dark_blue")
        segments = [
            Segment(
                "● " if key in self.model.marks else "  ",
                row_style + Style(color="yellow", bold=True),
            )
        ]
        columns = columns_for(width, self.show_environment)
        widths = {c.key: c.width for c in columns}
        cells = row_cells(
            job,
            self._clock(),
            widths["model"],
            widths.get("dock"),
            dock_shown="dock" in widths,
            bounced=key in self.model.parents,
        )
        for text, style in render_cells(cells, columns, width):
            segments.append(Segment(text, row_style + style if style else row_style))
        return Strip(segments).crop(0, width)

    def empty_message(self) -> str:
        """An empty panel says why, and what to press."""
        model = self.model
        if not model.jobs and not self.writable:
            return "No jobs yet. Read-only: paste dock status IDs (ds-…) above, then ctrl+w"
        if not model.jobs:
            return (
                "No jobs yet: paste IDs above, then ctrl+u (ctrl+d deploys, ctrl+w watches ds- IDs)"
            )
        if model.text_filter:
            return f"nothing matches {inert(model.text_filter, 40)!r} — esc clears the filter"
        view = {"problems": "jobs with problems", "success": "successful jobs"}.get(
            model.status_filter, f"{model.status_filter} jobs"
        )
        return f"no {view} — f cycles the view (all, active, problems, …)"

    # -- cursor and marks --------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        for row in {old, new}:
            if top <= row < top + self.size.height:
                self.refresh(Region(0, row - top, self.size.width, 1))
        self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.model.visible) - 1)) if self.model.visible else 0

    def action_cursor(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def action_cursor_to(self, index: int) -> None:
        self.cursor = index if index >= 0 else len(self.model.visible) - 1

    def action_toggle_mark(self) -> None:
        if (key := self.cursor_key) is not None:
            self.model.toggle_mark(key)
            self.refresh()
            self.post_message(self.MarksChanged())
            self.cursor = self.cursor + 1

    def action_mark_all(self) -> None:
        self.model.mark_visible()
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_clear_marks(self) -> None:
        self.model.marks.clear()
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_open_detail(self) -> None:
        if (key := self.cursor_key) is not None:
            self.post_message(self.OpenDetail(key))

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if isinstance(y, int):
            self.cursor = int(self.scroll_offset.y) + y

    def on_resize(self) -> None:
        self._set_virtual_size()

    def _set_virtual_size(self) -> None:
        # The rows are as wide as the room left of the scrollbar's reserved columns: the
        # table's whole width was 2 columns too many, and a horizontal scrollbar took the
        # panel's last row (a "▏" above the footer). Never scrolled sideways: columns fit.
        width = max(0, self.size.width - SCROLLBAR_COLUMNS)
        self.virtual_size = Size(width, len(self.model.visible))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
