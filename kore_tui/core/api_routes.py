"""The table of job-starting POSTs: which path, body and query each (resource, action) takes.

Everything here is checked before a byte is sent, so a malformed call raises ValueError
and never reaches the network.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kore_tui.core.resources import Action, ResourceKind


@dataclass(frozen=True)
class Route:
    """How one (kind, action) is sent: path, whether it carries a JSON body, its query keys."""

    collection: str
    verb: str
    has_body: bool
    query_keys: frozenset[str] = frozenset()


ROUTES: dict[tuple[ResourceKind, Action], Route] = {
    (ResourceKind.MODEL, Action.UNDEPLOY): Route("models", "undeploy", has_body=False),
    # modelType (openSource | fineTune) is required by the platform, in the query string.
    (ResourceKind.MODEL, Action.DEPLOY): Route(
        "models", "deploy", has_body=True, query_keys=frozenset({"modelType"})
    ),
    (ResourceKind.TOOL, Action.UNDEPLOY): Route("tools", "undeploy", has_body=False),
    (ResourceKind.TOOL, Action.DEPLOY): Route("tools", "deploy", has_body=True),
}


def route_for(resource: str, action: str) -> Route:
    try:
        return ROUTES[(ResourceKind(resource), Action(action))]
    except ValueError:
        raise ValueError(
            f"unknown job {resource!r}/{action!r}: resource is one of "
            f"{', '.join(ResourceKind)}, action one of {', '.join(Action)}"
        ) from None


def encode_body(route: Route, body: Mapping[str, Any] | None) -> bytes | None:
    """The JSON bytes of a POST body; refuses a body the call does not take, or lacks."""
    if not route.has_body:
        if body is not None:
            raise ValueError(f"{route.collection} {route.verb} takes no body")
        return None
    if body is None:
        raise ValueError(f"{route.collection} {route.verb} needs a JSON body")
    try:
        # allow_nan=False: NaN/Infinity are not JSON, and a server may read them as anything.
        return json.dumps(dict(body), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{route.collection} {route.verb} body is not JSON: {exc}") from None


def check_query(route: Route, query: Mapping[str, str] | None) -> dict[str, str] | None:
    given = dict(query or {})
    if set(given) != route.query_keys:
        wanted = ", ".join(sorted(route.query_keys)) or "no query"
        raise ValueError(
            f"{route.collection} {route.verb} takes {wanted}, "
            f"got {', '.join(sorted(given)) or 'none'}"
        )
    for key, value in given.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"query {key} must be a non-empty string")
    return given or None
