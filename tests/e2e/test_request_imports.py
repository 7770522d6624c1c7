"""A request imports nothing.

httpcore tries ``import sniffio`` each time it builds a lock, event or semaphore (several
per request); without sniffio installed each try is a failed import that searches
sys.path again, because Python caches no failed import. That was ~24% of the engine's
CPU per request, so sniffio is a dependency (pyproject.toml). This test sees any import
attempted while requests run, whatever library makes it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

from kore_tui.core.api_client import KoreClient
from kore_tui.core.resources import Action, ResourceKind
from kore_tui.core.secret import Secret
from kore_tui.simulator import Simulator
from tests.conftest import SENTINEL_KEY


class _ImportRecorder(importlib.abc.MetaPathFinder):
    """Sees every import that reaches the finders (one not already in sys.modules)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        self.names.append(fullname)
        return None  # the real finders go on as usual


async def test_requests_to_the_platform_attempt_no_import(sim: Simulator) -> None:
    async with KoreClient(sim.url, Secret(SENTINEL_KEY)) as client:
        warm = await client.start_job(ResourceKind.MODEL, Action.UNDEPLOY, sim.model_ids[0])
        await client.dock_status(warm.dock_status_id)  # first use imports lazily: fine
        recorder = _ImportRecorder()
        sys.meta_path.insert(0, recorder)
        try:
            for model_id in sim.model_ids[1:6]:
                accepted = await client.start_job(ResourceKind.MODEL, Action.UNDEPLOY, model_id)
                await client.dock_status(accepted.dock_status_id)
        finally:
            sys.meta_path.remove(recorder)
    assert recorder.names == [], f"imports attempted on every request: {set(recorder.names)}"
