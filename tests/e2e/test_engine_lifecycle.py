"""Deploy, tools and bounce on the engine, over real HTTP to the simulator on loopback.

The simulator's per-action counters prove what was (never) sent; a recording transport
around httpx's own shows the exact request a deploy sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kore_tui.cli.common import exit_code_for
from kore_tui.cli.exit_codes import EXIT_FAILED
from kore_tui.core.deploy_params import (
    DeployParams,
    DeployParamsError,
    ModelDeployParams,
    ToolDeployParams,
    parse_model_params,
)
from kore_tui.core.engine import Engine, ReadOnlyError
from kore_tui.core.job import Job, JobState
from kore_tui.core.journal import Journal
from kore_tui.simulator import Simulator
from tests.conftest import sim_config
from tests.helpers import admin, job_of, make_engine, until

PARAMS = parse_model_params(
    {
        "model_type": "openSource",
        "name": "llama-prod",
        "device_type": "g5.xlarge",
        "hyper_parameters": {"temperature": 0.7, "max_tokens": 256, "top_p": 0.9, "top_k": 50},
        "scaling_parameters": {"min_replicas": 1, "max_replicas": 3},
    },
    source="test",
)


class Recording(httpx.AsyncBaseTransport):
    """httpx's own transport, keeping every POST it sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.posts: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            await request.aread()
            self.posts.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def started(**overrides: Any) -> Simulator:
    overrides.setdefault("job_seconds", (0.1, 0.3))
    sim = Simulator(sim_config(**overrides))
    await sim.start()
    return sim


async def settle(engine: Engine, timeout: float = 20.0) -> None:
    await asyncio.wait_for(engine.wait_settled(), timeout)


async def close(engine: Engine) -> None:
    await engine.aclose()
    await engine.client.aclose()


async def received(url: str, action: str) -> dict[str, int]:
    counters = await admin(url, "/_sim/counters")
    return dict(counters["received"][action])


def shown(engine: Engine) -> dict[str | None, Job]:
    return {j.model_id: j for j in engine.store.snapshot()}


async def test_a_mixed_paste_of_models_and_tools_is_undeployed_each_once() -> None:
    sim = await started(models=2, tools=2)
    engine = make_engine(sim.url, journal=Journal())
    try:
        engine.start()
        ids = [sim.model_ids[0], sim.tool_ids[0], sim.model_ids[1], sim.tool_ids[1]]
        jobs = engine.undeploy(ids)
        assert [j.model_id for j in jobs] == ids, "in the order pasted"
        assert [j.resource for j in jobs] == ["model", "tool", "model", "tool"]
        assert [j.job_type for j in jobs] == ["MODELS", "TOOLS", "MODELS", "TOOLS"]
        await settle(engine)
        assert {j.state for j in engine.store.snapshot()} == {JobState.SUCCESS}
        assert await received(sim.url, "UNDEPLOY") == dict.fromkeys(ids, 1)
        tools = await admin(sim.url, "/_sim/tools")
        assert {t["deployed"] for t in tools["tools"]} == {False}
    finally:
        await close(engine)
        await sim.stop()


async def test_a_model_deploy_sends_the_documented_request_and_is_recorded() -> None:
    sim = await started(models=0, ready_models=1)
    model = sim.ready_model_ids[0]
    recording = Recording()
    journal = Journal()
    engine = make_engine(sim.url, journal=journal, transport=recording)
    try:
        engine.start()
        assert engine.recorded_deploy_params(model) is None
        (job,) = engine.deploy([model], DeployParams(model=PARAMS))
        assert (job.action, job.resource, job.params) == ("DEPLOY", "model", PARAMS.to_json())
        await settle(engine)
        assert shown(engine)[model].state is JobState.SUCCESS
        (post,) = recording.posts
        assert post.url.path == f"/api/public/models/{model}/deploy"
        assert dict(post.url.params) == {"modelType": "openSource"}
        assert json.loads(post.content) == PARAMS.body()
        assert post.headers["content-type"] == "application/json"
        assert await received(sim.url, "DEPLOY") == {model: 1}
        assert engine.recorded_deploy_params(model) == PARAMS
        # Another engine (a later process) reads the same record from the journal.
        later = make_engine(sim.url, journal=Journal())
        assert later.recorded_deploy_params(model) == PARAMS
        await later.client.aclose()
    finally:
        await close(engine)
        journal.close()
        await sim.stop()


async def test_a_tool_is_undeployed_then_deployed_asynchronously_by_default() -> None:
    sim = await started(models=0, tools=1)
    tool = sim.tool_ids[0]
    recording = Recording()
    engine = make_engine(sim.url, journal=Journal(), transport=recording)
    try:
        engine.start()
        engine.undeploy([tool])
        await settle(engine)
        (job,) = engine.deploy([tool], DeployParams())
        assert job.params == {"is_async": True}
        await settle(engine)
        assert [j.state for j in engine.store.snapshot()] == [JobState.SUCCESS] * 2
        undeploy, deploy = recording.posts
        assert undeploy.url.path == f"/api/public/tools/{tool}/undeploy" and not undeploy.content
        assert deploy.url.path == f"/api/public/tools/{tool}/deploy"
        assert json.loads(deploy.content) == {"isAsync": True}
        engine.undeploy([tool])
        await settle(engine)
        engine.deploy([tool], DeployParams(tool=ToolDeployParams(is_async=False)))
        await settle(engine)
        assert json.loads(recording.posts[-1].content) == {"isAsync": False}
    finally:
        await close(engine)
        await sim.stop()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", 3.5),
        ("max_tokens", 513),
        ("top_p", 1.5),
        ("top_k", 0),
        ("min_replicas", 11),
        ("max_replicas", 51),
        ("max_batch_size", 257),
        ("scale_up_delay", 1001),
        ("scale_down_delay", 49),
        ("device_type", "p5.48xlarge"),
        ("model_type", "closed"),
        ("optimization_type", "tensorrt"),
        ("quantization_type", "int4"),
    ],
)
async def test_a_body_that_breaks_a_documented_rule_is_never_sent(field: str, value: Any) -> None:
    sim = await started(models=0, ready_models=1)
    from dataclasses import replace

    bad = replace(PARAMS, **{field: value})  # built by hand: no checks ran
    engine = make_engine(sim.url, journal=Journal())
    try:
        engine.start()
        with pytest.raises(DeployParamsError, match=field):
            engine.deploy(sim.ready_model_ids, DeployParams(model=bad))
        with pytest.raises(DeployParamsError, match=field):
            engine.bounce(sim.ready_model_ids, DeployParams(model=bad))
        assert engine.store.snapshot() == []
        assert await received(sim.url, "DEPLOY") == {}
        assert await received(sim.url, "UNDEPLOY") == {}
    finally:
        await close(engine)
        await sim.stop()


async def test_min_replicas_above_max_is_never_sent() -> None:
    sim = await started(models=0, ready_models=1)
    from dataclasses import replace

    engine = make_engine(sim.url)
    try:
        engine.start()
        with pytest.raises(DeployParamsError, match="min_replicas must not exceed"):
            engine.deploy(
                sim.ready_model_ids,
                DeployParams(model=replace(PARAMS, min_replicas=4, max_replicas=3)),
            )
        assert await received(sim.url, "DEPLOY") == {}
    finally:
        await close(engine)
        await sim.stop()


async def test_a_model_deploy_without_parameters_is_refused_before_anything_is_queued() -> None:
    sim = await started(models=0, ready_models=1, tools=1)
    engine = make_engine(sim.url)
    try:
        engine.start()
        with pytest.raises(ValueError, match="deploying a model needs its parameters"):
            engine.deploy([sim.tool_ids[0], sim.ready_model_ids[0]], DeployParams())
        assert engine.store.snapshot() == [], "not even the tool: one decision for the paste"
    finally:
        await close(engine)
        await sim.stop()


async def test_bounce_with_a_failed_first_half_never_sends_the_redeploy() -> None:
    sim = await started(models=2, fail_rate=1.0)
    journal = Journal()
    engine = make_engine(sim.url, journal=journal)
    try:
        engine.start()
        firsts = engine.bounce(sim.model_ids, DeployParams(model=PARAMS))
        assert [(j.action, j.then) for j in firsts] == [("UNDEPLOY", "DEPLOY")] * 2
        await settle(engine)
        await asyncio.sleep(0.2)  # time enough for a redeploy that should not exist
        jobs = engine.store.snapshot()
        assert len(jobs) == 2 and {j.state for j in jobs} == {JobState.FAILED}
        for job in jobs:
            assert job.then is None
            assert job.error is not None and job.error.startswith(
                "bounce stopped: the undeploy ended FAILED (the platform reported FAILED)"
            )
            assert job.error.endswith("the redeploy was not sent")
        assert await received(sim.url, "DEPLOY") == {}
        assert journal.stranded_bounces("sim", sim.url) == []
        assert all(j.error and "bounce stopped" in j.error for j in journal.history("sim"))
    finally:
        await close(engine)
        journal.close()
        await sim.stop()


async def test_bounce_sends_exactly_one_deploy_with_the_same_params_after_success() -> None:
    sim = await started(models=1)
    model = sim.model_ids[0]
    recording = Recording()
    journal = Journal()
    engine = make_engine(sim.url, journal=journal, transport=recording)
    try:
        engine.start()
        (first,) = engine.bounce([model], DeployParams(model=PARAMS))
        await settle(engine)
        jobs = {j.action: j for j in engine.store.snapshot()}
        assert set(jobs) == {"UNDEPLOY", "DEPLOY"}
        second = jobs["DEPLOY"]
        assert second.parent == first.key and second.params == PARAMS.to_json()
        assert jobs["UNDEPLOY"].then is None and jobs["UNDEPLOY"].state is JobState.SUCCESS
        assert second.state is JobState.SUCCESS
        assert await received(sim.url, "UNDEPLOY") == {model: 1}
        assert await received(sim.url, "DEPLOY") == {model: 1}
        assert json.loads(recording.posts[-1].content) == PARAMS.body()
        # The undeploy was verified before the deploy went out.
        undeploy_done = jobs["UNDEPLOY"].timeline[-1].at
        checked = jobs["UNDEPLOY"].last_checked_at
        assert checked is not None and second.created_at >= checked
        assert undeploy_done <= second.updated_at
        assert engine.recorded_deploy_params(model) == PARAMS
    finally:
        await close(engine)
        journal.close()
        await sim.stop()


async def strand_a_bounce(
    sim: Simulator, model: str, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> Job:
    """A bounce whose process dies between the verified undeploy and the redeploy's
    admission: its row is SUCCESS with ``then`` set and no second half."""
    first = make_engine(sim.url, journal=journal)
    first.start()
    (job,) = first.bounce([model], DeployParams(model=PARAMS))
    monkeypatch.setattr(first._bounces, "on_final", lambda job: None)
    first._writer.on_final = None
    await until(lambda: (first.store.get(job.key) or job).state is JobState.SUCCESS, 10)
    first._writer.flush()
    await close(first)
    return job


async def test_a_stranded_bounce_is_reported_after_a_restart_never_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = await started(models=1)
    model = sim.model_ids[0]
    journal = Journal()
    try:
        job = await strand_a_bounce(sim, model, journal, monkeypatch)
        second = make_engine(sim.url, journal=Journal())
        second.start()
        (reported,) = second.resume_unfinished()
        assert reported.key == job.key and reported.state is JobState.SUCCESS
        assert reported.error is not None and "bounce incomplete" in reported.error
        assert "redeploy was never sent" in reported.error
        # The model is down while the row reads SUCCESS: it is a problem, said as one.
        assert reported.redeploy_missing and reported.status_label == "SUCCESS (no redeploy)"
        assert exit_code_for([reported], waited=True) == EXIT_FAILED
        # The parameters typed for the redeploy are the ones a deploy or an undo now uses.
        assert second.recorded_deploy_params(model) == PARAMS
        await asyncio.sleep(0.2)  # deliberate: time for a redeploy that must not go out
        assert await received(sim.url, "DEPLOY") == {}
        assert second.resume_unfinished() == [], "reported once"
        # Redeployed (by hand, here): the bounce no longer leaves its model down, and the
        # row stops saying so (it read NO REDEPLOY for good, counted in the summary).
        (deploy,) = second.deploy([model], DeployParams(model=PARAMS))
        await until(lambda: job_of(second, deploy.key).state is JobState.SUCCESS, 10)
        await until(lambda: not job_of(second, job.key).redeploy_missing, 5)
        cleared = job_of(second, job.key)
        assert cleared.state is JobState.SUCCESS and "redeployed since" in (cleared.error or "")
        await close(second)
    finally:
        journal.close()
        await sim.stop()


@pytest.mark.parametrize("reported_first", [False, True])
async def test_a_deploy_by_a_run_that_never_loaded_the_stranded_bounce_clears_it_too(
    monkeypatch: pytest.MonkeyPatch, reported_first: bool
) -> None:
    """A stranded bounce read NO REDEPLOY for good (history, `status` exit 1) once the
    model had been redeployed by a run that had not loaded that bounce (a CLI `deploy`):
    only bounces in the deploying engine's own store were cleared. Whether a console had
    reported it before the deploy (its journal row says "bounce incomplete") or a run
    finds it stranded after."""
    sim = await started(models=1)
    model = sim.model_ids[0]
    journal = Journal()
    try:
        job = await strand_a_bounce(sim, model, journal, monkeypatch)

        def row_of(reader: Journal) -> Job:
            return reader.jobs([job.key])[job.key]

        if reported_first:
            reporter = make_engine(sim.url, journal=Journal())
            reporter.start()
            assert [j.redeploy_missing for j in reporter.resume_unfinished()] == [True]
            await close(reporter)
        deployer = make_engine(sim.url, journal=Journal())
        deployer.start()  # no resume_unfinished(): the bounce is not in its store
        (deploy,) = deployer.deploy([model], DeployParams(model=PARAMS))
        await until(lambda: job_of(deployer, deploy.key).state is JobState.SUCCESS, 10)
        assert deployer.store.get(job.key) is None, "not shown by the run that deployed"
        await close(deployer)
        later = make_engine(sim.url, journal=Journal())
        later.start()
        try:
            later.resume_unfinished()
            journal_of_later = later.journal
            assert journal_of_later is not None
            # Written by the engine's group commit (within ~50 ms), not at once.
            await until(lambda: "redeployed since" in (row_of(journal_of_later).error or ""), 5)
            row = row_of(journal_of_later)
            assert not row.redeploy_missing, row.error
            assert row.state is JobState.SUCCESS and "redeployed since" in (row.error or "")
        finally:
            await close(later)
    finally:
        journal.close()
        await sim.stop()


async def test_one_live_job_per_resource_whatever_the_action_across_engines() -> None:
    sim = await started(models=1, job_seconds=(0.5, 0.5))
    model = sim.model_ids[0]
    first, second = make_engine(sim.url, journal=Journal()), make_engine(sim.url, journal=Journal())
    try:
        first.start()
        second.start()
        (undeploying,) = first.undeploy([model])
        (joined,) = second.deploy([model], DeployParams(model=PARAMS))
        assert joined.key == undeploying.key and joined.action == "UNDEPLOY"
        assert "tracking it" in second.notes[joined.key]
        (same,) = first.deploy([model], DeployParams(model=PARAMS))
        assert same.key == undeploying.key, "this engine's own live job, whatever the action"
        await settle(first)
        assert await received(sim.url, "DEPLOY") == {}
        assert await received(sim.url, "UNDEPLOY") == {model: 1}
        # Now finished (the other engine sees it too): a deploy may go, and an undeploy in
        # the other engine joins it.
        await until(lambda: job_of(second, joined.key).is_final, 5)
        (deploying,) = first.deploy([model], DeployParams(model=PARAMS))
        (joined_deploy,) = second.undeploy([model])
        assert joined_deploy.key == deploying.key
        await settle(first)
        assert await received(sim.url, "DEPLOY") == {model: 1}
        assert await received(sim.url, "UNDEPLOY") == {model: 1}
    finally:
        await close(first)
        await close(second)
        await sim.stop()


async def test_read_only_refuses_every_action_in_the_engine() -> None:
    sim = await started(models=1, tools=1)
    engine = make_engine(sim.url, journal=Journal(), read_only=True)
    try:
        engine.start()
        ids = [sim.model_ids[0], sim.tool_ids[0]]
        calls: list[tuple[str, Callable[[], object]]] = [
            ("undeploy", lambda: engine.undeploy(ids)),
            ("deploy", lambda: engine.deploy(ids, DeployParams(model=PARAMS))),
            ("bounce", lambda: engine.bounce(ids, DeployParams(model=PARAMS))),
        ]
        for action, call in calls:
            with pytest.raises(ReadOnlyError, match=f"read-only: {action} refused"):
                call()
        assert engine.store.snapshot() == []
        assert await received(sim.url, "DEPLOY") == {} == await received(sim.url, "UNDEPLOY")
    finally:
        await close(engine)
        await sim.stop()


async def force(url: str, response: dict[str, Any]) -> None:
    """The simulator answers the next request that matches with ``response`` (a status,
    and a "match" on the path)."""
    await admin(url, "/_sim/force", "POST", json={"responses": [response]})


async def test_retry_resends_the_job_s_own_action_with_its_recorded_params() -> None:
    sim = await started(models=0, ready_models=1)
    model = sim.ready_model_ids[0]
    recording = Recording()
    engine = make_engine(sim.url, journal=Journal(), transport=recording)
    try:
        engine.start()
        # A 409 is a definite refusal (ERROR): the retry is the operator's word.
        await force(sim.url, {"status": 409, "match": f"{model}/deploy", "code": "CONFLICT"})
        (job,) = engine.deploy([model], DeployParams(model=PARAMS))
        await settle(engine)
        assert job_of(engine, job.key).state is JobState.ERROR
        assert engine.retry([job.key]) == 1
        await settle(engine)
        assert job_of(engine, job.key).state is JobState.SUCCESS
        assert [p.url.path for p in recording.posts] == [f"/api/public/models/{model}/deploy"] * 2
        assert json.loads(recording.posts[1].content) == PARAMS.body()
    finally:
        await close(engine)
        await sim.stop()


async def test_a_doubtful_deploy_answer_is_unknown_and_never_resent() -> None:
    sim = await started(models=0, ready_models=1)
    model = sim.ready_model_ids[0]
    engine = make_engine(sim.url, journal=Journal())
    try:
        engine.start()
        await force(sim.url, {"status": 502, "match": f"{model}/deploy"})
        (job,) = engine.deploy([model], DeployParams(model=PARAMS))
        await settle(engine)
        ended = engine.store.get(job.key)
        assert ended is not None and ended.state is JobState.UNKNOWN
        assert await received(sim.url, "DEPLOY") == {model: 1}
        # The UNKNOWN blocks a new deploy and an undeploy alike: only a retry sends.
        (again,) = engine.deploy([model], DeployParams(model=PARAMS))
        assert (
            again.key == job.key
            and "retry that job in the console (R on its row)" in engine.notes[job.key]
        )
    finally:
        await close(engine)
        await sim.stop()


async def test_a_deploy_blocked_by_an_unknown_undeploy_waits_for_its_outcome() -> None:
    """A break-it run: 'deploy not sent (deploy it once that job has ended)' for an
    undeploy whose outcome was UNKNOWN: it had ended; what is missing is its outcome."""
    sim = await started(models=1)
    model = sim.model_ids[0]
    engine = make_engine(sim.url, journal=Journal())
    try:
        engine.start()
        await force(sim.url, {"status": 502, "match": f"{model}/undeploy"})
        (job,) = engine.undeploy([model])
        await settle(engine)
        assert (engine.store.get(job.key) or job).state is JobState.UNKNOWN
        (joined,) = engine.deploy([model], DeployParams(model=PARAMS))
        note = engine.notes[joined.key]
        assert joined.key == job.key and joined.key in engine.not_started
        assert "deploy it once that job's outcome is known" in note and "ended" not in note, note
    finally:
        await close(engine)
        await sim.stop()


async def failed_then_retried(sim: Simulator, engine: Engine) -> tuple[Job, Job]:
    """Undeploy the simulator's first model, FAILED (the simulator fails every job), then
    retried to SUCCESS: (the failed attempt, the job now)."""
    engine.start()
    (job,) = engine.undeploy(sim.model_ids[:1])
    await settle(engine)
    failed = job_of(engine, job.key)
    assert failed.state is JobState.FAILED and failed.dock_status_id
    sim.state.fail_rate = 0.0
    assert engine.retry([job.key]) == 1
    await settle(engine)
    now = job_of(engine, job.key)
    assert now.state is JobState.SUCCESS and now.dock_status_id != failed.dock_status_id
    return failed, now


async def test_watching_an_earlier_attempt_s_id_points_at_its_job_and_adds_no_row() -> None:
    """A break-it run: watching the dock status ID of a retried job's failed attempt (the one
    an alert named) added a FAILED row for a model the retry had undeployed; the summary and
    the problems view counted it."""
    sim = await started(models=1, fail_rate=1.0)
    engine = make_engine(sim.url, journal=Journal())
    try:
        failed, now = await failed_then_retried(sim, engine)
        assert failed.dock_status_id
        assert now.earlier_dock_status_ids == (failed.dock_status_id,)

        outcome = engine.watch_or_recheck([failed.dock_status_id.upper()])
        assert (outcome.new, outcome.rechecked, outcome.final) == ([], [], [])
        assert outcome.earlier == [(failed.dock_status_id, now)]
        assert len(engine.store.snapshot()) == 1
    finally:
        await close(engine)
        await sim.stop()


async def test_a_new_engine_finds_an_earlier_attempt_s_job_in_the_journal() -> None:
    """The console reopened (or the CLI's status) has the retried job in the journal only:
    the earlier attempt's ID shows that job as it is, with no row of its own."""
    sim = await started(models=1, fail_rate=1.0)
    first = make_engine(sim.url, journal=Journal())
    try:
        failed, job = await failed_then_retried(sim, first)
    finally:
        await close(first)
    second = make_engine(sim.url, journal=Journal())
    try:
        second.start()
        assert failed.dock_status_id
        (found,) = second.earlier_attempts([failed.dock_status_id])
        assert found[0] == failed.dock_status_id
        assert found[1].key == job.key and found[1].state is JobState.SUCCESS
        assert found[1].earlier_dock_status_ids == (failed.dock_status_id,), "with its timeline"
        assert [j.key for j in second.store.snapshot()] == [job.key], "shown as it is"
        outcome = second.watch_or_recheck([failed.dock_status_id])
        assert outcome.new == [] and [d for d, _ in outcome.earlier] == [failed.dock_status_id]
        assert len(second.store.snapshot()) == 1
        assert second.earlier_attempts(["ds-00000000-0000-4000-8000-0000000000aa"]) == []
    finally:
        await close(second)
        await sim.stop()


async def test_an_earlier_attempt_of_another_environment_s_job_is_named_not_shown() -> None:
    """An operator's run: in 'ro' (the same host as 'stage'), watching the failed attempt
    of a job 'stage' had retried to SUCCESS added a FAILED row, and a FAILED entry for 'ro'
    in the journal."""
    sim = await started(models=1, fail_rate=1.0)
    stage = make_engine(sim.url, journal=Journal(), env_name="stage")
    try:
        failed, job = await failed_then_retried(sim, stage)
    finally:
        await close(stage)
    assert failed.dock_status_id
    ro = make_engine(sim.url.replace("127.0.0.1", "localhost"), journal=Journal(), env_name="ro")
    try:
        ro.start()
        outcome = ro.watch_or_recheck([failed.dock_status_id])
        (found,) = outcome.earlier
        assert found[1].key == job.key and found[1].environment == "stage"
        assert found[1].state is JobState.SUCCESS
        assert outcome.new == [] and ro.store.snapshot() == [], "named, not shown here"
    finally:
        await close(ro)
        await sim.stop()


async def test_an_earlier_attempt_of_another_environment_s_running_retry_is_named() -> None:
    """The same run while the retry still ran in 'prod': 'status --env stage --wait' of
    the old ID printed FAILED (exit 1) and a console made a FAILED row that stayed."""
    sim = await started(models=1, fail_rate=1.0)
    prod = make_engine(sim.url, journal=Journal(), env_name="prod")
    stage = make_engine(sim.url, journal=Journal(), env_name="stage")
    try:
        prod.start()
        (job,) = prod.undeploy(sim.model_ids[:1])
        await settle(prod)
        failed = job_of(prod, job.key)
        assert failed.dock_status_id
        sim.state.fail_rate, sim.state.job_seconds = 0.0, (3.0, 3.0)
        assert prod.retry([job.key]) == 1
        await until(lambda: job_of(prod, job.key).state is JobState.IN_PROGRESS, 5)
        stage.start()
        outcome = stage.watch_or_recheck([failed.dock_status_id])
        assert outcome.new == [] and stage.store.snapshot() == [], "named, no row here"
        ((_, named),) = outcome.earlier
        assert named.environment == "prod" and not named.is_final
        shown = stage.show_found(named)  # what `status` does: its end, not a FAILED row
        assert stage.follows(shown.key)
        await asyncio.wait_for(stage.wait_settled(), 10)
        assert job_of(stage, job.key).state is JobState.SUCCESS
    finally:
        await close(prod)
        await close(stage)
        await sim.stop()


def test_model_deploy_params_round_trip_through_the_journal_shape() -> None:
    assert ModelDeployParams.from_json(PARAMS.to_json()) == PARAMS


async def test_a_retry_starts_its_checks_afresh() -> None:
    """A break-it run: a retried job showed the old attempt's Checked ("16s", "1m08s" on a
    row never checked) and its Polls went on 5 -> 7 -> 8."""
    sim = await started(models=1, fail_rate=1.0)
    model = sim.model_ids[0]
    engine = make_engine(sim.url, journal=Journal())
    try:
        engine.start()
        (job,) = engine.undeploy([model])
        await settle(engine)
        failed = job_of(engine, job.key)
        assert failed.state is JobState.FAILED and failed.polls > 0 and failed.last_checked_at
        assert engine.retry([job.key]) == 1
        again = job_of(engine, job.key)
        assert (again.state, again.polls, again.last_checked_at) == (JobState.QUEUED, 0, None)
        assert again.last_response is None and again.submitted_at is None
        await settle(engine)
        assert job_of(engine, job.key).polls >= 1
        # The failed attempt is not lost (an operator's run: after a retry, history and the
        # JSON showed only the new attempt): its dock status ID, end and error are in the
        # timeline, the journal's too, and so in `history --json`.
        said = f"attempt 1 ended FAILED ({failed.dock_status_id}): {failed.error}"
        assert any(said in (step.detail or "") for step in job_of(engine, job.key).timeline)
        journal = Journal()
        try:
            (row,) = journal.history(with_timelines=True)
        finally:
            journal.close()
        assert any(said in (step["detail"] or "") for step in row.to_json()["timeline"])
    finally:
        await close(engine)
        await sim.stop()
