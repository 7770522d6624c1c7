"""Where in the config's text a problem is (file:line errors), and the deploy profiles.

config.py validates the parsed TOML; this file finds the line a bad value is written
on (tables, sub-tables, inline tables) and validates ``[deploy_profiles.NAME]``.
"""

from __future__ import annotations

import re
from typing import Any

from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams, parse_model_params
from kore_tui.core.text import inert

# config.NAME_PATTERN's rule (importing config from here would be a cycle).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")


class ProfileError(ValueError):
    def __init__(self, reason: str, line: int | None) -> None:
        self.line = line
        super().__init__(reason)


def line_of(text: str, pattern: str) -> int | None:
    regex = re.compile(pattern, re.MULTILINE)
    match = regex.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def table_line(text: str, *names: str) -> int | None:
    """The line of the header ``[a.b.c]`` (names bare or quoted)."""
    dotted = r"[ \t]*\.[ \t]*".join(rf"[\"']?{re.escape(n)}[\"']?" for n in names)
    return line_of(text, rf"^[ \t]*\[[ \t]*{dotted}[ \t]*\]")


def key_line(text: str, after: int | None, key: str) -> int | None:
    """The line of the first ``key =`` from line ``after`` on, inline tables included
    (else ``after`` itself)."""
    if not after:
        return after
    own = line_of(
        "\n".join(text.splitlines()[after - 1 :]), rf"(^|[{{,])[ \t]*{re.escape(key)}[ \t]*="
    )
    return after + own - 1 if own else after


def parse_profiles(text: str, raw: Any) -> dict[str, ModelDeployParams]:
    """Every [deploy_profiles.NAME] table, validated; ProfileError names the line."""
    if not isinstance(raw, dict):
        raise ProfileError("'deploy_profiles' must be a table", line_of(text, r"deploy_profiles"))
    profiles: dict[str, ModelDeployParams] = {}
    for name, table in raw.items():
        header = table_line(text, "deploy_profiles", name)
        if not NAME_PATTERN.fullmatch(name):
            raise ProfileError(
                f"deploy profile name {inert(name, 50)!r} must be 1-40 "
                "letters, digits, '.', '_' or '-'",
                header,
            )
        try:
            profiles[name] = parse_model_params(table, source=f"deploy profile {name!r}")
        except DeployParamsError as exc:
            *group, key = exc.field.split(".") if exc.field else [""]
            line = header
            if group:  # the sub-table's own header, or its inline table's line
                sub = table_line(text, "deploy_profiles", name, group[0])
                line = sub or key_line(text, line, group[0])
            raise ProfileError(str(exc), key_line(text, line, key) if key else line) from None
    return profiles
