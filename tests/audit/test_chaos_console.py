"""The console under chaos (a smaller run of benchmarks/chaos_console.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

# Pilot waits for the UI thread to be idle, not the whole process (engine, simulator).
from tests.tui.conftest import _idle_means_the_ui_thread  # noqa: F401

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos_console.py"


@pytest.fixture
def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chaos_console", _PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_console_under_chaos_ends_every_job_without_duplicates(harness: ModuleType) -> None:
    # Jobs (and polls) at half length: the same polls and faults per job in half the time.
    result = await harness.run(300, timeout=120, time_scale=0.5)
    assert result["all_final"], result
    assert result["final_without_reason"] == 0
    assert result["models_with_duplicate_post"] == 0
    assert result["unexpected_engine_errors"] == 0
    assert result["engine_threads_left"] == []
    assert sum(result["journal_states"].values()) == 300
