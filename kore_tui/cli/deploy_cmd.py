"""``kore-tui deploy`` and ``kore-tui bounce``: the same input, confirmation and engine
as ``undeploy``, plus the deploy parameters and what they cost.

A model's parameters come from deploy_plan (``--profile``, else the journal's record of
its last deploy or bounce through kore-tui, else the environment's ``deploy_profile``), with
``--model-type``/``--name`` on top; a model without any is refused before anything is
sent, saying which flag or profile is missing. A tool deploy sends ``{"isAsync": true}``
unless ``--sync``.
"""

from __future__ import annotations

import argparse
from typing import Any

from kore_tui.cli import failure
from kore_tui.cli.common import (
    dump_json,
    err,
    get_key,
    handle_errors,
    load_target,
)
from kore_tui.cli.exit_codes import EXIT_OK, EXIT_USAGE
from kore_tui.cli.failure import CliError
from kore_tui.cli.session import run_and_report
from kore_tui.cli.undeploy_cmd import (
    ask,
    engine_settings,
    parse_input,
    plan_document,
    plan_head,
    refusal,
    report_invalid,
)
from kore_tui.core.config import Config, Environment
from kore_tui.core.deploy_params import DeployParams, ModelDeployParams, ToolDeployParams
from kore_tui.core.deploy_plan import no_params_reason, resolve_model_params
from kore_tui.core.engine import Engine
from kore_tui.core.ids import ParsedIds
from kore_tui.core.job import Job
from kore_tui.core.journal import Journal

# One plan entry: the models that share parameters, the parameters, and where they came from.
Group = tuple[list[str], ModelDeployParams, str]


def _recorded(env: Environment, model_ids: list[str]) -> dict[str, ModelDeployParams]:
    """What the journal recorded for each model's last deploy through kore-tui."""
    journal = Journal()
    try:
        found: dict[str, ModelDeployParams] = {}
        for model_id in model_ids:
            job = journal.last_deploy(env.host, model_id)
            if job is not None and job.params is not None:
                try:
                    found[model_id] = ModelDeployParams.from_json(job.params)
                except ValueError:
                    continue  # a record that no longer passes the checks is not reused
        return found
    finally:
        journal.close()


def plan_groups(
    config: Config, env: Environment, parsed: ParsedIds, args: argparse.Namespace
) -> list[Group]:
    """Parameters per model, grouped; CliError naming what is missing for any model."""
    overrides = {"model_type": args.model_type, "name": args.name}
    recorded = _recorded(env, parsed.model_ids) if parsed.model_ids else {}
    groups: dict[ModelDeployParams, Group] = {}
    missing: list[str] = []
    for model_id in parsed.model_ids:
        params, source = resolve_model_params(
            model_id, recorded.get(model_id), config, env, args.profile, overrides
        )
        if params is None:
            missing.append(model_id)
        else:
            groups.setdefault(params, ([], params, source))[0].append(model_id)
    if missing:
        raise CliError(
            f"{no_params_reason(missing, env)}: pass --profile NAME (a "
            f"[deploy_profiles.NAME] table in {config.path}) or set deploy_profile for the "
            "environment",
            failure.PARAMS,
        )
    return list(groups.values())


def cost_lines(groups: list[Group], parsed: ParsedIds, sync: bool) -> list[str]:
    """What the confirmation shows besides the IDs: what each deployment costs."""
    lines = [
        f"cost: {params.cost_summary()} for {len(ids)} model(s) "
        f"({params.model_type}, name {params.name!r}; from {source})"
        for ids, params, source in groups
    ]
    if parsed.tool_ids:
        lines.append(f"tools: {'synchronous' if sync else 'asynchronous'} deploy")
    return lines


def _plan_json(
    env: Environment,
    parsed: ParsedIds,
    groups: list[Group],
    args: argparse.Namespace,
    refused: CliError | None,
    action: str,
    guard: str | None,
) -> dict[str, Any]:
    plan = plan_document(env, parsed, refused, guard)
    plan["action"] = action
    plan["deploy"] = [
        {
            "modelIds": ids,
            "modelType": params.model_type,
            "body": params.body(),
            "cost": params.cost_summary(),
            "source": source,
        }
        for ids, params, source in groups
    ]
    plan["toolBody"] = ToolDeployParams(is_async=not args.sync).body()
    return plan


def _run(args: argparse.Namespace, *, bounce: bool) -> int:
    action, verb = (
        ("bounce", "Bounce (undeploy, then redeploy)") if bounce else ("deploy", "Deploy")
    )
    parsed = parse_input(args.ids, args.file)
    target = load_target(args.env)
    env = target.env
    guard = target.config.protected_platform(env)
    refused = refusal(
        parsed,
        env,
        read_only=args.read_only,
        skip_invalid=args.skip_invalid,
        action=action,
        confirm_env=args.confirm_env,
        yes=args.yes,
        guard=guard,
    )
    report_invalid(parsed)
    groups: list[Group] = []
    if refused is None or refused.code == failure.READ_ONLY:
        try:
            groups = plan_groups(target.config, env, parsed, args)
        except CliError as exc:
            refused = refused or exc
    tool = ToolDeployParams(is_async=not args.sync)
    if args.dry_run:
        if args.json:
            dump_json(_plan_json(env, parsed, groups, args, refused, action.upper(), guard))
        else:
            print(plan_head(env, action, parsed, refused, guard))
            for line in cost_lines(groups, parsed, args.sync):
                print(line)
            for resource_id in parsed.resource_ids:
                print(resource_id)
        if refused is not None:
            err(refused.message)
            return EXIT_USAGE
        return EXIT_OK
    if refused is not None:
        raise refused
    ask(env, parsed, args, verb=verb, details=cost_lines(groups, parsed, args.sync), guard=guard)
    key = get_key(env)
    settings = engine_settings(target, args)

    def start(engine: Engine) -> list[Job]:
        send = engine.bounce if bounce else engine.deploy
        jobs: list[Job] = []
        for ids, params, _source in groups:
            jobs += send(ids, DeployParams(model=params, tool=tool))
        if parsed.tool_ids:
            jobs += send(parsed.tool_ids, DeployParams(tool=tool))
        return jobs

    return run_and_report(env, key, settings, start, wait=args.wait, as_json=args.json)


def run_deploy(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args, bounce=False), as_json=args.json)


def run_bounce(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args, bounce=True), as_json=args.json)
