"""What one answer means for a job: the safety model as pure decisions.

Each function takes an answer (an error, or the status in a dock-status reply)
and plain facts about the job (its snapshot, its :class:`Tries`, the seconds
left to its deadline, its age) and returns an :class:`Outcome`: the job's next
state, whether the request is sent or checked again and after how long, and
why. No I/O, no clock, no randomness: the engine gathers the facts (drawing any
jitter itself), applies the outcome, and tests/unit/test_outcomes.py checks
each rule as one row of a table.

The rule that matters most: the POST that starts a job (undeploy or deploy, model or
tool) is not idempotent, so it is sent again only when it certainly never reached the
server (connection refused or timed out while connecting, 429). Any other doubt ends
in UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kore_tui.core import errors
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.job import Job, JobState
from kore_tui.core.track import Tries

# Every error the API client raises on purpose for one request.
RequestError = errors.ApiError | errors.TransportError | errors.ResponseFormatError
REQUEST_ERRORS = (errors.ApiError, errors.TransportError, errors.ResponseFormatError)


@dataclass(frozen=True)
class Outcome:
    state: JobState
    error: str | None
    error_kind: str | None
    http_status: int | None
    tries: Tries
    detail: str | None = None  # the timeline's note when the state changes
    again_in: float | None = None  # send (QUEUED) or check again after this long; None: not
    hold: bool = False  # the key was refused: hold the job until a new key comes
    stale: bool | None = None  # None: unchanged
    polled: bool = False  # the platform answered about this job (counts a poll)
    checked: bool = False  # a check was made (stamps last_checked_at)

    @property
    def resend(self) -> bool:
        return self.state is JobState.QUEUED and self.again_in is not None


def unknown(exc: BaseException, status: int | None, tries: Tries) -> Outcome:
    return Outcome(
        JobState.UNKNOWN,
        f"{exc} (outcome unknown: the request may have reached "
        "the server; check it on the platform before retrying)",
        "unknown",
        status,
        tries,
    )


# -- the POST that starts a job (undeploy or deploy) ------------------------------------


def not_sent_by_deadline(job: Job, tries: Tries, settings: EngineSettings) -> Outcome:
    """A queued job whose deadline came before its turn."""
    return Outcome(
        JobState.TIMED_OUT,
        f"not sent: the deadline of {settings.job_timeout:g}s "
        f"was reached first ({job.error or 'waiting for its turn'})",
        "deadline_not_sent",
        job.http_status,
        tries,
    )


def post_cut_by_deadline(job: Job, tries: Tries, settings: EngineSettings) -> Outcome:
    return unknown(
        errors.RequestTimeoutError(
            f"the job's deadline of {settings.job_timeout:g}s was reached while the "
            f"{job.action.lower()} request was in flight"
        ),
        None,
        tries,
    )


def after_post_error(
    exc: RequestError,
    job: Job,
    tries: Tries,
    *,
    wait: float,
    time_left: float,
    settings: EngineSettings,
) -> Outcome:
    """A POST that was not accepted. ``wait`` is the pause before a re-send (the host's
    pause after a 429, the backoff after a connect failure); ``time_left`` the seconds
    to the job's deadline."""
    if isinstance(exc, errors.RateLimitedError):
        return _rate_limited(job, tries, wait, time_left, settings)
    if isinstance(exc, errors.TlsError):
        return Outcome(JobState.ERROR, str(exc), "tls", job.http_status, tries)
    if isinstance(exc, errors.ConnectFailedError):
        return _connect_failed(exc, job, tries, wait, time_left, settings)
    if isinstance(exc, errors.AuthError):
        # A 401/403 is a definite refusal before any processing: the model is untouched,
        # and every other POST with this key would be refused the same way.
        return Outcome(
            JobState.QUEUED,
            job.error,
            job.error_kind,
            job.http_status,
            tries,
            detail="refused: the API key was rejected",
            hold=True,
        )
    if isinstance(exc, errors.ApiError) and exc.definite:
        return Outcome(JobState.ERROR, str(exc), exc.kind, exc.status, tries)
    return unknown(exc, exc.status, tries)


def _rate_limited(
    job: Job, tries: Tries, wait: float, time_left: float, settings: EngineSettings
) -> Outcome:
    tries = replace(tries, rate_limited=tries.rate_limited + 1)
    if tries.rate_limited > settings.max_rate_limited:
        return Outcome(
            JobState.ERROR,
            f"rate limited {tries.rate_limited} times; not sent",
            "rate_limited",
            429,
            tries,
        )
    if wait >= time_left:
        return Outcome(
            JobState.TIMED_OUT,
            f"not sent: the deadline of {settings.job_timeout:g}s "
            "would pass while the host is rate limiting (429)",
            "deadline_not_sent",
            429,
            tries,
        )
    return Outcome(
        JobState.QUEUED,
        f"rate limited (429); re-sending after {wait:.1f}s",
        job.error_kind,
        429,
        tries,
        again_in=wait,
        detail="429: the request was refused before processing; safe to re-send",
    )


def _connect_failed(
    exc: errors.ConnectFailedError,
    job: Job,
    tries: Tries,
    wait: float,
    time_left: float,
    settings: EngineSettings,
) -> Outcome:
    tries = replace(tries, connect_failures=tries.connect_failures + 1)
    if tries.connect_failures > settings.max_connect_retries:
        return Outcome(
            JobState.ERROR,
            f"not sent after {tries.connect_failures} tries: {exc}",
            "connect",
            job.http_status,
            tries,
        )
    if wait >= time_left:
        return Outcome(
            JobState.TIMED_OUT,
            f"not sent: the deadline of {settings.job_timeout:g}s "
            f"would pass before the next try ({exc})",
            "deadline_not_sent",
            job.http_status,
            tries,
        )
    return Outcome(
        JobState.QUEUED,
        f"{exc}; re-sending in {wait:.1f}s",
        job.error_kind,
        job.http_status,
        tries,
        again_in=wait,
        detail="connection failed before sending; safe to re-send",
    )


# -- the dock-status GET ------------------------------------------------------------------

# What a POST's answer can say that ends a job, if Get Dock Status confirms it.
FINAL_SERVER_STATUSES = frozenset({"SUCCESS", "FAILED"})


def first_check_delay(post_status: str, first_poll: float) -> float:
    """When to verify a job the platform accepted: a final answer at once (the docs ask for
    it even after SUCCESS); a job just started is not done a moment later, so its first check
    waits for the polling schedule's first step (asking at once cost a request per job)."""
    return 0.0 if post_status in FINAL_SERVER_STATUSES else first_poll


def after_status(
    status: str,
    job: Job,
    tries: Tries,
    *,
    next_poll: float,
    time_left: float,
    settings: EngineSettings,
) -> Outcome:
    """The platform's answer about a job; ``next_poll`` is when to ask again if not final."""
    tries = replace(tries, check_failures=0)
    if status == "SUCCESS":
        return Outcome(
            JobState.SUCCESS,
            None,
            job.error_kind,
            200,
            tries,
            stale=False,
            polled=True,
            checked=True,
            detail="verified with Get Dock Status",
        )
    if status == "FAILED":
        return Outcome(
            JobState.FAILED,
            "the platform reported FAILED",
            "failed",
            200,
            tries,
            stale=False,
            polled=True,
            checked=True,
            detail="the platform reported FAILED",
        )
    answered = Outcome(
        job.state, None, job.error_kind, 200, tries, stale=False, polled=True, checked=True
    )
    return _again_or_time_out(answered, status, next_poll, time_left, settings)


def after_status_error(
    exc: RequestError,
    job: Job,
    tries: Tries,
    *,
    wait: float,
    age: float,
    time_left: float,
    settings: EngineSettings,
) -> Outcome:
    """A check that got no status. ``wait``: the host's pause after a 429, else the backoff;
    ``age``: seconds since the platform accepted the job (for the 404 grace)."""
    if isinstance(exc, errors.RateLimitedError):
        # A 429 pause counts against the deadline like any other wait.
        unchanged = Outcome(job.state, job.error, job.error_kind, job.http_status, tries)
        return _again_or_time_out(unchanged, job.server_status, wait, time_left, settings)
    if isinstance(exc, errors.AuthError):
        return Outcome(job.state, job.error, job.error_kind, job.http_status, tries, hold=True)
    if isinstance(exc, errors.NotFoundError):
        return _not_found(exc, job, tries, age, time_left, settings)
    if isinstance(exc, errors.ApiError) and exc.definite:
        return Outcome(JobState.ERROR, str(exc), exc.kind, exc.status, tries, checked=True)
    return check_failed(exc, job, tries, wait=wait, time_left=time_left, settings=settings)


def _not_found(
    exc: errors.NotFoundError,
    job: Job,
    tries: Tries,
    age: float,
    time_left: float,
    settings: EngineSettings,
) -> Outcome:
    # The platform may not know a dock status ID for a moment after handing it out;
    # that grace never stretches the job's deadline.
    if job.origin == "sent" and age < settings.not_found_grace:
        not_yet = Outcome(
            job.state,
            f"not found yet ({age:.1f}s old); retrying",
            job.error_kind,
            404,
            tries,
            polled=True,
            checked=True,
        )
        return _again_or_time_out(
            not_yet,
            job.server_status,
            min(1.0, settings.schedule.initial),
            time_left,
            settings,
            reason=f"its dock status ID was still not found ({age:.1f}s after it was accepted)",
        )
    return Outcome(
        JobState.ERROR,
        f"dock status ID not found: {exc}",
        "not_found",
        404,
        tries,
        polled=True,
        checked=True,
    )


def check_failed(
    exc: BaseException,
    job: Job,
    tries: Tries,
    *,
    wait: float,
    time_left: float,
    settings: EngineSettings,
) -> Outcome:
    """No usable answer to a check: try again with backoff; stale after a few in a row."""
    tries = replace(tries, check_failures=tries.check_failures + 1)
    failures = tries.check_failures
    failed = Outcome(
        job.state,
        f"check failed ({failures} in a row): {exc}",
        job.error_kind,
        getattr(exc, "status", None),
        tries,
        stale=failures >= settings.stale_after,
        checked=True,
    )
    return _again_or_time_out(failed, job.server_status, wait, time_left, settings)


def _again_or_time_out(
    outcome: Outcome,
    server_status: str | None,
    delay: float,
    time_left: float,
    settings: EngineSettings,
    reason: str | None = None,
) -> Outcome:
    """Check again after ``delay`` (never past the deadline), or end TIMED_OUT at it."""
    if time_left <= 0:
        reason = reason or outcome.error or f"still {server_status or 'not final'}"
        return replace(
            outcome,
            state=JobState.TIMED_OUT,
            error_kind="deadline",
            error=f"deadline of {settings.job_timeout:g}s reached: {reason}",
        )
    return replace(outcome, again_in=min(delay, time_left))
