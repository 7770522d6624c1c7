"""One platform, one identity: two spellings of the same host (a default port written
out, a capital letter, localhost for 127.0.0.1) made two runs blind to each other's
jobs, and each POSTed every model (found by a break-it run: 40 POSTs for 20 models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kore_tui.core.hosts import normalize_host, same_platform
from kore_tui.core.job import Job, JobState
from kore_tui.core.journal import Journal

MODEL = "cm-00000000-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("spelled", "canonical"),
    [
        ("https://Agent-Platform.kore.ai:443/", "https://agent-platform.kore.ai"),
        ("agent-platform.kore.ai:443", "https://agent-platform.kore.ai"),
        ("https://agent-platform.kore.ai.", "https://agent-platform.kore.ai"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://agent-platform.kore.ai:8443", "https://agent-platform.kore.ai:8443"),
        ("http://localhost:8080", "http://localhost:8080"),  # connect as written
    ],
)
def test_a_default_port_case_and_a_trailing_dot_are_one_spelling(
    spelled: str, canonical: str
) -> None:
    assert normalize_host(spelled) == canonical


def test_loopback_names_and_a_written_default_port_are_the_same_platform() -> None:
    assert set(same_platform("http://localhost:8080")) == {
        "http://localhost:8080",
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
    }
    # Journals written before the default port was dropped still match.
    assert set(same_platform("https://agent-platform.kore.ai")) == {
        "https://agent-platform.kore.ai",
        "https://agent-platform.kore.ai:443",
    }
    assert "http://127.0.0.1:8081" not in same_platform("http://localhost:8080")


def job(key: str, host: str, state: JobState) -> Job:
    return Job(
        key=key,
        environment=key,
        host=host,
        origin="sent",
        model_id=MODEL,
        dock_status_id=None,
        state=state,
        action="UNDEPLOY",
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://127.0.0.1:8080", "http://localhost:8080"),
        ("https://agent-platform.kore.ai:443", "https://agent-platform.kore.ai"),
    ],
)
def test_a_live_job_blocks_its_resource_under_every_spelling_of_its_host(
    tmp_path: Path, first: str, second: str
) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    try:
        journal.record([job("a", first, JobState.IN_PROGRESS)])
        admitted, blocked = journal.admit([job("b", second, JobState.QUEUED)], "queued")
        assert admitted == [] and blocked["b"].key == "a"
        other = job("c", "http://127.0.0.1:8081", JobState.QUEUED)
        assert journal.admit([other], "queued")[0] == [other], "another port: another host"
    finally:
        journal.close()
