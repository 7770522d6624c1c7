"""One fact, one place: the engine's user-set knobs default to config.Settings' own."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from kore_tui.core.config import Settings
from kore_tui.core.engine import EngineSettings

UI_ONLY = {"theme"}


def engine_view(s: EngineSettings) -> dict[str, Any]:
    """Each config.Settings field the engine uses, as the engine holds it."""
    return {
        "concurrency": s.concurrency,
        "requests_per_second": s.requests_per_second,
        "poll_initial": s.schedule.initial,
        "poll_growth": s.schedule.growth,
        "poll_max": s.schedule.cap,
        "job_timeout": s.job_timeout,
        "not_found_grace": s.not_found_grace,
    }


def test_every_engine_setting_has_the_config_default() -> None:
    defaults = Settings()
    view = engine_view(EngineSettings())
    assert set(view) == {f.name for f in fields(Settings)} - UI_ONLY, (
        "a setting the engine does not map (or a new one to map)"
    )
    assert view == {name: getattr(defaults, name) for name in view}
    assert EngineSettings.from_settings(defaults) == EngineSettings()


def test_from_settings_carries_every_value() -> None:
    custom = Settings(
        concurrency=3,
        requests_per_second=7.0,
        poll_initial=0.5,
        poll_growth=0.3,
        poll_max=9.0,
        job_timeout=60.0,
        not_found_grace=4.0,
    )
    assert engine_view(EngineSettings.from_settings(custom)) == {
        name: getattr(custom, name) for name in engine_view(EngineSettings())
    }


def test_every_numeric_setting_declares_bounds_around_its_default() -> None:
    for f in fields(Settings):
        if f.name in UI_ONLY:
            continue
        low, high = f.metadata["bounds"]
        assert low <= f.default <= high, f.name
