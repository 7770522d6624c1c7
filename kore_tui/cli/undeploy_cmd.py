"""``kore-tui undeploy``: confirm, send, verify, and (with --wait) track to the end."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from kore_tui.cli.common import (
    UsageError,
    dump_json,
    err,
    exit_code_for,
    get_key,
    handle_errors,
    load_target,
    print_jobs,
    run_async,
)
from kore_tui.cli.main import EXIT_OK, EXIT_USAGE
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
            raise UsageError(f"cannot read {inert(file, 200)!r}: {exc.strerror}") from None
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


def _run(args: argparse.Namespace) -> int:
    text = read_input(args.ids, args.file)
    parsed = for_undeploy(parse_ids(text))
    target = load_target(args.env)
    env = target.env
    if args.dry_run:
        if args.json:
            dump_json({
                "environment": env.name, "host": env.host, "modelIds": parsed.model_ids,
                "invalid": [{"token": i.token, "reason": i.reason} for i in parsed.invalid],
                "duplicates": parsed.duplicates,
            })
        else:
            print(f"environment {env.name} ({env.host}): would undeploy "
                  f"{len(parsed.model_ids)} model(s); {parsed.duplicates} duplicate(s) removed")
            for model_id in parsed.model_ids:
                print(model_id)
            report_invalid(parsed)
        return EXIT_OK
    if parsed.invalid:
        report_invalid(parsed)
        if not args.skip_invalid:
            err(f"{len(parsed.invalid)} invalid ID-like token(s): a mangled paste is a warning "
                "sign. Fix the input or pass --skip-invalid.")
            return EXIT_USAGE
    if not parsed.model_ids:
        raise UsageError("no model IDs given (pass them as arguments or with --file)")
    if env.read_only:
        raise UsageError(f"environment {env.name!r} is read-only: undeploy refused")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to undeploy without confirmation: not on a terminal "
                             "(pass --yes to confirm non-interactively)")
        if not confirm(env, parsed.model_ids):
            err("cancelled; nothing was sent")
            return EXIT_USAGE
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
    return handle_errors(lambda: _run(args))
