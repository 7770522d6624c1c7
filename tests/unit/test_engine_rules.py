"""Engine decisions, one rule per test, with httpx.MockTransport as the platform."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from kore_tui.core import paths
from kore_tui.core.engine import Engine, EngineSettings
from kore_tui.core.job import Job, JobState
from kore_tui.core.journal import Journal, JournalError
from tests.helpers import FAST, make_engine, until

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"
URL = "http://127.0.0.1:9"
ACCEPTED = {
    "dock-statusId": DS,
    "modelId": MODEL,
    "jobType": "MODELS",
    "action": "UNDEPLOY",
    "status": "IN_PROGRESS",
}


def status(value: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "_id": DS,
            "toolId": MODEL,
            "jobType": "MODELS",
            "action": "UNDEPLOY",
            "status": value,
        },
    )


class Platform:
    """A scripted platform: queues of responses (or exceptions) per method."""

    def __init__(self, posts: list[object], gets: list[object] | None = None) -> None:
        self.posts = list(posts)
        self.gets = list(gets or [])
        self.post_count = 0
        self.get_count = 0
        self.on_post: Callable[[], None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.post_count += 1
            if self.on_post:
                self.on_post()
            item = self.posts.pop(0) if len(self.posts) > 1 else self.posts[0]
        else:
            self.get_count += 1
            item = self.gets.pop(0) if len(self.gets) > 1 else self.gets[0]
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, httpx.Response)
        return item


async def run(
    platform: Platform,
    settings: EngineSettings = FAST,
    journal: Journal | None = None,
    timeout: float = 10.0,
) -> Engine:
    engine = make_engine(
        URL, transport=httpx.MockTransport(platform), settings=settings, journal=journal
    )
    engine.start()
    engine.undeploy([MODEL])
    try:
        await asyncio.wait_for(engine.wait_settled(), timeout)
    finally:
        await engine.aclose()
        await engine.client.aclose()
    return engine


def only(engine: Engine) -> Job:
    (job,) = engine.store.snapshot()
    return job


async def test_a_started_job_is_first_checked_at_the_first_poll_not_at_once() -> None:
    """The platform just said IN_PROGRESS: asking again a moment later only costs a request
    (benchmarks/bulk.py: 300 -> 200 requests for 100 models); a final answer is verified
    at once (next test)."""
    get_times: list[float] = []
    post_times: list[float] = []
    loop = asyncio.get_running_loop()

    def platform(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            post_times.append(loop.time())
            return httpx.Response(200, json=ACCEPTED)
        get_times.append(loop.time())
        return status("SUCCESS")

    settings = replace(FAST, schedule=replace(FAST.schedule, initial=0.4))
    engine = make_engine(URL, transport=httpx.MockTransport(platform), settings=settings)
    engine.start()
    engine.undeploy([MODEL])
    try:
        await asyncio.wait_for(engine.wait_settled(), 10)
    finally:
        await engine.aclose()
        await engine.client.aclose()
    assert only(engine).state is JobState.SUCCESS
    assert len(get_times) == 1, "one check: at the first poll, already SUCCESS"
    assert get_times[0] - post_times[0] >= 0.4 * 0.9  # poll_initial less its 10 % jitter


async def test_immediate_success_is_still_verified() -> None:
    platform = Platform(
        [httpx.Response(200, json={**ACCEPTED, "status": "SUCCESS"})], [status("SUCCESS")]
    )
    job = only(await run(platform))
    assert job.state is JobState.SUCCESS and platform.get_count == 1 and job.polls == 1


async def test_intent_is_journaled_before_the_post_is_sent() -> None:
    journal = Journal()
    seen_states: list[str] = []

    def check() -> None:
        db = sqlite3.connect(paths.journal_path())
        seen_states.extend(r[0] for r in db.execute("SELECT state FROM jobs"))
        db.close()

    platform = Platform([httpx.Response(200, json=ACCEPTED)], [status("SUCCESS")])
    platform.on_post = check
    await run(platform, journal=journal)
    journal.close()
    assert seen_states == ["SUBMITTING"]


async def test_nothing_is_sent_when_the_journal_cannot_be_written(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    engine = make_engine(URL, transport=httpx.MockTransport(Platform([])), journal=journal)
    engine.start()
    engine.undeploy([MODEL])
    journal._db.execute("PRAGMA query_only = ON")  # every later write fails
    await asyncio.wait_for(engine.wait_settled(), 5)
    await engine.aclose()
    job = only(engine)
    assert job.state is JobState.ERROR
    assert (job.error or "").startswith("not sent: journal write failed")
    assert engine.store.health.journal_error


def test_unwritable_journal_location_is_a_clear_error(tmp_path: Path) -> None:
    # Tests run as root, where permission bits do not stop writes; a file where the
    # directory should be fails for everyone.
    blocker = tmp_path / "state"
    blocker.write_text("not a directory")
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(blocker / "kore-tui" / "journal.sqlite3")
    assert blocker.read_text() == "not a directory"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, json={"error": "boom"}),
        httpx.Response(503, content=b""),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(200, content=b'{"status": "IN_'),
        httpx.Response(200, json={"modelId": MODEL, "status": "IN_PROGRESS"}),
        httpx.Response(200, json={**ACCEPTED, "dock-statusId": "ds-../../etc/passwd"}),
    ],
)
async def test_doubtful_post_outcome_is_unknown_and_never_re_sent(failure: object) -> None:
    platform = Platform([failure], [status("SUCCESS")])
    job = only(await run(platform))
    assert job.state is JobState.UNKNOWN
    assert "outcome unknown: the request may have reached the server" in (job.error or "")
    assert platform.post_count == 1 and platform.get_count == 0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("x"),
        httpx.Response(429, json={"error": "slow down", "retryAfterMs": 10}),
    ],
)
async def test_certainly_unsent_post_is_re_sent(failure: object) -> None:
    platform = Platform([failure, failure, httpx.Response(200, json=ACCEPTED)], [status("SUCCESS")])
    job = only(await run(platform))
    assert job.state is JobState.SUCCESS and platform.post_count == 3
    assert [t.state for t in job.timeline].count(JobState.SUBMITTING) == 3


async def test_connect_failures_give_up_with_error() -> None:
    platform = Platform([httpx.ConnectError("refused")])
    settings = replace(FAST, max_connect_retries=2)
    job = only(await run(platform, settings=settings))
    assert job.state is JobState.ERROR and "not sent after 3 tries" in (job.error or "")
    assert platform.post_count == 3


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (httpx.Response(409, json={"error": "Model is not deployed"}), "conflict"),
        (
            httpx.Response(
                404, json={"success": False, "error": {"code": "NOT_FOUND", "message": "no model"}}
            ),
            "not_found",
        ),
    ],
)
async def test_definite_rejection_is_error_with_reason(response: httpx.Response, kind: str) -> None:
    platform = Platform([response])
    engine = await run(platform)
    job = only(engine)
    assert job.state is JobState.ERROR and job.error_kind == kind
    assert job.http_status == response.status_code and platform.post_count == 1
    # The host answered about this one model (the row says what): the banner's "errors"
    # counts the host's trouble, and two operators read a 409 there as a broken connection.
    health = engine.store.health
    assert health.errors == 0 and health.last_success_wall is not None


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(502, text="bad gateway"),
        httpx.Response(200, text="<html>not json</html>"),
        httpx.ConnectError("refused"),
    ],
)
async def test_the_host_s_trouble_counts_in_its_errors(failure: object) -> None:
    platform = Platform([failure])
    settings = replace(FAST, max_connect_retries=0, job_timeout=0.5)
    engine = await run(platform, settings=settings)
    health = engine.store.health
    assert health.errors >= 1 and health.last_success_wall is None and health.last_error


async def test_unknown_status_value_is_shown_and_ends_at_deadline() -> None:
    platform = Platform([httpx.Response(200, json=ACCEPTED)], [status("PENDING_REVIEW")])
    settings = replace(FAST, job_timeout=0.5)
    engine = make_engine(URL, transport=httpx.MockTransport(platform), settings=settings)
    engine.start()
    engine.undeploy([MODEL])
    await until(lambda: only(engine).status_label == "IN_PROGRESS (PENDING_REVIEW)", 5)
    await asyncio.wait_for(engine.wait_settled(), 5)
    await engine.aclose()
    job = only(engine)
    assert job.state is JobState.TIMED_OUT and "PENDING_REVIEW" in (job.error or "")
    assert 3 <= platform.get_count <= 15


async def test_fresh_404_gets_a_grace_period() -> None:
    not_found = httpx.Response(404, json={"error": "not found"})
    platform = Platform(
        [httpx.Response(200, json=ACCEPTED)], [not_found, not_found, status("SUCCESS")]
    )
    job = only(await run(platform))
    assert job.state is JobState.SUCCESS and platform.get_count == 3


async def test_404_after_grace_is_an_error() -> None:
    platform = Platform(
        [httpx.Response(200, json=ACCEPTED)], [httpx.Response(404, json={"error": "not found"})]
    )
    job = only(await run(platform, settings=replace(FAST, not_found_grace=0.3)))
    assert job.state is JobState.ERROR and job.error_kind == "not_found"


async def test_consecutive_poll_failures_mark_stale_not_failed() -> None:
    flaky = httpx.Response(503, json={"error": "busy"})
    platform = Platform(
        [httpx.Response(200, json=ACCEPTED)], [flaky, flaky, flaky, status("SUCCESS")]
    )
    engine = make_engine(
        URL,
        transport=httpx.MockTransport(platform),
        settings=replace(FAST, schedule=replace(FAST.schedule, initial=0.02)),
    )
    stale_seen = False
    engine.start()
    engine.undeploy([MODEL])
    while not engine.all_settled():
        stale_seen = stale_seen or only(engine).stale
        await asyncio.sleep(0.005)
    await engine.aclose()
    assert stale_seen
    job = only(engine)
    assert job.state is JobState.SUCCESS and not job.stale


async def test_retry_only_on_request_and_recheck_of_timed_out() -> None:
    platform = Platform(
        [httpx.Response(500, json={"error": "boom"}), httpx.Response(200, json=ACCEPTED)],
        [status("SUCCESS")],
    )
    engine = make_engine(URL, transport=httpx.MockTransport(platform))
    engine.start()
    (job,) = engine.undeploy([MODEL])
    await asyncio.wait_for(engine.wait_settled(), 5)
    await asyncio.sleep(0.2)  # deliberate: time for a re-send that must not happen
    assert platform.post_count == 1 and only(engine).state is JobState.UNKNOWN
    assert engine.retry([job.key]) == 1
    await asyncio.wait_for(engine.wait_settled(), 5)
    await engine.aclose()
    assert only(engine).state is JobState.SUCCESS and platform.post_count == 2
    assert only(engine).attempts == 2


async def test_active_model_is_not_submitted_twice() -> None:
    platform = Platform([httpx.Response(200, json=ACCEPTED)], [status("SUCCESS")])
    engine = make_engine(URL, transport=httpx.MockTransport(platform))
    engine.start()
    (first,) = engine.undeploy([MODEL, MODEL.upper()])
    (again,) = engine.undeploy([MODEL])
    assert again.key == first.key
    assert "already queued or in progress" in engine.notes[first.key]
    await asyncio.wait_for(engine.wait_settled(), 5)
    await engine.aclose()
    assert platform.post_count == 1


async def test_pause_stops_all_requests_until_resumed() -> None:
    platform = Platform([httpx.Response(200, json=ACCEPTED)], [status("SUCCESS")])
    engine = make_engine(URL, transport=httpx.MockTransport(platform))
    engine.start()
    engine.pause()
    engine.undeploy([MODEL])
    await asyncio.sleep(0.2)  # deliberate: time for a POST that must not happen while paused
    assert platform.post_count == 0 and engine.store.health.user_paused
    engine.resume()
    await asyncio.wait_for(engine.wait_settled(), 5)
    await engine.aclose()
    assert only(engine).state is JobState.SUCCESS


async def test_stop_tracking_ends_polling() -> None:
    platform = Platform([httpx.Response(200, json=ACCEPTED)], [status("IN_PROGRESS")])
    engine = make_engine(URL, transport=httpx.MockTransport(platform))
    engine.start()
    (job,) = engine.undeploy([MODEL])
    await until(lambda: platform.get_count >= 1)  # it is being polled
    assert engine.stop_tracking([job.key]) == 1
    await asyncio.wait_for(engine.wait_settled(), 5)
    count = platform.get_count
    await asyncio.sleep(0.3)  # deliberate: time for polls that must not happen any more
    await engine.aclose()
    assert platform.get_count == count and not only(engine).tracking


OTHER_MODEL = "cm-00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("accepted", "answer"),
    [
        # the POST's answer names another model
        ({**ACCEPTED, "modelId": OTHER_MODEL, "status": "SUCCESS"}, status("SUCCESS")),
        # the dock status says it is a DEPLOY, ours is an UNDEPLOY
        (
            ACCEPTED,
            httpx.Response(200, json={"_id": DS, "action": "DEPLOY", "status": "SUCCESS"}),
        ),
        # the dock status is about another model
        (
            ACCEPTED,
            httpx.Response(200, json={"_id": DS, "toolId": OTHER_MODEL, "status": "SUCCESS"}),
        ),
    ],
)
async def test_an_answer_about_another_job_is_unknown_not_success(
    accepted: dict[str, str], answer: httpx.Response
) -> None:
    """A break-it run: answers naming another model or action were read as our job's
    outcome: SUCCESS UNDEPLOY, exit 0."""
    platform = Platform([httpx.Response(200, json=accepted)], [answer])
    job = only(await run(platform))
    assert job.state is JobState.UNKNOWN, job
    assert job.error and "answer is about" in job.error
    assert job.action == "UNDEPLOY"
    assert platform.post_count == 1, "never re-sent"


async def test_a_dock_status_naming_another_dock_status_is_unknown() -> None:
    other = "ds-00000000-0000-4000-8000-000000000000"
    answer = httpx.Response(
        200, json={"_id": other, "toolId": MODEL, "action": "UNDEPLOY", "status": "SUCCESS"}
    )
    job = only(await run(Platform([httpx.Response(200, json=ACCEPTED)], [answer])))
    assert job.state is JobState.UNKNOWN and job.error and other in job.error, job
