"""The one way the CLI and the console build an environment's API client."""

from __future__ import annotations

from kore_tui.core.api_client import DEFAULT_BUDGET, KoreClient, ssl_context
from kore_tui.core.config import Environment
from kore_tui.core.engine import EngineSettings
from kore_tui.core.secret import Secret


def client_for(env: Environment, key: Secret, settings: EngineSettings) -> KoreClient:
    """A client for ``env``: its CA bundle, a connection per request slot, and a per-request
    budget no longer than a job's deadline (a request can then never outlive its job)."""
    return KoreClient(
        env.host,
        key,
        max_connections=settings.concurrency + 4,
        budget=min(DEFAULT_BUDGET, settings.job_timeout),
        verify=ssl_context(env.ca_bundle),
    )
