"""Typed answers of the platform calls, tolerant of the documented quirks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kore_tui.core.errors import ResponseFormatError
from kore_tui.core.text import inert

FINAL_SERVER_STATUSES = frozenset({"SUCCESS", "FAILED"})


def _required_str(body: dict[str, Any], *names: str) -> str:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    spelled = " or ".join(repr(n) for n in names)
    present = [name for name in names if name in body]
    if present:
        raise ResponseFormatError(f"field {spelled} is not a non-empty string")
    raise ResponseFormatError(f"response is missing the required field {spelled}")


def _optional_str(body: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = body.get(name)
        if isinstance(value, str):
            return value
    return None


@dataclass(frozen=True)
class AcceptedJob:
    """The answer to any POST that starts a job (deploy or undeploy, model or tool).

    ``resource_id`` is the ``modelId`` or ``toolId`` the server echoed (None if it echoed
    neither); ``job_type`` and ``action`` are the server's values as sent, or None.
    """

    dock_status_id: str
    resource_id: str | None
    job_type: str | None
    action: str | None
    status: str
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, body: Any) -> AcceptedJob:
        if not isinstance(body, dict):
            raise ResponseFormatError(f"expected a JSON object, got {type(body).__name__}")
        # The model samples spell it "dock-statusId", the tool undeploy sample and the
        # field table "dockStatusId": either will do, whichever call answered.
        return cls(
            dock_status_id=_required_str(body, "dock-statusId", "dockStatusId"),
            resource_id=_optional_str(body, "modelId", "toolId"),
            job_type=_optional_str(body, "jobType"),
            action=_optional_str(body, "action"),
            status=inert(_required_str(body, "status"), 40),
            raw=body,
        )


@dataclass(frozen=True)
class DockStatus:
    dock_status_id: str
    tool_id: str | None
    job_type: str | None
    action: str | None
    status: str
    raw: dict[str, Any]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_SERVER_STATUSES

    @classmethod
    def from_json(cls, body: Any) -> DockStatus:
        if not isinstance(body, dict):
            raise ResponseFormatError(f"expected a JSON object, got {type(body).__name__}")
        return cls(
            dock_status_id=_required_str(body, "_id", "dockStatusId", "dock-statusId"),
            tool_id=_optional_str(body, "toolId", "modelId", "resourceId"),
            job_type=_optional_str(body, "jobType"),
            action=_optional_str(body, "action"),
            status=inert(_required_str(body, "status"), 40),
            raw=body,
        )
