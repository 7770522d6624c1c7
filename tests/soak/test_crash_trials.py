"""Soak: 10 kill -9 trials per interface (CLI, console) during 500 undeploys.

Not in the default run (about 3 minutes): ``python -m pytest -m soak tests/soak``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "crash_trials.py"


@pytest.mark.soak
def test_kill_9_trials_lose_nothing_and_re_post_nothing() -> None:
    spec = importlib.util.spec_from_file_location("crash_trials", _PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(10)
    assert result["total_dispatched"] > 0
    assert result["total_lost"] == 0
    assert result["total_unfinished"] == 0
    assert result["total_re_posted"] == 0
    assert result["total_posted_without_journal"] == 0
