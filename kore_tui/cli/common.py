"""Shared plumbing of the headless commands: environment, key, engine, exit code, output."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from kore_tui.cli import failure
from kore_tui.cli.exit_codes import (
    EXIT_AUTH,
    EXIT_DEADLINE,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNKNOWN,
    EXIT_USAGE,
)
from kore_tui.cli.failure import CliError
from kore_tui.core.config import Config, ConfigError, Environment, load_config, resolve_environment
from kore_tui.core.deploy_params import DeployParamsError
from kore_tui.core.deploy_plan import UnknownProfileError
from kore_tui.core.errors import InsecureHostError, KoreError
from kore_tui.core.job import Job, JobState
from kore_tui.core.keys import CredentialsFileError, KeyUnavailableError, resolve_key
from kore_tui.core.secret import Secret
from kore_tui.core.store import JobStore
from kore_tui.core.text import inert

UsageError = CliError  # the name tests and older callers import


@dataclass
class Target:
    config: Config
    env: Environment


def err(message: str) -> None:
    print(f"kore-tui: {message}", file=sys.stderr)


def load_target(env_name: str | None) -> Target:
    config = load_config()
    env = resolve_environment(config, env_name)
    if env_name is None and config.default and os.environ.get("KORE_HOST"):
        # The documented order (--env, the default, then KORE_HOST) sent a run meant for the
        # platform in KORE_HOST to the default environment, without a word.
        err(
            f"KORE_HOST is set but not used: the default environment {inert(env.name, 40)!r} "
            f"({inert(env.host, 80)}) is; pass --env NAME to choose"
        )
    return Target(config, env)


def tty_prompt(env: Environment) -> Secret | None:
    if not sys.stdin.isatty():
        return None
    import getpass  # termios: only when there is a terminal to ask on

    value = getpass.getpass(f"API key for {env.name} ({env.host}): ")
    return Secret(value) if value.strip() else None


def get_key(env: Environment) -> Secret:
    key, _source = resolve_key(env, prompt=tty_prompt)
    return key


def exit_code_for(jobs: Iterable[Job], *, waited: bool) -> int:
    """The most severe code that applies (product contract: 3 > 2 > 5 > 4 > 1 > 0)."""
    states = list(jobs)
    if any(j.error_kind == "auth" for j in states):
        return EXIT_AUTH
    if any(j.state is JobState.UNKNOWN for j in states):
        return EXIT_UNKNOWN
    not_final = [j for j in states if not j.is_final]
    if any(j.state is JobState.TIMED_OUT for j in states) or (waited and not_final):
        return EXIT_DEADLINE
    if any(j.state in {JobState.FAILED, JobState.ERROR} or j.redeploy_missing for j in states):
        return EXIT_FAILED
    return EXIT_OK


def summary(jobs: Iterable[Job]) -> str:
    counts: dict[str, int] = {}
    items = list(jobs)
    for job in items:
        # A bounce that left its model down is SUCCESS in state only: "10 SUCCESS" hid that
        # 7 of 10 models were left undeployed.
        label = "SUCCESS (no redeploy)" if job.redeploy_missing else job.state.value
        counts[label] = counts.get(label, 0) + 1
    final = sum(1 for j in items if j.is_final)
    parts = [f"{n} {s}" for s, n in sorted(counts.items())]
    return f"{final}/{len(items)} final: " + ", ".join(parts)


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, every 5 s otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        # sys.stderr as it is now, not as it was when this module was imported.
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last = 0.0
        self._line = ""  # the last line written

    def update(self, jobs: list[Job], force: bool = False) -> None:
        now = time.monotonic()
        every = 0.5 if self.tty else 5.0
        if not force and now - self._last < every:
            return
        self._last = now
        line = f"[{now - self.started:5.0f}s] {summary(jobs)}"
        if line == self._line:
            return  # a run that ends at its first look printed its one line twice
        self._line = line
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def job_document(job: Job) -> dict[str, Any]:
    """One job as ``--json`` prints it (product contract, see Job.to_json): ``kind`` is
    model/tool, ``action`` UNDEPLOY/DEPLOY, ``origin`` sent/watch."""
    return job.to_json()


def print_jobs(
    jobs: list[Job], as_json: bool, out: TextIO | None = None, *, with_time: bool = False
) -> None:
    """Every field may hold server text: each one is made inert here, whatever the engine
    already did (JSON escapes control and non-ASCII characters on its own)."""
    out = out or sys.stdout
    if as_json:
        json.dump({"jobs": [job_document(j) for j in jobs]}, out, indent=2)
        out.write("\n")
        return
    for job in jobs:
        error = f"  {inert(job.error, 200)}" if job.error else ""
        when = (
            f"{inert(job.created_at, 30)}  {inert(job.environment, 20):<12} " if with_time else ""
        )
        out.write(
            f"{when}{inert(job.status_label, 40):<12} {inert(job.action, 12):<8} "
            f"{inert(job.model_id or '-', 60):<39} "
            f"{inert(job.dock_status_id or '-', 60):<39}{error}\n"
        )


def with_second_halves(store: JobStore, keys: set[str]) -> set[str]:
    """``keys`` and the redeploys of the bounces among them (they appear later)."""
    return keys | {j.key for j in store.snapshot() if j.parent in keys}


async def track(
    store: JobStore,
    keys: set[str],
    until: Callable[[list[Job]], bool],
    progress: Progress | None,
) -> list[Job]:
    """Poll the store (not the network) until ``until`` holds for our jobs (a bounce's
    redeploy counts as ours as soon as it exists)."""
    import asyncio  # here: history and env print jobs from this module without a loop

    while True:
        current = with_second_halves(store, keys)
        jobs = [j for j in store.snapshot() if j.key in current]
        if progress:
            progress.update(jobs)
        if until(jobs):
            if progress:
                progress.update(jobs, force=True)
                progress.done()
            return jobs
        await asyncio.sleep(0.05)


def run_async(main: Callable[[], Awaitable[int]]) -> int:
    import asyncio

    try:
        return asyncio.run(main())  # type: ignore[arg-type]
    except KeyboardInterrupt:
        return 130


def classify(exc: BaseException) -> tuple[str, str] | None:
    """(error code, message) of an exit-2 failure; None for anything else."""
    if isinstance(exc, CliError):
        return exc.code, exc.message
    if isinstance(exc, ConfigError | InsecureHostError):
        return failure.CONFIG, str(exc)
    if isinstance(exc, KeyUnavailableError | CredentialsFileError):
        return failure.KEY, str(exc)
    if isinstance(exc, DeployParamsError | UnknownProfileError):
        return failure.PARAMS, str(exc)
    from kore_tui.core.journal import JournalError  # only once something failed

    if isinstance(exc, JournalError):  # a folder, garbage or a full disk where it should be
        return failure.IO, str(exc)
    if isinstance(exc, KoreError):
        return failure.USAGE, str(exc)
    if isinstance(exc, OSError):  # unreadable file, full disk, symlinked config...
        return failure.IO, inert(str(exc), 400)
    return None


def handle_errors(fn: Callable[[], int], *, as_json: bool = False) -> int:
    """Run a command; an expected failure is exit 2 with its message on stderr and, under
    ``--json``, one ``{"error": ...}`` document on stdout."""
    try:
        return fn()
    except BrokenPipeError:
        raise  # the reader went away: not an error to report (to it), see cli.main
    except (KoreError, CliError, OSError) as exc:
        code, message = classify(exc) or (failure.USAGE, str(exc))
        failure.report(code, message, as_json=as_json)
        return EXIT_USAGE


def dump_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2)
    sys.stdout.write("\n")
