"""The journal's schema version and migration from the first release's file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kore_tui.core.job import JobState
from kore_tui.core.journal import Journal, JournalError
from kore_tui.core.journal_schema import MIGRATE_TO_V2, SCHEMA_VERSION, statements
from kore_tui.core.journal_schema import SCHEMA_V1 as _SCHEMA_V1


def first_release_journal(path: Path) -> None:
    """A journal exactly as release 0.1 wrote it: no user_version, no owner column."""
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_V1)
    db.execute(
        "INSERT INTO jobs (key, environment, host, kind, model_id, dock_status_id, state, "
        "created_at, updated_at) VALUES ('k1', 'prod', 'https://x.example', 'undeploy', "
        "'cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', NULL, 'QUEUED', "
        "'2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z')"
    )
    db.execute(
        "INSERT INTO transitions (job_key, at, state) VALUES ('k1', "
        "'2026-11-01T00:00:00.000Z', 'QUEUED')"
    )
    db.commit()
    db.close()


def test_a_first_release_journal_is_migrated_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    first_release_journal(path)
    journal = Journal(path)
    try:
        version = journal._db.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == 3
        (job,) = journal.unfinished("prod", "https://x.example")
        assert job.key == "k1" and job.state is JobState.QUEUED and job.owner is None
        assert (job.origin, job.resource, job.action) == ("sent", "model", "UNDEPLOY")
        assert [t.state for t in journal.timeline("k1")] == [JobState.QUEUED]
    finally:
        journal.close()
    Journal(path).close()  # opening again is a no-op


def second_release_journal(path: Path) -> None:
    """A journal as the release with owner leases wrote it (schema 2): ``kind`` said
    undeploy/watch; no resource, parameters or bounce links."""
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA_V1)
    for statement in statements(MIGRATE_TO_V2):
        db.execute(statement)
    db.execute("PRAGMA user_version = 2")
    rows = [
        (
            "k1",
            "undeploy",
            "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            None,
            "IN_PROGRESS",
            "MODELS",
        ),
        (
            "k2",
            "watch",
            "a-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "ds-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "SUCCESS",
            "TOOLS",
        ),
        ("k3", "watch", None, "ds-1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "FAILED", None),
    ]
    for key, kind, resource_id, ds, state, job_type in rows:
        db.execute(
            "INSERT INTO jobs (key, environment, host, kind, model_id, dock_status_id, state, "
            "job_type, action, created_at, updated_at, owner) VALUES (?, 'prod', "
            "'https://x.example', ?, ?, ?, ?, ?, 'UNDEPLOY', '2026-11-01T00:00:00.000Z', "
            "'2026-11-01T00:00:00.000Z', 'gone')",
            (key, kind, resource_id, ds, state, job_type),
        )
    db.commit()
    db.close()


def test_a_v2_journal_is_migrated_to_v3_keeping_its_jobs_and_their_meaning(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    second_release_journal(path)
    journal = Journal(path)
    try:
        assert journal._db.execute("PRAGMA user_version").fetchone()[0] == 3
        jobs = journal.jobs(["k1", "k2", "k3"])
        assert [(jobs[k].origin, jobs[k].resource) for k in ("k1", "k2", "k3")] == [
            ("sent", "model"),
            ("watch", "tool"),
            ("watch", None),
        ]
        assert all(j.params is None and j.then is None and j.parent is None for j in jobs.values())
        assert jobs["k1"].owner == "gone" and jobs["k1"].state is JobState.IN_PROGRESS
        # The admission rule still sees the migrated live job of the model.
        blocked = jobs["k1"].__class__(
            key="new",
            environment="prod",
            host="https://x.example",
            origin="sent",
            model_id=jobs["k1"].model_id,
            dock_status_id=None,
            state=JobState.QUEUED,
            action="DEPLOY",
        )
        admitted, blocking = journal.admit([blocked], "queued for deploy")
        assert admitted == [] and blocking["new"].key == "k1"
    finally:
        journal.close()
    Journal(path).close()


def test_a_journal_from_a_newer_release_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(JournalError, match="newer kore-tui"):
        Journal(path)


def test_disk_full_reports_the_root_cause(tmp_path: Path) -> None:
    # It used to say "cannot rollback - no transaction is active".
    from kore_tui.core.job import Job

    journal = Journal(tmp_path / "journal.sqlite3")
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages}")
    jobs = [
        Job(
            key=f"k{i}",
            environment="e",
            host="h",
            origin="sent",
            model_id=None,
            dock_status_id=None,
            state=JobState.QUEUED,
            error="x" * 2000,
        )
        for i in range(50)
    ]
    with pytest.raises(JournalError) as caught:
        journal.record(jobs)
    assert "full" in str(caught.value) and "rollback" not in str(caught.value)
