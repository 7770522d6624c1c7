"""The console's deploy plan (pure): resolve order, grouping, counts per kind, costs; and
the detail view's deploy parameters."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from kore_tui.core.config import Config, Environment
from kore_tui.core.job import Job, JobState
from kore_tui.tui.deploy_plan_view import kind_counts, plan_deploy
from kore_tui.tui.launch import DEMO_PROFILE_NAME, demo_deploy_config, demo_profile
from kore_tui.tui.screens.detail import detail_text

M1 = "cm-11111111-1111-4111-8111-111111111111"
M2 = "cm-22222222-2222-4222-8222-222222222222"
T1 = "a-33333333-3333-4333-8333-333333333333"
ENV = Environment("dev", "https://dev.example")


def test_kind_counts_name_each_kind() -> None:
    assert kind_counts([M1, T1, M2]) == "2 model(s) and 1 tool(s)"
    assert kind_counts([T1]) == "1 tool(s)"
    assert kind_counts([M1]) == "1 model(s)"


def test_journal_first_then_the_default_profile_and_tools_need_no_form() -> None:
    config = demo_deploy_config(Path("/nonexistent"))
    env = replace(ENV, deploy_profile=DEMO_PROFILE_NAME)
    recorded = replace(demo_profile(), device_type="g6e.xlarge", max_replicas=5)
    plan = plan_deploy([M1, T1, M2], {M1: recorded}, config, env)
    assert plan.models == (M1, M2) and plan.tools == (T1,) and not plan.missing
    costs = plan.cost_lines()
    assert any("g6e.xlarge, 1-5 replicas" in c and "journal" in c for c in costs)
    assert any("g5.xlarge, 1-3 replicas" in c and "demo-gpu" in c for c in costs)
    assert "1 tool(s): asynchronous deploy" in costs
    assert [ids for ids, _ in plan.batches()] == [[M1], [M2], [T1]]


def test_without_record_or_profile_the_models_go_to_the_form() -> None:
    plan = plan_deploy([M1, M2, T1], {}, Config(path=Path("/nonexistent")), ENV)
    assert plan.missing == (M1, M2) and "names no deploy_profile" in plan.missing_reason
    # The form's header named only the last model without parameters.
    assert f"no parameters for 2 models ({M1}, {M2})" in plan.missing_reason
    done = plan.with_params(demo_profile(), "the deploy form")
    assert not done.missing and len(done.groups) == 1
    assert done.groups[0].model_ids == (M1, M2)


def _job(**fields: Any) -> Job:
    base: dict[str, Any] = dict(
        key="k", environment="dev", host="h", origin="sent", model_id=M1, dock_status_id=None
    )
    return Job(**{**base, **fields})


def test_detail_shows_a_deploys_parameters_and_cost() -> None:
    job = _job(state=JobState.QUEUED, action="DEPLOY", params=demo_profile().to_json())
    text = detail_text(job).plain
    assert "Deploy parameters" in text and "g5.xlarge, 1-3 replicas" in text
    assert '"max_replicas": 3' in text


def test_detail_says_a_final_job_is_no_longer_tracked() -> None:
    """ "Tracking yes" on a FAILED or SUCCESS job read as if it were still polled."""
    from dataclasses import replace

    job = _job(
        dock_status_id="ds-00000000-0000-4000-8000-000000000001",
        state=JobState.IN_PROGRESS,
        action="UNDEPLOY",
    )
    assert "Tracking      yes" in detail_text(job).plain
    assert "Tracking      ended (final)" in detail_text(replace(job, state=JobState.FAILED)).plain
    assert "Tracking      stopped" in detail_text(replace(job, tracking=False)).plain


def test_the_form_names_every_bad_field_at_once() -> None:
    from kore_tui.tui.screens.deploy_form import form_problems, form_values

    empty = form_problems({})
    assert [p.field for p in empty] == [
        "model_type",
        "name",
        "device_type",
        "hyper_parameters.temperature",
        "hyper_parameters.max_tokens",
        "hyper_parameters.top_p",
        "hyper_parameters.top_k",
    ]
    good = form_values(demo_profile())
    assert form_problems(good) == []
    crossed = form_problems({**good, "min_replicas": "5", "max_replicas": "2", "top_p": "7"})
    assert [p.field for p in crossed] == [
        "hyper_parameters.top_p",
        "scaling_parameters.min_replicas",
    ]


def test_a_mixed_retry_names_which_ids_are_deployed() -> None:
    """An operator's run: R on 14 FAILED undeploys and 1 FAILED deploy said 'each sends its
    own action again (DEPLOY, UNDEPLOY)' over one flat list: which ID starts paid machines
    was not said."""
    from kore_tui.tui.screens.retry_dialog import retry_dialog

    deploy = _job(key="d", model_id=M2, state=JobState.FAILED, action="DEPLOY")
    deploy = replace(deploy, params=demo_profile().to_json())
    undeploys = [
        _job(key=f"u{i}", model_id=f"cm-{i:08d}-0000-4000-8000-000000000000", state=JobState.FAILED)
        for i in range(3)
    ]
    dialog = retry_dialog(ENV, [*undeploys, deploy], skipped=0, watched=0)
    assert dialog.note is not None
    said = dialog.note.plain
    assert "DEPLOY (1), UNDEPLOY (3): each ID's action is beside it below" in said, said
    # Each ID once, its action beside it, the deploy first (a break-it run: the note named
    # every ID of a short list and the list below named them all again).
    assert M2 not in said
    assert dialog.model_ids[0] == M2 and dialog.tags[M2] == "DEPLOY"
    assert {dialog.tags[m] for m in dialog.model_ids[1:]} == {"UNDEPLOY"}
    alone = retry_dialog(ENV, undeploys, skipped=0, watched=0)
    assert alone.note is not None and "UNDEPLOY (3)" not in alone.note.plain
    assert alone.tags == {}


def test_the_form_says_where_its_values_come_from() -> None:
    """An operator's run: Esc on an empty form, reopened, said "Filled in as entered last"
    over empty fields; a profile picked and not edited was costed "from the deploy form"."""
    from kore_tui.tui.screens.deploy_form import form_source, form_values

    profiles = {"gpu": demo_profile()}
    picked = form_values(demo_profile())
    assert form_source(picked, profiles) == "deploy profile 'gpu' (picked in the form)"
    edited = {**picked, "max_replicas": "7"}
    assert form_source(edited, profiles) == "the deploy form"
