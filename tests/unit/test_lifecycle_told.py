"""What a deploy, undo or bounce says it did: each joined resource named with why, never
counted as queued."""

from __future__ import annotations

from kore_tui.core.job import JobState
from kore_tui.tui.lifecycle_told import lifecycle_told
from tests.unit.test_undeploy_told import job


def test_an_undo_that_joined_another_console_s_deploy_says_so() -> None:
    """A break-it run: u in two consoles at once; both said 'Queued 1 deploy(s): 1
    model(s).' while the second had only joined the first's deploy."""
    jobs = [job("theirs", "DEPLOY", JobState.IN_PROGRESS, 1)]
    said = lifecycle_told(jobs, {"theirs": "already IN_PROGRESS since …"}, set(), bounce=False)
    assert said == "Nothing sent. 1 already live: tracking it.", said


def test_an_unknown_last_undeploy_is_not_called_a_live_job() -> None:
    """ctrl+d on a model whose last undeploy was UNKNOWN: '1 not started: a live job of
    theirs was joined', for a job that had ended (UNKNOWN is final)."""
    jobs = [job("new", "DEPLOY", JobState.QUEUED, 1), job("u", "UNDEPLOY", JobState.UNKNOWN, 2)]
    said = lifecycle_told(jobs, {"u": "…UNKNOWN outcome…"}, {"u"}, bounce=False, tail=" T.")
    assert said.startswith("Queued 1 deploy(s): 1 model(s)."), said
    assert "1 not sent: its last undeploy has an UNKNOWN outcome" in said, said
    assert "live" not in said and said.endswith(" T."), said


def test_a_bounce_that_joined_a_live_job_does_not_start() -> None:
    jobs = [
        job("mine", "UNDEPLOY", JobState.QUEUED, 1),
        job("live", "UNDEPLOY", JobState.IN_PROGRESS, 2),
    ]
    said = lifecycle_told(jobs, {"live": "already …"}, {"live"}, bounce=True)
    assert said == (
        "Queued 1 bounce(s): 1 model(s). 1 not started: a live job of theirs was joined "
        "(its row); their redeploy will not be sent."
    ), said
