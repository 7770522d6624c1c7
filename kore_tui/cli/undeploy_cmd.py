"""``kore-tui undeploy``: confirm, send, verify, and (with --wait) track to the end."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from kore_tui.cli import failure
from kore_tui.cli.common import (
    dump_json,
    err,
    exit_code_for,
    get_key,
    handle_errors,
    load_target,
    print_jobs,
    run_async,
)
from kore_tui.cli.exit_codes import EXIT_OK, EXIT_USAGE
from kore_tui.cli.failure import CliError
from kore_tui.cli.session import interrupted_hint, run_engine
from kore_tui.core.config import Environment
from kore_tui.core.engine import EngineSettings
from kore_tui.core.ids import ParsedIds, for_undeploy, parse_ids
from kore_tui.core.text import inert

_SHOWN_IDS = 10


def read_input(ids: list[str], file: str | None) -> str:
    parts = list(ids)
    if file == "-":
        parts.append(sys.stdin.read())
    elif file:
        try:
            with open(file, encoding="utf-8", errors="replace") as handle:
                parts.append(handle.read(16 * 1024 * 1024))
        except OSError as exc:
            raise CliError(f"cannot read {inert(file, 200)!r}: {exc.strerror}",
                           failure.IO) from None
    return "\n".join(parts)


def report_invalid(parsed: ParsedIds) -> None:
    for bad in parsed.invalid:
        err(f"invalid: {bad.token!r}: {bad.reason}")


def confirm(env: Environment, model_ids: list[str]) -> bool:
    """Ask on the terminal. A protected environment needs its name typed."""
    out = sys.stderr
    flags = " [PROTECTED]" if env.protected else ""
    out.write(f"\nUndeploy {len(model_ids)} model(s) in environment {env.name}{flags}\n")
    out.write(f"  host: {env.host}\n")
    for model_id in model_ids[:_SHOWN_IDS]:
        out.write(f"  {model_id}\n")
    if len(model_ids) > _SHOWN_IDS:
        out.write(f"  ... and {len(model_ids) - _SHOWN_IDS} more\n")
    expected = env.name if env.protected else "yes"
    out.write(f"Type {expected!r} to undeploy, anything else cancels: ")
    out.flush()
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip() == expected


def refusal(parsed: ParsedIds, env: Environment, *, read_only: bool,
            skip_invalid: bool) -> CliError | None:
    """Why a run with this input must not start, or None. One decision for the real run and
    --dry-run, so that the plan exits with the code the real run would have."""
    if parsed.invalid and not skip_invalid:
        return CliError(f"{len(parsed.invalid)} invalid ID-like token(s): a mangled paste is a "
                        "warning sign. Fix the input or pass --skip-invalid.",
                        failure.INVALID_IDS)
    if not parsed.model_ids:
        return CliError("no model IDs given (pass them as arguments or with --file)")
    if env.read_only:
        return CliError(f"read-only: undeploy refused (environment {inert(env.name, 40)!r} is "
                        "read-only)", failure.READ_ONLY)
    if read_only:
        return CliError("read-only: undeploy refused (--read-only given)", failure.READ_ONLY)
    return None


def print_plan(env: Environment, parsed: ParsedIds, as_json: bool,
               refused: CliError | None) -> None:
    if as_json:
        plan: dict[str, object] = {
            "environment": env.name, "host": env.host, "modelIds": parsed.model_ids,
            "invalid": [{"token": i.token, "reason": i.reason} for i in parsed.invalid],
            "duplicates": parsed.duplicates,
        }
        if refused is not None:  # still one document: the plan, with why it would not run
            plan.update(failure.error_document(refused.code, refused.message))
        dump_json(plan)
        return
    print(f"environment {env.name} ({env.host}): would undeploy "
          f"{len(parsed.model_ids)} model(s); {parsed.duplicates} duplicate(s) removed")
    for model_id in parsed.model_ids:
        print(model_id)


def _run(args: argparse.Namespace) -> int:
    text = read_input(args.ids, args.file)
    parsed = for_undeploy(parse_ids(text))
    target = load_target(args.env)
    env = target.env
    refused = refusal(parsed, env, read_only=args.read_only, skip_invalid=args.skip_invalid)
    report_invalid(parsed)
    if args.dry_run:
        print_plan(env, parsed, args.json, refused)
        if refused is not None:
            err(refused.message)  # the JSON document already carries it
            return EXIT_USAGE
        return EXIT_OK
    if refused is not None:
        raise refused
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("refusing to undeploy without confirmation: not on a terminal "
                           "(pass --yes to confirm non-interactively)")
        if not confirm(env, parsed.model_ids):
            raise CliError("cancelled; nothing was sent", failure.CANCELLED)
    key = get_key(env)
    settings = EngineSettings.from_settings(target.config.settings)
    if args.concurrency:
        settings = replace(settings, concurrency=args.concurrency)
    if args.timeout:
        settings = replace(settings, job_timeout=args.timeout)
    model_ids = parsed.model_ids

    async def main() -> int:
        jobs = await run_engine(env, key, settings, lambda e: e.undeploy(model_ids),
                                wait=args.wait, on_interrupt=interrupted_hint(env))
        print_jobs(jobs, args.json)
        return exit_code_for(jobs, waited=args.wait)

    return run_async(main)


def run_undeploy(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args), as_json=args.json)
