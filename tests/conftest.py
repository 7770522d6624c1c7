"""Every test runs with its own config, credentials and journal, and a sentinel key.

The sentinel key is the only key any test uses; the autouse ``no_key_in_logs``
fixture fails a test whose log records (at DEBUG, from every library) contain
it, so "the key never reaches a log" is checked across the whole run.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kore_tui.core.secret import Secret
from kore_tui.simulator import SimConfig, Simulator, SimulatorThread
from tests.shared_css import share_parsed_css

SENTINEL_KEY = "kg-SENTINEL-5f3c9e1a-7b2d-4c8e-9a6f-0d1e2f3a4b5c"


_REPO = Path(__file__).resolve().parent.parent


def pytest_collection_finish(session: pytest.Session) -> None:
    """Spare every test the collector's work on objects that live for the whole run.

    After collection a worker holds ~124,000 long-lived objects (Textual, httpx, the test
    modules). CPython's full collections walked all of them again and again: each console
    test builds and drops tens of thousands of objects (an app, its widgets, styles), and
    a worker spent ~5-10 s in the collector (summed over 4 workers: ~27 s of the run's
    wall). ``gc.freeze`` moves what exists now out of the collector's sight, and a larger
    first-generation threshold collects the app's garbage in fewer, larger passes.
    Measured on 2 cores (tests/tui, -n 2, user CPU): 61-67 s as CPython sets it,
    57-62 s frozen, 52-53 s frozen with these thresholds. Cycles are still collected (only
    less often), so a finaliser that fails is still reported by pytest.
    """
    share_parsed_css()  # before the freeze: Textual's modules are loaded by now
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """One full collection at the end of the run instead of five.

    After the last test pytest collects five times in a row (``gc_collect_harder``), so that
    a finaliser that fails is still reported. Each pass walked everything the tests had
    left alive (~0.13 s per worker per pass), in every worker at once, at the very end of
    the run. One collection here runs the same finalisers while pytest's hook still
    records them; freezing what survives it (all of it still reachable) leaves pytest's
    five passes only what is created after this point.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session", autouse=True)
def no_key_in_any_written_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole run: no file any test wrote (journals, exports, configs, logs,
    screenshots), except credentials files, contains the key."""
    yield
    roots = [
        tmp_path_factory.getbasetemp(),
        _REPO / "screenshots",
        _REPO / "tests" / "tui" / "__snapshots__",
    ]
    leaks = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.name != "credentials.toml":
                try:
                    if SENTINEL_KEY.encode() in path.read_bytes():
                        leaks.append(path)
                except OSError:
                    continue
    assert not leaks, f"the API key was written to: {leaks[:5]}"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KORE_TUI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("KORE_TUI_JOURNAL", raising=False)
    for name in ("KORE_HOST", "KORE_API_KEY", "KORE_SIM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


class LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.texts.append(text)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """The root logger runs at DEBUG through a test's setup, call and teardown.

    A fixture cannot set this: pytest's logging plugin (``log_level = "WARNING"``, see
    pyproject.toml) enters each phase with the root at ``min(current, WARNING)`` and puts the
    level it found back when the phase ends, so a level set by a fixture during setup was
    undone before the test body ran, and ``no_key_in_logs`` saw WARNING and up only. Set
    here, around all three phases, the level pytest finds and restores is DEBUG; its own
    handlers still keep WARNING and up (they do not format the DEBUG records)."""
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        return (yield)
    finally:
        root.setLevel(old_level)


@pytest.fixture(autouse=True)
def no_key_in_logs() -> Iterator[LogCollector]:
    root = logging.getLogger()
    collector = LogCollector()
    root.addHandler(collector)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
    leaked = [t for t in collector.texts if SENTINEL_KEY in t]
    assert not leaked, f"the API key reached a log record: {leaked[0][:200]}"


@pytest.fixture
def key() -> Secret:
    return Secret(SENTINEL_KEY)


def sim_config(**overrides: Any) -> SimConfig:
    base: dict[str, Any] = dict(
        api_key=SENTINEL_KEY, models=20, seed=7, job_seconds=(0.2, 0.6), fail_rate=0.0
    )
    base.update(overrides)
    return SimConfig(**base)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(sim_config())
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
def sim_thread() -> Iterator[SimulatorThread]:
    with SimulatorThread(sim_config()) as thread:
        yield thread
