"""What the command line writes: raw server strings come out inert, errors as one JSON
document under --json, and the job objects carry the contract's keys."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from kore_tui.cli.common import job_document, print_jobs
from kore_tui.cli.failure import ERROR_CODES
from kore_tui.cli.main import main
from kore_tui.core.job import Job, JobState
from tests.audit.corpus import PAYLOADS, assert_inert
from tests.cli_runner import run_cli

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"


def raw_job(payload: str) -> Job:
    """Every string field straight from a server (or a journal written by an older version),
    not cleaned by anyone."""
    return Job(
        key="k",
        environment=payload,
        host="h",
        origin="watch",
        model_id=payload,
        dock_status_id=payload,
        state=JobState.IN_PROGRESS,
        server_status=payload,
        action=payload,
        job_type=payload,
        error=payload,
        created_at=payload,
    )


def written(jobs: list[Job], as_json: bool) -> bytes:
    raw = io.BytesIO()
    # strict UTF-8: a lone surrogate reaching the output would raise here
    out = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="\n")
    print_jobs(jobs, as_json, out, with_time=True)
    out.flush()
    return raw.getvalue()


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_text_output_of_raw_server_strings_is_inert(payload: str) -> None:
    data = written([raw_job(payload)], as_json=False)
    assert b"\x1b" not in data and b"\xc2\x9b" not in data and b"\x07" not in data
    lines = data.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 2, "one job, one line"
    assert_inert(lines[0], 1000)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_json_output_of_raw_server_strings_is_escaped_and_lossless(payload: str) -> None:
    data = written([raw_job(payload)], as_json=True)
    assert data.isascii(), "control, bidi and non-ASCII characters are escaped by JSON"
    job = json.loads(data)["jobs"][0]
    assert job["modelId"] == payload and job["error"] == payload  # exact, for a program


def test_job_objects_carry_kind_and_action_as_the_contract_says() -> None:
    undeploy = Job(
        key="k",
        environment="e",
        host="h",
        origin="sent",
        model_id=MODEL,
        dock_status_id=DS,
        state=JobState.SUCCESS,
    )
    doc = job_document(undeploy)
    assert (doc["kind"], doc["action"], doc["origin"]) == ("model", "UNDEPLOY", "sent")
    tool = Job(
        key="k",
        environment="e",
        host="h",
        origin="watch",
        model_id="a-1",
        dock_status_id=DS,
        state=JobState.IN_PROGRESS,
        job_type="TOOLS",
        action="DEPLOY",
    )
    assert (job_document(tool)["kind"], job_document(tool)["action"]) == ("tool", "DEPLOY")
    unknown = Job(
        key="k",
        environment="e",
        host="h",
        origin="watch",
        model_id=None,
        dock_status_id=DS,
        state=JobState.IN_PROGRESS,
        job_type=None,
    )
    assert job_document(unknown)["kind"] is None
    for field in (
        "modelId",
        "dockStatusId",
        "environment",
        "status",
        "error",
        "submittedAt",
        "updatedAt",
    ):
        assert field in doc


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["undeploy", "--bogus", "--json"], "usage", "unrecognized arguments: --bogus"),
        (["--json", "status", "--timeout", "-1"], "usage", "between 0.1 and 604800"),
        (["history", "--json", "--limit", "0"], "usage", "must be at least 1"),
        # An OverflowError from SQLite, a traceback and exit 1 (a break-it run).
        (["history", "--json", "--limit", "9" * 20], "usage", "must be at most 1000000"),
        # The config's own bounds, for the flags that override them (both were accepted).
        (["undeploy", "--json", "--concurrency", "100000", MODEL], "usage", "between 1 and 256"),
        (["undeploy", "--json", "--timeout", "inf", MODEL], "usage", "between 0.1 and 604800"),
        (["status", "--json", "--timeout", "1e309"], "usage", "between 0.1 and 604800"),
        (["history", "--json", "--env", "NOSUCH"], "config", "no environment named 'NOSUCH'"),
        (["undeploy", "--json", "--yes", MODEL], "config", "no environment"),
        (["status", "--json", "--env", "a", DS, "--env", "b"], "usage", "conflicting environments"),
        (["undeploy", "--json", "--file", "/nonexistent/ids.txt"], "io", "cannot read"),
    ],
)
def test_exit_2_under_json_prints_exactly_one_error_document(
    argv: list[str], code: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    document = json.loads(out)  # exactly one document: json.loads refuses trailing data
    assert set(document) == {"error"} and document["error"]["code"] == code
    assert code in ERROR_CODES
    assert says in document["error"]["message"]
    assert says in err, "diagnostics still go to stderr"


def test_a_journal_that_cannot_be_opened_is_an_io_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It was code "usage": nothing the operator typed was wrong."""
    journal = tmp_path / "journal.sqlite3"
    journal.mkdir()
    monkeypatch.setenv("KORE_TUI_JOURNAL", str(journal))
    assert main(["history", "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert (
        document["error"]["code"] == "io"
        and "cannot open the journal" in (document["error"]["message"])
    )


def test_without_json_errors_go_to_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["undeploy", "--bogus"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "usage: kore-tui" in err and "--bogus" in err


def test_config_errors_under_json(capsys: pytest.CaptureFixture[str]) -> None:
    from kore_tui.core import paths

    path = paths.config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[[broken\n")
    path.chmod(0o600)
    assert main(["status", "--json", DS]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "config" and f"{path}:1" in error["message"]


@pytest.mark.parametrize(
    "host",
    ["https://[::1", "https://host:99999", "https://a b", "https://[not-an-ip]", "https://host:0"],
)
def test_a_malformed_kore_host_is_a_config_error_not_a_traceback(
    host: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KORE_HOST", host)
    monkeypatch.setenv("KORE_API_KEY", "kg-x")
    assert main(["status", "--json", DS]) == 2
    out, err = capsys.readouterr()
    error = json.loads(out)["error"]
    assert error["code"] == "config" and error["message"].startswith("KORE_HOST: host ")
    assert "Traceback" not in err


def option_help(page: str, option: str) -> str:
    """The help of ``option`` on a ``--help`` page, its wrapped lines joined."""
    lines = page.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(option))
    entry = [lines[start].strip().removeprefix(option)]
    for line in lines[start + 1 :]:
        if not line.strip() or line.strip().startswith("-"):
            break
        entry.append(line.strip())
    return " ".join(" ".join(entry).split())


CHANGES = ("undeploy", "deploy", "bounce", "retry")


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--help"], CHANGES),
        (["serve", "--help"], CHANGES),
        (["env", "add", "--help"], CHANGES),
        (["status", "--help"], ("changes nothing",)),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_read_only_help_names_every_action_it_refuses(argv: list[str], names: tuple[str]) -> None:
    # It once said "undeploy is refused": read-only refuses every action that changes the
    # platform, models and tools alike.
    page = run_cli(*argv, env={"COLUMNS": "200"})
    assert page.returncode == 0, page.stderr
    said = option_help(page.stdout, "--read-only")
    for name in names:
        assert re.search(rf"\b{name}\b", said), f"{name!r} not in {said!r}"


def test_the_progress_summary_counts_bounces_that_left_their_model_down() -> None:
    """A break-it run: `status --wait` said "10/10 final: 10 SUCCESS" and exited 1: 7 of
    the 10 were bounces killed between halves, their models left undeployed."""
    from dataclasses import replace

    from kore_tui.cli.common import summary
    from kore_tui.core.job import BOUNCE_INCOMPLETE

    ok = Job(key="a", environment="e", host="h", origin="sent", model_id=MODEL,
             dock_status_id=DS, state=JobState.SUCCESS)  # fmt: skip
    down = replace(ok, key="b", error_kind=BOUNCE_INCOMPLETE, error="bounce incomplete")
    assert summary([ok, down, replace(down, key="c")]) == (
        "3/3 final: 1 SUCCESS, 2 SUCCESS (no redeploy)"
    )


def test_a_run_that_ends_at_its_first_look_prints_its_progress_line_once() -> None:
    """An operator's run: `status` without --wait printed '[    0s] 1/1 final: 1 SUCCESS'
    twice on stderr (the first look, then the final line forced)."""
    from kore_tui.cli.common import Progress

    ok = Job(key="a", environment="e", host="h", origin="sent", model_id=MODEL,
             dock_status_id=DS, state=JobState.SUCCESS)  # fmt: skip
    stream = io.StringIO()
    progress = Progress(stream)
    progress.update([ok])
    progress.update([ok], force=True)
    progress.done()
    assert stream.getvalue() == "[    0s] 1/1 final: 1 SUCCESS\n"
