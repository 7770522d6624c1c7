"""Exports: a new file or nothing (never a replaced file, never a made folder), the
absolute path in every answer, and the same fields in CSV as in JSON."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from pathlib import Path

import pytest

from kore_tui.core.export import CSV_FIELDS, ExportError, export_jobs, render
from kore_tui.core.job import Job, JobState


def job(key: str = "k1", parent: str | None = None, error: str | None = None) -> Job:
    return Job(
        key=key,
        environment="prod",
        host="https://example.invalid",
        origin="sent",
        model_id=f"cm-{key}",
        dock_status_id=f"ds-{key}",
        state=JobState.SUCCESS,
        action="DEPLOY" if parent else "UNDEPLOY",
        parent=parent,
        error=error,
    )


JOBS = [job("first"), job("second", parent="first")]


def test_writes_a_new_file_0600_and_returns_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    written = export_jobs(JOBS, Path("jobs.json"))
    assert written == tmp_path / "jobs.json" and written.is_absolute()
    assert len(json.loads(written.read_text())["jobs"]) == 2
    assert written.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["jobs.json"], "no temp file left behind"


@pytest.mark.parametrize("name", ["important.json", "important.csv"])
def test_an_existing_file_is_never_replaced(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_text("the operator's data\n")
    with pytest.raises(ExportError) as info:
        export_jobs(JOBS, target)
    assert str(info.value) == f"{target} exists: nothing was written; choose another name"
    assert target.read_text() == "the operator's data\n"
    assert os.listdir(tmp_path) == [name], "no temp file left behind"


def test_a_relative_name_is_refused_with_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.csv").write_text("keep")
    with pytest.raises(ExportError) as info:
        export_jobs(JOBS, Path("taken.csv"))
    assert str(info.value).startswith(f"{tmp_path / 'taken.csv'} exists: nothing was written")


def test_a_symlink_is_not_followed_nor_replaced(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.csv"
    dangling = tmp_path / "link.csv"
    dangling.symlink_to(elsewhere)
    with pytest.raises(ExportError, match="exists: nothing was written"):
        export_jobs(JOBS, dangling)
    assert dangling.is_symlink() and not elsewhere.exists()


def test_a_missing_folder_is_not_created(tmp_path: Path) -> None:
    folder = tmp_path / "nodir"
    with pytest.raises(ExportError) as info:
        export_jobs(JOBS, folder / "x.csv")
    assert str(info.value) == f"folder {folder} does not exist: nothing was written"
    assert not folder.exists()


def test_an_unknown_home_is_a_missing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExportError) as info:
        export_jobs(JOBS, Path("~no-such-user-x/jobs.csv"))
    assert str(info.value).startswith(f"folder {tmp_path / '~no-such-user-x'} does not exist")


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "link", full_disk)
    with pytest.raises(ExportError, match=r"No space left on device: nothing was written$"):
        export_jobs(JOBS, tmp_path / "x.csv")
    assert os.listdir(tmp_path) == []


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\.csv or \.json"):
        export_jobs(JOBS, tmp_path / "x.txt")
    assert os.listdir(tmp_path) == []


def test_every_json_field_is_a_csv_column(tmp_path: Path) -> None:
    # A tool's ID sits in its own toolId column; every other JSON key has a column.
    for one in JOBS:
        assert set(one.to_json()) - set(CSV_FIELDS) == set()


def test_csv_carries_the_parent_link(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(render(JOBS, tmp_path / "x.csv").decode())))
    assert [r["parent"] for r in rows] == ["", "first"]
    # Where the JSON has it: after origin, before polls.
    assert CSV_FIELDS[CSV_FIELDS.index("origin") + 1] == "parent"


def test_csv_neutralizes_formulas_in_the_parent_too(tmp_path: Path) -> None:
    text = render([job("x", parent="=HYPERLINK(1)", error="@SUM(1)")], tmp_path / "x.csv")
    (row,) = csv.DictReader(io.StringIO(text.decode()))
    assert row["parent"] == "'=HYPERLINK(1)" and row["error"] == "'@SUM(1)"


@pytest.mark.parametrize("code", [errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV])
def test_a_filesystem_without_hard_links_still_gets_a_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """A USB stick (vfat) or some network mounts refuse link(2): every export there was
    refused ("Operation not permitted") though the folder was writable."""

    def no_links(src: object, dst: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_links)
    written = export_jobs(JOBS, tmp_path / "jobs.json")
    assert [j["modelId"] for j in json.loads(written.read_text())["jobs"]] == [
        "cm-first",
        "cm-second",
    ]
    assert written.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jobs.json"], "no temp file left"
    with pytest.raises(ExportError, match="exists"):
        export_jobs(JOBS, written)
    assert json.loads(written.read_text())["jobs"], "still the first export"
