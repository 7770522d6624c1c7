"""What the platform can deploy and undeploy through kore-tui, and how an ID says which.

One table for the names every layer shares: the engine's jobs, the client's routes,
the simulator and the console all speak of a resource kind and an action with these
values, so a tool never takes a second code path of its own.
"""

from __future__ import annotations

from enum import StrEnum

from kore_tui.core.errors import InvalidIdError

MODEL_PREFIX = "cm-"
TOOL_PREFIX = "a-"


class ResourceKind(StrEnum):
    MODEL = "model"
    TOOL = "tool"


class Action(StrEnum):
    UNDEPLOY = "UNDEPLOY"
    DEPLOY = "DEPLOY"


PREFIXES: dict[ResourceKind, str] = {
    ResourceKind.MODEL: MODEL_PREFIX,
    ResourceKind.TOOL: TOOL_PREFIX,
}
# The dock status answer's ``jobType`` for each kind (the API says MODELS / TOOLS).
JOB_TYPES: dict[ResourceKind, str] = {ResourceKind.MODEL: "MODELS", ResourceKind.TOOL: "TOOLS"}


def resource_kind(resource_id: str) -> ResourceKind:
    """The kind an ID's prefix names (case-insensitive).

    Only the prefix is read: whether the rest is a well-formed UUID is
    :func:`kore_tui.core.ids.path_segment`'s job, which every request goes through.
    """
    lower = resource_id.strip().lower()
    for kind, prefix in PREFIXES.items():
        if lower.startswith(prefix):
            return kind
    shown = resource_id if len(resource_id) <= 60 else resource_id[:59] + "…"
    raise InvalidIdError(f"not a model (cm-) or tool (a-) ID: {shown!r}")
