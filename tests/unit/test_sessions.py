"""Sessions: one per environment, marks never carry, counts of work elsewhere."""

from __future__ import annotations

from kore_tui.core.config import Environment
from kore_tui.core.job import Job, JobState
from kore_tui.tui.sessions import Sessions


def job(key: str, env: str, state: JobState, tracking: bool = True) -> Job:
    return Job(
        key=key,
        environment=env,
        host="http://127.0.0.1:1",
        origin="sent",
        model_id=None,
        dock_status_id=None,
        state=state,
        tracking=tracking,
    )


def test_one_session_per_environment_and_marks_do_not_carry() -> None:
    sessions = Sessions()
    staging, prod = (
        Environment("staging", "http://127.0.0.1:1"),
        Environment("prod", "http://127.0.0.1:2"),
    )
    first = sessions.open(staging)
    first.model.apply([job("a", "staging", JobState.IN_PROGRESS)])
    first.model.marks.add("a")
    second = sessions.open(prod)
    assert second is not first and sessions.current is second
    assert first.model.marks == set(), "marks left behind must not come back"
    second.model.marks.add("x")
    again = sessions.open(staging)
    assert again is first and "a" in again.model.jobs
    assert second.model.marks == set() and again.model.marks == set()
    assert [s.env.name for s in sessions] == ["staging", "prod"]


def test_unfinished_counts_and_work_elsewhere() -> None:
    sessions = Sessions()
    staging = sessions.open(Environment("staging", "http://127.0.0.1:1"))
    staging.model.apply(
        [
            job("a", "staging", JobState.IN_PROGRESS),
            job("b", "staging", JobState.QUEUED),
            job("c", "staging", JobState.SUCCESS),
            job("d", "staging", JobState.IN_PROGRESS, tracking=False),
        ]
    )
    prod = sessions.open(Environment("prod", "http://127.0.0.1:2"))
    assert sessions.active_elsewhere() == {"staging": 2}
    assert sessions.unfinished() == {"staging": 2}
    prod.model.apply([job("e", "prod", JobState.SUBMITTING)])
    assert sessions.active_elsewhere() == {"staging": 2}
    assert sessions.unfinished() == {"staging": 2, "prod": 1}
    closed = sessions.close("prod")
    assert closed is prod and sessions.current is None and "prod" not in sessions
    assert sessions.active_elsewhere() == {"staging": 2}
