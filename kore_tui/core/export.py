"""Write jobs to CSV or JSON (chosen by the file name). Never includes the key."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from kore_tui.core.atomic import write_private
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
    "polls",
    "attempts",
    "createdAt",
    "submittedAt",
    "updatedAt",
    "lastCheckedAt",
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
        writer.writerow({k: _csv_safe(row.get(k)) for k in CSV_FIELDS})
    return buffer.getvalue().encode()


def export_jobs(jobs: list[Job], path: Path) -> Path:
    path = path.expanduser()
    if path.suffix.lower() not in {".csv", ".json"}:
        raise ValueError("export file name must end in .csv or .json")
    write_private(path, render(jobs, path))
    return path
