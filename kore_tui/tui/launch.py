"""Start the console: load config (or start the demo simulator), then run the app."""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path

from kore_tui.core.config import ConfigError, Environment, load_config, resolve_environment
from kore_tui.core.secret import Secret

DEMO_MODELS = 24


def _demo_paste(model_ids: list[str]) -> str:
    # A realistic paste: a CSV export with a header, so the parser's feedback shows.
    lines = ["modelId,name,status"]
    lines += [f"{m},demo-model-{i + 1:02d},DEPLOYED" for i, m in enumerate(model_ids)]
    return "\n".join(lines) + "\n"


def launch(env_name: str | None, read_only: bool, demo: bool) -> int:
    from kore_tui.tui.app import KoreApp

    if demo:
        from kore_tui.simulator import SimConfig, SimulatorThread

        key = Secret("kg-demo-" + secrets.token_hex(16))
        sim = SimulatorThread(SimConfig(api_key=key.reveal(), models=DEMO_MODELS, seed=2026,
                                        job_seconds=(3.0, 15.0), fail_rate=0.15)).start()
        try:
            with tempfile.TemporaryDirectory(prefix="kore-tui-demo-") as tmp:
                env = Environment("demo", sim.url, colour="magenta", ephemeral=True)
                app = KoreApp(config=None, env=env, read_only=read_only, key=key,
                              journal_path=Path(tmp) / "demo-journal.sqlite3",
                              prefill=_demo_paste(sim.model_ids))
                app.run()
        finally:
            sim.stop()
        return 0
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
        print("kore-tui: some jobs were not final when the console closed; "
              "follow them with:", file=sys.stderr)
        for hint in hints:
            print(f"  {hint}", file=sys.stderr)
    return 0
