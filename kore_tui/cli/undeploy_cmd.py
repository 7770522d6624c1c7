"""``kore-tui undeploy``: confirm, send, verify, and (with --wait) track to the end.

Models and tools alike (a paste may mix them). The input, refusal, confirmation and
plan helpers here are shared with ``deploy`` and ``bounce`` (deploy_cmd.py).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from dataclasses import replace
from typing import BinaryIO

from kore_tui.cli import failure
from kore_tui.cli.common import (
    Target,
    dump_json,
    err,
    get_key,
    handle_errors,
    load_target,
)
from kore_tui.cli.exit_codes import EXIT_OK, EXIT_USAGE
from kore_tui.cli.failure import CliError
from kore_tui.cli.session import run_and_report
from kore_tui.core.config import Environment
from kore_tui.core.engine import EngineSettings
from kore_tui.core.ids import ParsedIds, for_undeploy, parse_ids, stray_words
from kore_tui.core.text import inert

_SHOWN_IDS = 10


# What one run reads at most, from each --file or stdin: 256 MiB is millions of IDs. More is
# refused, never cut: cutting dropped the IDs after the limit silently (exit 0), and no
# limit let '--file /dev/zero' take 7.6 GB of memory in 12 s.
MAX_INPUT_BYTES = 256 * 2**20


def read_input(ids: list[str], files: list[str] | None) -> str:
    """The arguments and every --file (in order; '-' is stdin, once)."""
    parts = list(ids)
    files = files or []
    if files.count("-") > 1:
        raise CliError("--file '-' (stdin) given twice: it can be read once")
    for file in files:
        parts.append(_read_bounded(sys.stdin.buffer, "stdin") if file == "-" else _read_file(file))
    return "\n".join(parts)


def _read_file(file: str) -> str:
    try:
        mode = os.stat(file).st_mode
        # A FIFO is read (a shell's <(...) is one); a device or a directory is not a file.
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            kind = "a directory" if stat.S_ISDIR(mode) else "a device or socket"
            raise CliError(
                f"cannot read {inert(file, 200)!r}: it is {kind}, not a file", failure.IO
            )
        with open(file, "rb") as handle:
            return _read_bounded(handle, repr(inert(file, 200)))
    except OSError as exc:
        raise CliError(f"cannot read {inert(file, 200)!r}: {exc.strerror}", failure.IO) from None


def _read_bounded(handle: BinaryIO, name: str) -> str:
    limit = MAX_INPUT_BYTES
    data = handle.read(limit + 1)
    if len(data) > limit:
        size = f"{limit / 2**20:.0f} MiB" if limit >= 2**20 else f"{limit} bytes"
        raise CliError(f"{name} is over {size}: refused, not cut (split it)", failure.IO)
    return data.decode("utf-8", errors="replace")


def parse_input(ids: list[str], file: list[str] | None) -> ParsedIds:
    """The model and tool IDs of the arguments and the file; a plain word among the
    arguments is an invalid token, as a mangled ID is."""
    parsed = for_undeploy(parse_ids(read_input(ids, file)))
    parsed.invalid.extend(stray_words(ids))
    return parsed


def report_invalid(parsed: ParsedIds) -> None:
    for bad in parsed.invalid:
        err(f"invalid: {bad.token!r}: {bad.reason}")


def counts(parsed: ParsedIds) -> str:
    """``2 models and 1 tool``: each kind's count, as the confirmation and plan say it."""
    parts = [
        f"{len(ids)} {kind}{'' if len(ids) == 1 else 's'}"
        for kind, ids in (("model", parsed.model_ids), ("tool", parsed.tool_ids))
        if ids
    ]
    return " and ".join(parts) or "0 models"


def confirm(
    env: Environment,
    parsed: ParsedIds,
    *,
    verb: str = "Undeploy",
    details: list[str] | None = None,
    guard: str | None = None,
) -> bool:
    """Ask on the terminal. A protected environment needs its name typed. ``details``:
    lines shown before the IDs (what a deploy costs). ``guard``: a protected environment
    on the same platform (Config.protected_platform): asked as if this one were."""
    out = sys.stderr
    protected = env.protected or guard is not None
    ids = parsed.resource_ids
    out.write(f"\n{verb} {counts(parsed)} in environment {env.name}{badge(env, guard)}\n")
    out.write(f"  host: {env.host}\n")
    for line in details or []:
        out.write(f"  {line}\n")
    for resource_id in ids[:_SHOWN_IDS]:
        out.write(f"  {resource_id}\n")
    if len(ids) > _SHOWN_IDS:
        out.write(f"  ... and {len(ids) - _SHOWN_IDS} more\n")
    expected = env.name if protected else "yes"
    out.write(f"Type {expected!r} to {verb.lower()}, anything else cancels: ")
    out.flush()
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip() == expected


def refusal(
    parsed: ParsedIds,
    env: Environment,
    *,
    read_only: bool,
    skip_invalid: bool,
    action: str = "undeploy",
    confirm_env: str | None = None,
    yes: bool = False,
    guard: str | None = None,
) -> CliError | None:
    """Why a run with this input must not start, or None. One decision for the real run and
    --dry-run, so that the plan exits with the code the real run would have (a preflight
    '--yes --dry-run' in a protected environment said 'would undeploy', exit 0, where the
    real run is refused). ``guard``: a protected environment on the same platform."""
    if confirm_env is not None and confirm_env != env.name:
        # The script said where it means to act; the flags and config resolved elsewhere.
        return CliError(
            f"this run's environment is {inert(env.name, 40)!r}, not "
            f"{inert(confirm_env, 40)!r} (--confirm-env): nothing was sent",
            failure.CANCELLED,
        )
    if parsed.invalid and not skip_invalid:
        return CliError(
            f"{len(parsed.invalid)} invalid ID-like token(s): a mangled paste is a "
            "warning sign. Fix the input or pass --skip-invalid.",
            failure.INVALID_IDS,
        )
    if not parsed.resource_ids:
        return CliError("no model or tool IDs given (pass them as arguments or with --file)")
    if env.read_only:
        return CliError(
            f"read-only: {action} refused (environment {inert(env.name, 40)!r} is read-only)",
            failure.READ_ONLY,
        )
    if read_only:
        return CliError(f"read-only: {action} refused (--read-only given)", failure.READ_ONLY)
    if yes and (env.protected or guard is not None) and confirm_env is None:
        # On a terminal a protected environment needs its name typed; --yes alone
        # skipped that (a script whose default environment became prod, say).
        what = (
            "is protected"
            if guard is None
            else f"is on the platform of protected {inert(guard, 40)!r}"
        )
        return CliError(
            f"environment {inert(env.name, 40)!r} {what}: --yes needs "
            f"--confirm-env {inert(env.name, 40)} too (the name a terminal asks for); "
            "nothing was sent",
            failure.CANCELLED,
        )
    return None


def badge(env: Environment, guard: str | None) -> str:
    """What guards a run here, as the confirmation and a dry run's plan both name it.
    ``guard``: a protected environment on the same platform (Config.protected_platform)."""
    if guard is not None:
        return f" [PROTECTED: {inert(guard, 40)}'s platform]"
    return " [PROTECTED]" if env.protected else ""


def plan_document(
    env: Environment, parsed: ParsedIds, refused: CliError | None, guard: str | None
) -> dict[str, object]:
    plan: dict[str, object] = {
        "environment": env.name,
        "host": env.host,
        # A real run asks for the environment's typed name (or --confirm-env with --yes).
        "protected": env.protected or guard is not None,
        "protectedPlatform": guard,
        "modelIds": parsed.model_ids,
        "toolIds": parsed.tool_ids,
        "invalid": [{"token": i.token, "reason": i.reason} for i in parsed.invalid],
        "duplicates": parsed.duplicates,
    }
    if refused is not None:  # still one document: the plan, with why it would not run
        plan.update(failure.error_document(refused.code, refused.message))
    return plan


def print_plan(
    env: Environment,
    parsed: ParsedIds,
    as_json: bool,
    refused: CliError | None,
    guard: str | None,
) -> None:
    if as_json:
        dump_json(plan_document(env, parsed, refused, guard))
        return
    print(plan_head(env, "undeploy", parsed, refused, guard))
    for resource_id in parsed.resource_ids:
        print(resource_id)


def plan_head(
    env: Environment,
    action: str,
    parsed: ParsedIds,
    refused: CliError | None,
    guard: str | None,
) -> str:
    """A dry run's first line. A refusal leads it: "would undeploy 3 models" (exit 2, the
    reason on stderr only) read as an approval when the plan was piped into a review. The
    badge says that the real run asks for the environment's name."""
    where = f"environment {inert(env.name, 40)}{badge(env, guard)} ({inert(env.host, 80)})"
    what = f"{action} {counts(parsed)}; {parsed.duplicates} duplicate(s) removed"
    if refused is None:
        return f"{where}: would {what}"
    return f"{where}: REFUSED (exit 2: {refused.message}); with that fixed it would {what}"


def engine_settings(target: Target, args: argparse.Namespace) -> EngineSettings:
    settings = EngineSettings.from_settings(target.config.settings)
    if args.concurrency:
        settings = replace(settings, concurrency=args.concurrency)
    if args.timeout:
        settings = replace(settings, job_timeout=args.timeout)
    return settings


def ask(
    env: Environment,
    parsed: ParsedIds,
    args: argparse.Namespace,
    *,
    verb: str,
    details: list[str] | None = None,
    guard: str | None = None,
) -> None:
    """The operator's confirmation (or --yes, which :func:`refusal` has checked against a
    protected environment); CliError when there is none. ``guard``: a protected
    environment on the same platform (Config.protected_platform)."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise CliError(
            f"refusing to {verb.lower()} without confirmation: not on a terminal "
            "(pass --yes to confirm non-interactively)"
        )
    if not confirm(env, parsed, verb=verb, details=details, guard=guard):
        raise CliError("cancelled; nothing was sent", failure.CANCELLED)


def _run(args: argparse.Namespace) -> int:
    parsed = parse_input(args.ids, args.file)
    target = load_target(args.env)
    env = target.env
    guard = target.config.protected_platform(env)
    refused = refusal(
        parsed,
        env,
        read_only=args.read_only,
        skip_invalid=args.skip_invalid,
        confirm_env=args.confirm_env,
        yes=args.yes,
        guard=guard,
    )
    report_invalid(parsed)
    if args.dry_run:
        print_plan(env, parsed, args.json, refused, guard)
        if refused is not None:
            err(refused.message)  # the JSON document already carries it
            return EXIT_USAGE
        return EXIT_OK
    if refused is not None:
        raise refused
    ask(env, parsed, args, verb="Undeploy", guard=guard)
    key = get_key(env)
    settings = engine_settings(target, args)
    resource_ids = parsed.resource_ids

    return run_and_report(
        env, key, settings, lambda e: e.undeploy(resource_ids), wait=args.wait, as_json=args.json
    )


def run_undeploy(args: argparse.Namespace) -> int:
    return handle_errors(lambda: _run(args), as_json=args.json)
