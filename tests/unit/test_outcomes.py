"""The safety model (README "Safety model"), one table row per rule, over the pure
decision functions in kore_tui/core/outcomes.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from kore_tui.core import errors
from kore_tui.core.api_client import error_for_response
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.job import Job, JobState
from kore_tui.core.outcomes import (
    Outcome,
    after_post_error,
    after_status,
    after_status_error,
    check_failed,
    first_check_delay,
    not_sent_by_deadline,
    post_cut_by_deadline,
    unknown,
)
from kore_tui.core.track import Tries

S = EngineSettings(
    max_connect_retries=5,
    max_rate_limited=100,
    stale_after=3,
    not_found_grace=15.0,
    job_timeout=1800.0,
)
SUBMITTING = Job(
    key="k",
    environment="e",
    host="https://h",
    origin="sent",
    model_id="cm-1",
    dock_status_id=None,
    state=JobState.SUBMITTING,
    attempts=1,
)
POLLING = replace(
    SUBMITTING, state=JobState.IN_PROGRESS, dock_status_id="ds-1", server_status="IN_PROGRESS"
)
WATCHING = replace(POLLING, origin="watch", model_id=None)
NONE = Tries()
PLENTY = 600.0  # seconds left to the deadline
WAIT = 2.5  # the pause or backoff the engine drew


# A deploy (model or tool) is as non-idempotent as an undeploy: the same rules hold.
DEPLOYING = replace(
    SUBMITTING,
    action="DEPLOY",
    params={"is_async": True},
    model_id="a-1",
    resource="tool",
    job_type="TOOLS",
)


def post(
    exc: errors.KoreError,
    tries: Tries = NONE,
    wait: float = WAIT,
    time_left: float = PLENTY,
    job: Job = SUBMITTING,
) -> Outcome:
    assert isinstance(exc, errors.ApiError | errors.TransportError | errors.ResponseFormatError)
    return after_post_error(exc, job, tries, wait=wait, time_left=time_left, settings=S)


def check(
    exc: errors.KoreError,
    job: Job = POLLING,
    tries: Tries = NONE,
    age: float = 60.0,
    time_left: float = PLENTY,
) -> Outcome:
    assert isinstance(exc, errors.ApiError | errors.TransportError | errors.ResponseFormatError)
    return after_status_error(exc, job, tries, wait=WAIT, age=age, time_left=time_left, settings=S)


def answer(status: str, job: Job = POLLING, time_left: float = PLENTY) -> Outcome:
    return after_status(
        status, job, Tries(check_failures=2), next_poll=4.0, time_left=time_left, settings=S
    )


def http(status: int, message: str = "server says no") -> errors.ApiError:
    """The error the API client raises for this status (its own mapping)."""
    return error_for_response(status, httpx.Headers(), json.dumps({"error": message}).encode())


RATE_LIMITED = errors.RateLimitedError(429, "slow down", retry_after=2.0)
REFUSED = errors.ConnectFailedError("connection failed: [Errno 111] Connection refused")
CONNECT_TIMEOUT = errors.ConnectFailedError("connect timed out: ConnectTimeout")
TLS = errors.TlsError("TLS verification failed: certificate verify failed")
READ_TIMEOUT = errors.RequestTimeoutError("no response in time (ReadTimeout)")
RESET = errors.RequestMaybeSentError("connection broke: RemoteProtocolError: reset")
UNREADABLE_200 = errors.ResponseFormatError('HTTP 200 with a body that is not JSON: {"st', 200)

# (rule, outcome, expected fields; "error" means: the error contains this text)
ROWS: list[tuple[str, Callable[[], Outcome], dict[str, Any]]] = [
    # -- the undeploy POST: re-sent only when it certainly never reached the server ------
    (
        "429: re-sent after the host's pause",
        lambda: post(RATE_LIMITED),
        dict(
            state=JobState.QUEUED,
            resend=True,
            again_in=WAIT,
            http_status=429,
            tries=Tries(rate_limited=1),
        ),
    ),
    (
        "429: not sent when the pause would pass the deadline",
        lambda: post(RATE_LIMITED, wait=10.0, time_left=9.0),
        dict(
            state=JobState.TIMED_OUT, resend=False, error_kind="deadline_not_sent", error="not sent"
        ),
    ),
    (
        "429: ERROR after too many",
        lambda: post(RATE_LIMITED, Tries(rate_limited=100)),
        dict(
            state=JobState.ERROR,
            resend=False,
            error_kind="rate_limited",
            error="rate limited 101 times",
        ),
    ),
    (
        "connection refused: re-sent with backoff",
        lambda: post(REFUSED),
        dict(state=JobState.QUEUED, resend=True, again_in=WAIT, tries=Tries(connect_failures=1)),
    ),
    (
        "connect timeout: re-sent with backoff",
        lambda: post(CONNECT_TIMEOUT),
        dict(state=JobState.QUEUED, resend=True),
    ),
    (
        "connect failures: ERROR after N tries",
        lambda: post(REFUSED, Tries(connect_failures=5)),
        dict(
            state=JobState.ERROR, resend=False, error_kind="connect", error="not sent after 6 tries"
        ),
    ),
    (
        "connect failure: not sent when the backoff would pass the deadline",
        lambda: post(REFUSED, wait=5.0, time_left=4.0),
        dict(state=JobState.TIMED_OUT, resend=False, error_kind="deadline_not_sent"),
    ),
    (
        "TLS failure: ERROR, never re-sent",
        lambda: post(TLS),
        dict(state=JobState.ERROR, resend=False, error_kind="tls"),
    ),
    (
        "read timeout: UNKNOWN",
        lambda: post(READ_TIMEOUT),
        dict(state=JobState.UNKNOWN, resend=False, error="outcome unknown"),
    ),
    (
        "reset after send: UNKNOWN",
        lambda: post(RESET),
        dict(state=JobState.UNKNOWN, resend=False, error="may have reached the server"),
    ),
    (
        "500: UNKNOWN",
        lambda: post(http(500)),
        dict(state=JobState.UNKNOWN, resend=False, http_status=500),
    ),
    (
        "503: UNKNOWN",
        lambda: post(http(503)),
        dict(state=JobState.UNKNOWN, resend=False, http_status=503),
    ),
    (
        "unreadable 200: UNKNOWN",
        lambda: post(UNREADABLE_200),
        dict(state=JobState.UNKNOWN, resend=False, http_status=200),
    ),
    (
        "redirect: UNKNOWN, not followed",
        lambda: post(http(302)),
        dict(state=JobState.UNKNOWN, resend=False, http_status=302),
    ),
    (
        "deadline while in flight: UNKNOWN",
        lambda: post_cut_by_deadline(SUBMITTING, NONE, S),
        dict(state=JobState.UNKNOWN, resend=False, error="in flight"),
    ),
    (
        "unusable dock status ID in a 200: UNKNOWN",
        lambda: unknown(errors.ResponseFormatError("unusable dock status ID"), 200, NONE),
        dict(state=JobState.UNKNOWN, http_status=200),
    ),
    (
        "400: ERROR with the server's reason",
        lambda: post(http(400, "bad model id")),
        dict(state=JobState.ERROR, resend=False, error_kind="bad_request", error="bad model id"),
    ),
    (
        "404: ERROR with the server's reason",
        lambda: post(http(404, "no such model")),
        dict(state=JobState.ERROR, resend=False, error_kind="not_found", error="no such model"),
    ),
    (
        "409: ERROR with the server's reason",
        lambda: post(http(409, "Model is not deployed")),
        dict(state=JobState.ERROR, error_kind="conflict", error="Model is not deployed"),
    ),
    (
        "deploy, read timeout: UNKNOWN like an undeploy",
        lambda: post(READ_TIMEOUT, job=DEPLOYING),
        dict(state=JobState.UNKNOWN, resend=False, error="outcome unknown"),
    ),
    (
        "deploy, 502: UNKNOWN like an undeploy",
        lambda: post(http(502), job=DEPLOYING),
        dict(state=JobState.UNKNOWN, resend=False, http_status=502),
    ),
    (
        "deploy, connection refused: re-sent",
        lambda: post(REFUSED, job=DEPLOYING),
        dict(state=JobState.QUEUED, resend=True),
    ),
    (
        "deploy, 409 (already deployed): ERROR",
        lambda: post(http(409, "Model is deployed"), job=DEPLOYING),
        dict(state=JobState.ERROR, resend=False, error_kind="conflict", error="is deployed"),
    ),
    (
        "deploy, deadline while in flight: UNKNOWN naming the deploy",
        lambda: post_cut_by_deadline(DEPLOYING, NONE, S),
        dict(state=JobState.UNKNOWN, resend=False, error="deploy request was in flight"),
    ),
    (
        "401: held for a new key, not sent",
        lambda: post(http(401)),
        dict(state=JobState.QUEUED, hold=True, resend=False, again_in=None),
    ),
    (
        "403: held for a new key, not sent",
        lambda: post(http(403)),
        dict(state=JobState.QUEUED, hold=True, resend=False),
    ),
    (
        "queued past the deadline: TIMED_OUT, not sent",
        lambda: not_sent_by_deadline(replace(SUBMITTING, state=JobState.QUEUED), NONE, S),
        dict(
            state=JobState.TIMED_OUT, error_kind="deadline_not_sent", error="waiting for its turn"
        ),
    ),
    # -- the dock-status GET --------------------------------------------------------------
    (
        "SUCCESS: verified",
        lambda: answer("SUCCESS"),
        dict(
            state=JobState.SUCCESS,
            again_in=None,
            stale=False,
            polled=True,
            tries=Tries(check_failures=0),
        ),
    ),
    (
        "FAILED: the platform's verdict",
        lambda: answer("FAILED"),
        dict(state=JobState.FAILED, again_in=None, error_kind="failed"),
    ),
    (
        "IN_PROGRESS: checked again",
        lambda: answer("IN_PROGRESS"),
        dict(state=JobState.IN_PROGRESS, again_in=4.0, error=None, polled=True),
    ),
    (
        "another status: shown, checked again",
        lambda: answer("PENDING_REVIEW"),
        dict(state=JobState.IN_PROGRESS, again_in=4.0),
    ),
    (
        "not final at the deadline: TIMED_OUT",
        lambda: answer("PENDING_REVIEW", time_left=0.0),
        dict(
            state=JobState.TIMED_OUT,
            again_in=None,
            error_kind="deadline",
            error="still PENDING_REVIEW",
        ),
    ),
    (
        "the next check never lands past the deadline",
        lambda: answer("IN_PROGRESS", time_left=1.5),
        dict(state=JobState.IN_PROGRESS, again_in=1.5),
    ),
    (
        "fresh 404 within the grace: checked again",
        lambda: check(http(404), age=3.0),
        dict(state=JobState.IN_PROGRESS, again_in=1.0, http_status=404, error="not found yet"),
    ),
    (
        "fresh 404 at the deadline: TIMED_OUT, the deadline wins over the grace",
        lambda: check(http(404), age=3.0, time_left=0.0),
        dict(state=JobState.TIMED_OUT, again_in=None, error_kind="deadline", error="not found"),
    ),
    (
        "a fresh 404's next check never lands past the deadline",
        lambda: check(http(404), age=3.0, time_left=0.4),
        dict(again_in=0.4),
    ),
    (
        "404 after the grace: ERROR",
        lambda: check(http(404), age=20.0),
        dict(state=JobState.ERROR, again_in=None, error_kind="not_found"),
    ),
    (
        "404 of a watched ID: ERROR at once",
        lambda: check(http(404), WATCHING, age=0.0),
        dict(state=JobState.ERROR, error_kind="not_found"),
    ),
    (
        "failed check: again with backoff, not stale yet",
        lambda: check(http(503)),
        dict(
            state=JobState.IN_PROGRESS,
            again_in=WAIT,
            stale=False,
            tries=Tries(check_failures=1),
            error="check failed (1 in a row)",
        ),
    ),
    (
        "failed checks: stale after N in a row",
        lambda: check(READ_TIMEOUT, tries=Tries(check_failures=2)),
        dict(state=JobState.IN_PROGRESS, stale=True, error="check failed (3 in a row)"),
    ),
    (
        "unreadable 200 on a check: a failed check, not a verdict",
        lambda: check(UNREADABLE_200),
        dict(state=JobState.IN_PROGRESS, again_in=WAIT, checked=True),
    ),
    (
        "failed check at the deadline: TIMED_OUT",
        lambda: check(RESET, time_left=0.0),
        dict(state=JobState.TIMED_OUT, error_kind="deadline", error="check failed"),
    ),
    (
        "no answer before the deadline: a failed check",
        lambda: check_failed(
            errors.RequestTimeoutError("no answer before the job's deadline"),
            POLLING,
            NONE,
            wait=WAIT,
            time_left=0.0,
            settings=S,
        ),
        dict(state=JobState.TIMED_OUT, error="no answer before the job's deadline"),
    ),
    (
        "429 on a check: again after the host's pause",
        lambda: check(RATE_LIMITED),
        dict(state=JobState.IN_PROGRESS, again_in=WAIT, polled=False, checked=False),
    ),
    (
        "429 on a check at the deadline: TIMED_OUT",
        lambda: check(RATE_LIMITED, time_left=-1.0),
        dict(state=JobState.TIMED_OUT, error_kind="deadline", error="still IN_PROGRESS"),
    ),
    (
        "401 on a check: held for a new key",
        lambda: check(http(401)),
        dict(state=JobState.IN_PROGRESS, hold=True, again_in=None),
    ),
    (
        "400 on a check: ERROR with the server's reason",
        lambda: check(http(400, "bad id")),
        dict(state=JobState.ERROR, error_kind="bad_request", error="bad id"),
    ),
]


@pytest.mark.parametrize(("rule", "decide", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_safety_model(rule: str, decide: Callable[[], Outcome], expected: dict[str, Any]) -> None:
    outcome = decide()
    for name, value in expected.items():
        actual = getattr(outcome, name)
        if name == "error" and value is not None:
            assert value in (actual or ""), f"{rule}: error {actual!r}"
        else:
            assert actual == value, f"{rule}: {name} is {actual!r}, expected {value!r}"


def test_only_certainly_unsent_posts_are_ever_re_sent() -> None:
    """Whatever the table says row by row: a re-send comes only from a 429 or a failed
    connect, for every error the client raises."""
    everything: list[errors.ApiError | errors.TransportError | errors.ResponseFormatError] = [
        RATE_LIMITED,
        REFUSED,
        CONNECT_TIMEOUT,
        TLS,
        READ_TIMEOUT,
        RESET,
        UNREADABLE_200,
        *(http(s) for s in (301, 302, 400, 401, 403, 404, 409, 500, 502, 503, 504)),
    ]
    for exc in everything:
        assert post(exc).resend == (
            exc.certainly_not_sent and not isinstance(exc, errors.TlsError)
        ), exc


@pytest.mark.parametrize(
    ("post_status", "expected"),
    [("SUCCESS", 0.0), ("FAILED", 0.0), ("IN_PROGRESS", 2.0), ("QUEUED", 2.0), ("", 2.0)],
)
def test_a_final_post_answer_is_verified_at_once_a_started_job_at_the_first_poll(
    post_status: str, expected: float
) -> None:
    assert first_check_delay(post_status, first_poll=2.0) == expected
