"""Start the console: load config (or start the demo simulator), then run the app."""

from __future__ import annotations

import functools
import secrets
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kore_tui.core.config import (
    Config,
    ConfigError,
    Environment,
    load_config,
    resolve_environment,
)
from kore_tui.core.deploy_params import ModelDeployParams, parse_model_params
from kore_tui.core.secret import Secret
from kore_tui.tui import termination

DEMO_PROFILE_NAME = "demo-gpu"


def demo_profile() -> ModelDeployParams:
    """The demo environment's default deploy profile: undo, redeploy and bounce work at
    once (the demo's models were never deployed through kore-tui, so the journal has
    nothing to reuse), validated like any config's profile."""
    return parse_model_params(
        {
            "model_type": "openSource",
            "name": "demo-deployment",
            "device_type": "g5.xlarge",
            "hyper_parameters": {"temperature": 0.7, "max_tokens": 256, "top_p": 0.9, "top_k": 40},
            "scaling_parameters": {"min_replicas": 1, "max_replicas": 3},
        },
        source=f"deploy profile {DEMO_PROFILE_NAME!r}",
    )


def demo_environment(host: str) -> Environment:
    return Environment(
        "demo", host, colour="magenta", ephemeral=True, deploy_profile=DEMO_PROFILE_NAME
    )


def demo_deploy_config(folder: Path) -> Config:
    """Profiles without a config file: the demo never reads or writes the user's."""
    return Config(
        path=folder / "demo-config.toml", deploy_profiles={DEMO_PROFILE_NAME: demo_profile()}
    )


def demo_paste(model_ids: list[str], tool_ids: Sequence[str] = ()) -> str:
    # A realistic paste: a CSV export with a header, so the parser's feedback shows; the
    # tools come in the middle, as a mixed export would have them.
    rows = [(m, f"demo-model-{i + 1:02d}") for i, m in enumerate(model_ids)]
    middle = len(rows) // 2
    rows[middle:middle] = [(t, f"demo-tool-{i + 1:02d}") for i, t in enumerate(tool_ids)]
    lines = ["id,name,status"] + [f"{value},{name},DEPLOYED" for value, name in rows]
    return "\n".join(lines) + "\n"


def launch(env_name: str | None, read_only: bool, demo: bool) -> int:
    from kore_tui.tui.app import KoreApp

    if demo:
        from kore_tui.simulator import SimulatorThread
        from kore_tui.simulator.demo import demo_sim_config

        key = Secret("kg-demo-" + secrets.token_hex(16))
        sim = SimulatorThread(demo_sim_config(key.reveal())).start()
        try:
            with (
                tempfile.TemporaryDirectory(prefix="kore-tui-demo-") as tmp,
                termination.cleaned_up_on_forced_exit(
                    functools.partial(shutil.rmtree, tmp, ignore_errors=True)
                ),
            ):
                app = KoreApp(
                    config=None,
                    env=demo_environment(sim.url),
                    read_only=read_only,
                    key=key,
                    journal_path=Path(tmp) / "demo-journal.sqlite3",
                    prefill=demo_paste(sim.model_ids, sim.tool_ids),
                    deploy_config=demo_deploy_config(Path(tmp)),
                )
                app.run()
        finally:
            sim.stop()
        if left := sum(app.left_unfinished().values()):
            # Nothing to resume (the demo's platform and journal end with it), but quitting
            # with jobs running printed nothing at all.
            print(
                f"kore-tui: the demo closed with {left} job(s) not final; its simulator and "
                "journal ended with it.",
                file=sys.stderr,
            )
        return app.return_code or 0
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"kore-tui: {exc}\n(the file was not changed)", file=sys.stderr)
        return 2
    chosen: Environment | None = None
    try:
        chosen = resolve_environment(config, env_name)
    except ConfigError as exc:
        if env_name:
            print(f"kore-tui: {exc}", file=sys.stderr)
            return 2
    app = KoreApp(config=config, env=chosen, read_only=read_only)
    app.run()
    hints = app.resume_hints()
    if hints:
        print(
            "kore-tui: some jobs were not final when the console closed; follow them with:",
            file=sys.stderr,
        )
        for hint in hints:
            print(f"  {hint}", file=sys.stderr)
    # Not 0 whatever happened: SIGTERM is 143, an error Textual caught is 1.
    return app.return_code or 0
