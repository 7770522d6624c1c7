"""History's columns for a width: what each row shows, and how wide.

The history table had fixed widths (132 cells): at 80 columns the Error column was off
screen behind Env and Dock status, at 250 it stopped at 40 cells with 100 free. Here, as
in the jobs panel (job_columns), the error takes what is left; narrower, the dock status
ID (in the detail view, Enter) and the Env column (one environment's history) give way.
"""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text

from kore_tui.core.job import Job
from kore_tui.core.text import inert
from kore_tui.tui.widgets.job_columns import (
    Column,
    action_text,
    cut,
    resource_cell,
    short_id,
    status_cell,
)

_CELL_PADDING = 2  # DataTable pads each cell by one on both sides
_MIN_ERROR = 12  # fits beside the other columns of one environment's history at 80
_ISO = re.compile(r"(\d{4})-(\d\d-\d\d)T(\d\d:\d\d:\d\d)")


def history_columns(width: int, all_environments: bool) -> tuple[Column, ...]:
    wide = width >= 120
    id_width = 39 if width >= 200 else 17
    columns = [Column("created", "Created (UTC)" if wide else "Created", 19 if wide else 11)]
    if all_environments or wide:
        columns.append(Column("env", "Env", 12))
    columns += [
        Column("action", "Action", 10),  # "UNDEPLOY ↻": a bounce's half keeps its mark
        Column("status", "Status", 11),  # IN_PROGRESS
        Column("model", "Resource", id_width),
    ]
    if wide:
        columns.append(Column("dock", "Dock status", id_width))

    def error_room(shown: list[Column]) -> int:
        # Every cell's padding, the error's own too, and the vertical scrollbar (2) that a
        # long history shows: at 120 columns the table was 2 wider than the screen (a
        # horizontal scrollbar, the Error column cut by the edge without its "…").
        return width - sum(c.width + _CELL_PADDING for c in shown) - _CELL_PADDING - 2

    # Too little room for the error: the dock status ID gives way first (Enter shows it),
    # then the Env column of one environment's history.
    for key in ("dock", "env"):
        if error_room(columns) >= _MIN_ERROR or (key == "env" and all_environments):
            break
        columns = [c for c in columns if c.key != key]
    return (*columns, Column("error", "Error", max(error_room(columns), _MIN_ERROR)))


def created_text(created_at: str | None, width: int) -> str:
    """2026-12-03T08:17:32.123Z as "2026-12-03 08:17:32", or "12-03 08:17" narrow."""
    value = inert(created_at or "-", 40)
    match = _ISO.match(value)
    if not match:
        return value[:width]
    year, day, time = match.groups()
    return f"{year}-{day} {time}" if width >= 19 else f"{day} {time[:5]}"


def _styled(cell: tuple[str, Style | None]) -> tuple[str, Style | str]:
    return cell[0], cell[1] or ""


def history_cells(job: Job, columns: tuple[Column, ...], bounced: bool = False) -> list[Text]:
    """``bounced``: the job is a bounce's first half (the parent of a shown job)."""
    widths = {c.key: c.width for c in columns}
    cells = {
        "created": lambda: Text(created_text(job.created_at, widths["created"])),
        "env": lambda: Text(inert(job.environment, 12)),
        "action": lambda: Text(action_text(job, bounced)),
        "status": lambda: Text(*_styled(status_cell(job, job.state.value))),
        "model": lambda: Text(resource_cell(job, widths["model"], "dock" in widths)),
        "dock": lambda: Text(short_id(job.dock_status_id, widths.get("dock", 17))),
        # Cut here, with its "…": the table crops a cell without the Text's own ellipsis.
        "error": lambda: Text(cut(inert(job.error or "", 400), widths["error"])),
    }
    return [cells[c.key]() for c in columns]
