"""The jobs panel's column layout and cells: which columns fit a width, and each
job's cells as plain text with a style.

Pure functions over a job snapshot, apart from the widget (jobs_table) so the header,
the rows, history and detail views lay out and colour a job the same way. Every string
that came from a server goes through ``inert()``: these become plain Segments, never
markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style

from kore_tui.core.job import Job, JobState
from kore_tui.core.text import inert
from kore_tui.tui.jobs_model import elapsed_seconds, epoch, is_stopped

STATE_STYLES: dict[JobState, Style] = {
    JobState.QUEUED: Style(color="grey62"),
    JobState.SUBMITTING: Style(color="bright_blue"),
    JobState.IN_PROGRESS: Style(color="cyan"),
    JobState.SUCCESS: Style(color="green", bold=True),
    JobState.FAILED: Style(color="red", bold=True),
    JobState.TIMED_OUT: Style(color="yellow", bold=True),
    JobState.UNKNOWN: Style(color="magenta", bold=True),
    # Not just another red: FAILED (the platform said so) and ERROR (rejected or
    # unreachable) must be told apart at a glance, so ERROR is a white-on-red chip.
    JobState.ERROR: Style(color="bright_white", bgcolor="red", bold=True),
}
FAILED_STYLE = STATE_STYLES[JobState.FAILED]


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: the rest of the line (the Error column, always last)


# First in the all-environments view (MainScreen's E): whose job each row is.
ENV_COLUMN = Column("env", "Env", 10)


def columns_for(width: int, show_environment: bool = False) -> tuple[Column, ...]:
    """The columns that fit ``width``: below 100 columns the resource (its cm-/a- prefix
    says model or tool), the action, Status, Elapsed and Error, which then has 23 cells
    at 80 columns; the dock status ID joins from 100 (shortened), Checked and Polls from
    110 (Enter shows them all at any width); from 170, IDs are shown in full and a Kind
    column spells the kind out."""
    if show_environment:
        return (ENV_COLUMN, *columns_for(width))
    id_width = 39 if width >= 170 else 17
    mid, wide = width >= 100, width >= 110
    columns = [Column("kind", "Kind", 5)] if width >= 170 else []
    columns.append(Column("model", "Resource", id_width))
    if mid:
        # Narrower, why a job failed matters more to an operator than its dock status ID
        # (the same handle on every reading, shown by Enter).
        columns.append(Column("dock", "Dock status", id_width if wide else 13))
    # 10: "UNDEPLOY ↻", a bounce's first half (at 8 the ↻ was cut); 13: "IN_PROGRESS ⏸".
    columns.append(Column("action", "Action", 10))
    columns.append(Column("status", "Status", 16 if mid else 13))
    columns.append(Column("elapsed", "Elapsed", 9))
    if wide:
        columns += [Column("checked", "Checked", 8), Column("polls", "Polls", 5)]
    return (*columns, Column("error", "Error", 0))


def short_id(value: str | None, width: int = 17) -> str:
    if not value:
        return "-"
    value = inert(value, 80)
    return value if len(value) <= width else f"{value[: width - 6]}…{value[-4:]}"


def resource_cell(job: Job, width: int, dock_shown: bool) -> str:
    """The row's name: its resource; a watched job has none, so without a Dock status
    column its dock status ID names it (the jobs panel and history below 100/120 cells)."""
    return short_id(job.model_id or (None if dock_shown else job.dock_status_id), width)


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(max(0.0, seconds) + 0.5)  # round once, first: 119.6 s is 2m00s, not 1m60s
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def cut(text: str, width: int) -> str:
    """``text`` in ``width`` cells, a cut one ending in "…" (Enter shows it all)."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def fit(text: str, width: int) -> str:
    return cut(text, width).ljust(width)


def action_text(job: Job, bounced: bool = False) -> str:
    """UNDEPLOY / DEPLOY; ↻ marks either half of a bounce (the detail view says which).
    ``bounced``: a job is the parent of another (a first half whose redeploy is queued:
    its ``then`` is cleared then, and the mark went with it)."""
    bounce = " ↻" if job.then or job.parent or bounced or job.bounce_stopped else ""
    return inert(job.action or "-", 20) + bounce


def status_cell(job: Job, text: str) -> tuple[str, Style | None]:
    """A Status cell (the panel's and history's): ``text`` in its state's colour, except a
    bounce that left its resource down, NO REDEPLOY in red ("SUCCESS (no redeploy)" is
    cut at 13 and 16 columns, and green read as fine)."""
    if job.redeploy_missing:
        return "NO REDEPLOY", FAILED_STYLE
    return text, STATE_STYLES.get(job.state)


def row_cells(
    job: Job,
    now: float,
    id_width: int = 17,
    dock_width: int | None = None,
    dock_shown: bool = True,
    bounced: bool = False,
) -> dict[str, tuple[str, Style | None]]:
    checked = epoch(job.last_checked_at)
    checked_text = ago(now - checked) if checked else "-"
    if job.stale:
        checked_text = "⚠ " + checked_text
    elapsed = ago(elapsed_seconds(job, now))
    if job.origin == "watch" and job.is_final and job.polls <= 1:
        elapsed = "-"  # final at its first check: "≥0s" said nothing of its length
    elif job.origin == "watch" and elapsed != "-":
        # Started elsewhere, before the watch, and Get Dock Status carries no start time:
        # what is known is a lower bound ("5s" read as the age of a 20-minute deploy).
        elapsed = "≥" + elapsed
    error_style = Style(
        color="bright_red"
        if job.state in {JobState.ERROR, JobState.UNKNOWN, JobState.FAILED}
        else "grey70"
    )
    return {
        "env": (inert(job.environment, 40), Style(bold=True)),
        "kind": (inert(job.resource or "?", 10), None),
        "model": (resource_cell(job, id_width, dock_shown), None),
        "dock": (short_id(job.dock_status_id, dock_width or id_width), None),
        "action": (
            action_text(job, bounced),
            Style(color="cyan") if job.action == "DEPLOY" else None,
        ),
        # Not SUCCESS green: the resource is down (see Job.redeploy_missing).
        "status": status_cell(job, job.status_label + (" ⏸" if is_stopped(job) else "")),
        "elapsed": (elapsed, None),
        "checked": (checked_text, Style(color="yellow") if job.stale else None),
        "polls": (str(job.polls), None),
        "error": (inert(job.error, 400) if job.error else "", error_style),
    }


def render_cells(
    cells: Mapping[str, tuple[str, Style | None]], columns: tuple[Column, ...], width: int
) -> list[tuple[str, Style | None]]:
    """Cells padded to their columns; the last column takes what is left of ``width``."""
    used = 2 + sum(c.width + 1 for c in columns if c.width)
    out = []
    for column in columns:
        text, style = cells[column.key]
        size = column.width or max(width - used, 1)
        out.append((fit(text, size) + (" " if column.width else ""), style))
    return out
