"""Fault profiles: how often the fake platform misbehaves, and how."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class FaultProfile:
    name: str = "none"
    # Refusals before the request is processed (safe to re-send only for 429).
    rate_limited: float = 0.0
    server_error: float = 0.0
    gateway_html: float = 0.0
    drop_before: float = 0.0
    slow: float = 0.0
    # Damage after the request was processed (the undeploy happened!).
    drop_after: float = 0.0
    malformed_json: float = 0.0
    empty_body: float = 0.0
    # Per job.
    fresh_not_found: float = 0.0
    unknown_status: float = 0.0
    # Shapes.
    alternate_envelopes: bool = False
    retry_after_seconds: float = 1.0
    slow_seconds: tuple[float, float] = (0.3, 1.2)

    def scaled(self, factor: float) -> FaultProfile:
        changes = {
            f.name: min(1.0, getattr(self, f.name) * factor)
            for f in fields(self)
            if isinstance(getattr(self, f.name), float) and f.name not in {"retry_after_seconds"}
        }
        return replace(self, **changes)


PROFILES = {
    "none": FaultProfile(),
    "flaky": FaultProfile(name="flaky", rate_limited=0.03, server_error=0.03, slow=0.03),
    "chaos": FaultProfile(
        name="chaos",
        rate_limited=0.05,
        server_error=0.04,
        gateway_html=0.03,
        drop_before=0.02,
        slow=0.04,
        drop_after=0.02,
        malformed_json=0.02,
        empty_body=0.02,
        fresh_not_found=0.2,
        unknown_status=0.05,
        alternate_envelopes=True,
    ),
}


def profile_named(name: str, scale: float | None = None) -> FaultProfile:
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown fault profile {name!r} (choose {', '.join(PROFILES)})") from None
    return profile.scaled(scale) if scale is not None else profile
