"""One job: every field, the raw last response, and the timeline of transitions."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from kore_tui.core.deploy_params import DeployParamsError, ModelDeployParams
from kore_tui.core.job import Job
from kore_tui.core.text import inert
from kore_tui.tui.screens.dialog import Dialog
from kore_tui.tui.widgets.job_columns import STATE_STYLES


def _bounce(job: Job) -> str | None:
    if job.then:
        return f"first half: {job.then} follows once this undeploy is verified SUCCESS"
    if job.parent:
        # Not the undeploy's job key: an internal handle that no other view shows.
        return "second half: the redeploy, sent once this resource's undeploy was verified SUCCESS"
    if job.bounce_stopped:
        return "first half of a bounce that stopped: the redeploy was not sent (Error says why)"
    return None


def params_text(params: dict[str, Any]) -> Text:
    """A deploy's recorded parameters: what it costs first, then every field."""
    text = Text()
    try:
        summary = ModelDeployParams.from_json(params).cost_summary()
    except DeployParamsError:
        summary = None  # a tool's ({"is_async": …}) or a record that no longer validates
    if summary:
        text.append(f"{'Cost':<14}", style="bold")
        text.append(inert(summary, 200) + "\n")
    raw = json.dumps(params, indent=2, ensure_ascii=False)[:4000]
    for line in raw.splitlines()[:80]:
        text.append(inert(line, 300) + "\n")
    return text


_LABEL = 14  # "Server status " and every value after it


def hanging(value: str, width: int | None, indent: int) -> str:
    """``value`` wrapped to ``width`` cells, its next lines indented by ``indent``: a
    wrapped value went on at the first column, under the labels, and read as one."""
    if width is None or width - indent < 20:
        return value
    lines = textwrap.wrap(value, width - indent, break_on_hyphens=False) or [value]
    return ("\n" + " " * indent).join(lines)


def detail_text(job: Job, width: int | None = None) -> Text:
    """Every field of ``job``; given the ``width`` it is shown at, long values wrap
    under their own column."""
    text = Text()
    fields = [
        ("Resource", job.model_id),
        ("Kind", job.resource),
        ("Dock status", job.dock_status_id),
        ("Environment", job.environment),
        ("Host", job.host),
        ("Action", job.action),
        ("Origin", job.origin),
        ("Bounce", _bounce(job)),
        ("Job type", job.job_type),
        ("Server status", job.server_status),
        ("Error", job.error),
        ("HTTP status", job.http_status),
        ("Attempts", job.attempts),
        ("Polls", job.polls),
        # "yes" on a final job read as if it were still being polled.
        ("Tracking", "ended (final)" if job.is_final else "yes" if job.tracking else "stopped"),
        ("Created", job.created_at),
        # A watched job was submitted elsewhere, at a time no answer tells.
        ("Watched since" if job.origin == "watch" else "Submitted", job.submitted_at),
        ("Updated", job.updated_at),
        ("Last checked", job.last_checked_at),
    ]
    text.append("Status        ", style="bold")
    text.append(
        job.status_label + ("  (stale)" if job.stale else ""), style=STATE_STYLES.get(job.state)
    )
    text.append("\n")
    for label, value in fields:
        text.append(f"{label:<{_LABEL}}", style="bold")
        text.append(hanging(inert(value if value is not None else "-", 600), width, _LABEL))
        text.append("\n")
    if job.params:
        text.append("\nDeploy parameters\n", style="bold underline")
        text.append_text(params_text(job.params))
    text.append("\nLast response\n", style="bold underline")
    if job.last_response is None:
        said = "(none: no dock status was read)" if job.is_final else "(none yet)"
        text.append(f"{said}\n", style="dim")
    else:
        raw = json.dumps(job.last_response, indent=2, ensure_ascii=False)[:8000]
        for line in raw.splitlines()[:200]:
            text.append(inert(line, 300) + "\n")
    text.append("\nTimeline\n", style="bold underline")
    for t in job.timeline:
        start = len(text.plain)
        text.append(f"{t.at}  ", style="dim")
        text.append(f"{t.state.value:<12}", style=STATE_STYLES.get(t.state))
        if t.http_status and not (t.detail or "").startswith(f"HTTP {t.http_status}"):
            text.append(f" HTTP {t.http_status}", style="dim")  # else the detail says it
        if t.detail:
            text.append("  ")
            # Wrapped under the timestamp's end: the state column stays readable down
            # the timeline, and the detail no longer restarts at the first column.
            step = len(text.plain) - start
            first = width - step if width is not None else None
            detail = inert(t.detail, 300)
            if first is not None and first >= 20 and len(detail) > first:
                head, _, rest = _split_at(detail, first)
                text.append(head + "\n" + " " * len(t.at) + "  ")
                detail = hanging(rest, width, len(t.at) + 2)
            text.append(detail)
        text.append("\n")
    return text


def _split_at(value: str, width: int) -> tuple[str, str, str]:
    """The longest head of ``value`` that fits ``width`` at a space (else cut there)."""
    cut = value.rfind(" ", 0, width + 1)
    if cut <= 0:
        return value[:width], "", value[width:]
    return value[:cut], " ", value[cut + 1 :]


class JobDetail(Dialog[None]):
    AUTO_FOCUS = "*"  # its scroll container: the arrows and PageUp/PageDown scroll it
    BINDINGS = [Binding("escape,q,enter", "close", "Close")]

    def __init__(self, job: Job, latest: Callable[[], Job | None] | None = None) -> None:
        super().__init__()
        self.job = job
        self._latest = latest

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog tall"):
            yield _DetailBody(self.job)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_title = "Job detail (Esc to close)"
        if self._latest is not None:
            self.set_interval(1.0, self._refresh_job)

    def _refresh_job(self) -> None:
        """Stay live while open: the job keeps changing under the operator's eyes."""
        assert self._latest is not None
        job = self._latest()
        if job is not None and job != self.job:
            self.job = job
            self.query_one(_DetailBody).show(job)

    def action_close(self) -> None:
        self.dismiss(None)


class _DetailBody(Static):
    """The detail text, wrapped for the width it has (again when that changes)."""

    def __init__(self, job: Job) -> None:
        super().__init__(detail_text(job), id="detail")
        self.job = job
        self._width: int | None = None

    def show(self, job: Job) -> None:
        self.job = job
        self.update(detail_text(job, self._width))

    def on_resize(self) -> None:
        width = self.content_region.width or None
        if width != self._width:  # a new height alone (the text itself) changes nothing
            self._width = width
            self.update(detail_text(self.job, width))
