"""Write jobs to CSV or JSON (chosen by the file name). Never includes the key.

An export only ever creates a new file: an operator typing the name of a file they
keep must not lose it, and a typo in a folder name must not leave a new folder behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from kore_tui.core.atomic import create_private
from kore_tui.core.job import Job

CSV_FIELDS = (
    "kind",
    "modelId",
    "toolId",
    "dockStatusId",
    "environment",
    "status",
    "serverStatus",
    "error",
    "httpStatus",
    "action",
    "origin",
    "parent",
    "polls",
    "attempts",
    "createdAt",
    "submittedAt",
    "updatedAt",
    "lastCheckedAt",
    "timeline",
)


def _timeline_cell(steps: list[dict[str, object]]) -> str:
    """The JSON's timeline in one cell: "at STATE: detail; at STATE; ..."."""
    return "; ".join(
        f"{step['at']} {step['state']}" + (f": {step['detail']}" if step["detail"] else "")
        for step in steps
    )


def _csv_safe(value: object) -> object:
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralize server text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render(jobs: list[Job], path: Path) -> bytes:
    rows = [j.to_json() for j in jobs]
    if path.suffix.lower() == ".json":
        return (json.dumps({"jobs": rows}, indent=2) + "\n").encode()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        row["timeline"] = _timeline_cell(row["timeline"])
        writer.writerow({k: _csv_safe(row.get(k)) for k in CSV_FIELDS})
    return buffer.getvalue().encode()


class ExportError(Exception):
    """Nothing was written; the message names the absolute path and why."""


def export_jobs(jobs: list[Job], path: Path) -> Path:
    """Write ``jobs`` to the new file ``path``; return its absolute path.

    The absolute path is what an operator needs to find the file (a relative name is
    relative to wherever the console was started)."""
    # os.path's expanduser leaves "~nosuchuser" as typed (then "no such folder");
    # Path.expanduser raises RuntimeError, which the callers do not expect.
    path = Path(os.path.expanduser(path)).absolute()
    if path.suffix.lower() not in {".csv", ".json"}:
        raise ExportError(f"{path}: the file name must end in .csv or .json; nothing was written")
    try:
        create_private(path, render(jobs, path))
    except FileExistsError as exc:
        raise ExportError(f"{path} exists: nothing was written; choose another name") from exc
    except FileNotFoundError as exc:
        raise ExportError(f"folder {path.parent} does not exist: nothing was written") from exc
    except OSError as exc:
        raise ExportError(f"{path}: {exc.strerror or exc}: nothing was written") from exc
    return path
