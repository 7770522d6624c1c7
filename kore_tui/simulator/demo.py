"""The demo's platform: one definition for the terminal demo (``kore-tui --demo``,
tui/launch.py) and the browser demo (``kore-tui serve --demo``, cli/serve_cmd.py), so
both tours show the same models, tools, job lengths and failures."""

from __future__ import annotations

from kore_tui.simulator.server import SimConfig

DEMO_MODELS = 24
DEMO_TOOLS = 6  # the paste mixes both kinds, as a real export would


def demo_sim_config(api_key: str) -> SimConfig:
    # Jobs of 3-15 s: long enough to watch live, short enough for a one-minute tour;
    # 15% fail so retry and the problems view have something to show.
    return SimConfig(
        api_key=api_key,
        models=DEMO_MODELS,
        seed=2026,
        job_seconds=(3.0, 15.0),
        fail_rate=0.15,
        tools=DEMO_TOOLS,
    )
