"""The scenes' fixed world: environments, demo IDs and a scripted set of jobs.

Frozen clock, seeded IDs, no engine: the same bytes on every run (see scenes.py,
which builds the app around them).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kore_tui.core.config import Environment
from kore_tui.core.engine_host import EngineHost
from kore_tui.core.engine_settings import EngineSettings
from kore_tui.core.job import Job, JobState, Transition
from kore_tui.core.secret import Secret
from kore_tui.core.store import JobStore
from kore_tui.simulator import SimConfig, Simulator
from kore_tui.tui.launch import demo_profile

FROZEN = datetime(2026, 11, 29, 3, 12, 40, tzinfo=UTC)
SEED = 2026


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StaticHost(EngineHost):
    """An EngineHost that never starts: a store that the scene fills, no thread, no network.

    A subclass rather than a look-alike, so the console takes it where it takes a real host
    and the type checker sees every use. Stopping a thread that never ran does nothing.
    """

    def __init__(self, env: Environment, store: JobStore) -> None:
        super().__init__(env, Secret(""), EngineSettings(), use_journal=False)
        self._loop.close()  # never run: close it now rather than warn when collected
        self.store = store

    def start(self, timeout: float = 15.0) -> EngineHost:
        raise RuntimeError("a scene's host has no engine to start")


def environments() -> dict[str, Environment]:
    envs = [
        Environment("prod", "https://agent-platform.kore.ai", protected=True, colour="red"),
        Environment("preprod", "https://preprod-gale.kore.ai", colour="yellow"),
        Environment("dev", "https://dev-agent-platform.kore.ai", colour="green"),
        Environment("audit", "https://gale.kore.ai", read_only=True, colour="blue"),
    ]
    return {e.name: e for e in envs}


def demo_model_ids() -> list[str]:
    return Simulator(SimConfig(models=24, seed=SEED)).model_ids


def demo_tool_ids() -> list[str]:
    # Tools are drawn from their own generator: the model IDs stay those above.
    return Simulator(SimConfig(models=24, seed=SEED, tools=4)).tool_ids


# Rows of the live panel that are not a model undeploy: a tool's undeploy, a redeploy
# (an undo) with its parameters, and a bounce's two halves.
def _lifecycle(job: Job, i: int) -> Job:
    if i == 1:
        return replace(job, model_id=demo_tool_ids()[0], job_type="TOOLS", resource="tool")
    if i == 4:
        return replace(job, action="DEPLOY", params=demo_profile().to_json())
    if i == 11:
        return replace(job, then="DEPLOY", params=demo_profile().to_json())
    return job


_SCRIPT = [
    (JobState.SUCCESS, 48, 6, None),
    (JobState.SUCCESS, 41, 6, None),
    (JobState.IN_PROGRESS, 95, 9, None),
    (JobState.FAILED, 37, 5, "the platform reported FAILED"),
    (JobState.SUCCESS, 22, 4, None),
    (JobState.IN_PROGRESS, 70, 8, None),
    (
        JobState.UNKNOWN,
        0,
        0,
        "HTTP 503 SERVICE_UNAVAILABLE: The service is temporarily "
        "unavailable (outcome unknown: the request may have reached the server; check the "
        "model before retrying)",
    ),
    (JobState.SUCCESS, 30, 5, None),
    (JobState.IN_PROGRESS, 64, 8, None),
    (JobState.ERROR, 0, 0, "HTTP 409 CONFLICT: Model is not deployed"),
    (JobState.SUBMITTING, 0, 0, None),
    (JobState.IN_PROGRESS, 12, 3, None),
    (JobState.SUCCESS, 55, 7, None),
    (JobState.QUEUED, 0, 0, None),
    (JobState.QUEUED, 0, 0, None),
    (JobState.TIMED_OUT, 1800, 74, "deadline of 1800s reached: still IN_PROGRESS"),
]


def scripted_jobs(env: Environment) -> list[Job]:
    rng = random.Random(SEED + 1)  # not SEED: the simulator drew the model IDs from it
    jobs = []
    for i, (model, (state, age, polls, error)) in enumerate(
        zip(demo_model_ids(), _SCRIPT, strict=False)
    ):
        submitted = FROZEN - timedelta(seconds=age + 2)
        sent = state not in {JobState.QUEUED}
        ds = f"ds-{uuid.UUID(int=rng.getrandbits(128), version=4)}" if polls else None
        status = {"SUCCESS": "SUCCESS", "FAILED": "FAILED"}.get(state.value, "IN_PROGRESS")
        checked = FROZEN - timedelta(seconds=(i % 4) + 1)
        queued = Transition(
            _iso(submitted - timedelta(seconds=1)), JobState.QUEUED, "queued for undeploy"
        )
        timeline: tuple[Transition, ...] = (queued,)
        if sent:
            timeline += (
                Transition(
                    _iso(submitted),
                    JobState.SUBMITTING,
                    "intent recorded; sending the undeploy request",
                ),
            )
        if ds:
            timeline += (
                Transition(
                    _iso(submitted + timedelta(milliseconds=180)),
                    JobState.IN_PROGRESS,
                    "accepted: server says IN_PROGRESS; verifying",
                    200,
                ),
            )
        if state not in {JobState.QUEUED, JobState.SUBMITTING, JobState.IN_PROGRESS}:
            timeline += (
                Transition(
                    _iso(checked),
                    state,
                    error or "verified with Get Dock Status",
                    200 if ds else 503,
                ),
            )
        jobs.append(
            Job(
                key=f"job-{i:03d}",
                environment=env.name,
                host=env.host,
                origin="sent",
                model_id=model,
                dock_status_id=ds,
                state=state,
                error=error,
                server_status=status if ds else None,
                polls=polls,
                attempts=1 if sent else 0,
                stale=i == 8,
                created_at=_iso(submitted - timedelta(seconds=1)),
                submitted_at=_iso(submitted) if sent else None,
                updated_at=_iso(checked if ds else submitted),
                last_checked_at=_iso(checked) if ds else None,
                last_response={
                    "_id": ds,
                    "toolId": model,
                    "jobType": "MODELS",
                    "action": "UNDEPLOY",
                    "status": status,
                }
                if ds
                else None,
                http_status=503
                if state is JobState.UNKNOWN
                else (409 if error and "409" in error else 200),
                timeline=timeline,
            )
        )
    return [_lifecycle(job, i) for i, job in enumerate(jobs)]


MESSY_PASTE = """modelId,name,owner
{0},support-bot-v3,ana
"{1}",faq-embedder,li
 • {2}
https://agent-platform.kore.ai/api/public/models/{3}/undeploy
{0}
cm-20xxxxxf-0xx9-5xx0-8xx1-81xxxxxxxx80
cm-7c1e
{4}
"""
