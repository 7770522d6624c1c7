"""The jobs panel's summary line, as items: "16 job(s) · 2 QUEUED · 5 SUCCESS · 1 FAILED".

Plain Rich text from the panel's model; the panel shows it in an ItemsLine, which wraps
between items.
"""

from __future__ import annotations

from rich.text import Text

from kore_tui.core.job import JobState
from kore_tui.core.text import inert
from kore_tui.tui.jobs_model import JobsModel
from kore_tui.tui.widgets.items_line import Item
from kore_tui.tui.widgets.job_columns import FAILED_STYLE, STATE_STYLES

ORDER = [
    JobState.QUEUED,
    JobState.SUBMITTING,
    JobState.IN_PROGRESS,
    JobState.SUCCESS,
    JobState.FAILED,
    JobState.TIMED_OUT,
    JobState.UNKNOWN,
    JobState.ERROR,
]
# A terminal under 16 rows shows one row of summary: what went wrong comes first there
# (at 40x12 "46 job(s) · 38 SUCCESS" hid 8 FAILED on the row below).
PROBLEMS_FIRST = [
    JobState.FAILED,
    JobState.ERROR,
    JobState.UNKNOWN,
    JobState.TIMED_OUT,
    JobState.QUEUED,
    JobState.SUBMITTING,
    JobState.IN_PROGRESS,
    JobState.SUCCESS,
]


def summary_items(model: JobsModel, *, one_row: bool) -> list[Item]:
    """Counts per state, then what narrows the view, then the marks."""
    items = [Item(Text(f" {len(model.jobs)} job(s)", style="bold"))]
    down = Item(Text(f"{model.down} NO REDEPLOY", style=FAILED_STYLE))
    if model.down and one_row:
        items.append(down)
    for state in PROBLEMS_FIRST if one_row else ORDER:
        shown = model.counts.get(state, 0) - model.stopped.get(state, 0)
        if state is JobState.SUCCESS:
            shown -= model.down  # counted apart: their resource is down
        if shown:
            # The separator unstyled: ERROR's white-on-red chip took it in.
            items.append(Item(Text(f"{shown} {state.value}", style=STATE_STYLES.get(state, ""))))
    if model.down and not one_row:
        items.append(down)
    if stopped := model.stopped.total():
        items.append(Item(Text(f"{stopped} stopped ⏸", style="yellow")))
    # Only what differs from the defaults: "view: all · sort: created" repeated what
    # the header shows and wrapped the line at 80 columns.
    narrowed = []
    if model.status_filter != "all":
        narrowed.append(f"view: {model.status_filter}")
    if model.sort != "created":
        narrowed.append(f"sort: {model.sort}")
    if model.text_filter:
        narrowed.append(f"filter: {inert(model.text_filter, 30)!r}")
    for index, what in enumerate(narrowed):
        items.append(Item(Text(what, style="dim"), " · " if index else "   "))
    if model.marks:
        marked = Text(f"{len(model.marks)} marked", style="bold yellow")
        if hidden := model.hidden_marks:
            marked.append(f" ({hidden} hidden by the filter!)", style="bold red")
        items.append(Item(marked))
    return items
