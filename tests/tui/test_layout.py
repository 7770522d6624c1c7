"""What is on screen at 80x24, 120x36 and 250x70: nothing urgent cut, widths used."""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import Any

import pytest
from rich.text import Text
from textual.errors import NoWidget
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Button

from kore_tui.core.config import Environment
from kore_tui.core.job import JobState
from kore_tui.core.store import HostHealth, JobStore
from kore_tui.tools.scenes import FROZEN, Scene, build_app, scripted_jobs
from kore_tui.tui.app import KoreApp
from kore_tui.tui.jobs_model import JobsModel, epoch
from kore_tui.tui.screens.detail import detail_text
from kore_tui.tui.screens.panel import action_words
from kore_tui.tui.widgets.banner import banner_text
from kore_tui.tui.widgets.history_columns import history_cells, history_columns
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.items_line import ItemsLine
from kore_tui.tui.widgets.job_columns import row_cells
from kore_tui.tui.widgets.jobs_table import JobsTable, ago
from tests.tui.conftest import until


async def _noop(app: KoreApp, pilot: object) -> None:
    return None


async def panel_of(app: KoreApp, pilot: Pilot[Any]) -> JobsTable:
    """The scene's jobs in the panel's rows, the focus on the panel."""
    await pilot.pause()
    app.main._drain()
    table = app.main.query_one(JobsTable)
    table.rebuild()
    table.focus()
    return table


def fit_line(text: Text, width: int) -> str:
    """What a one-line banner of ``width`` cells shows."""
    return text.plain[:width]


def test_banner_urgent_states_first_and_never_cut() -> None:
    """Bug 8: at 80 columns PAUSED was off screen; at 120 "rate limited" was cut."""
    env = Environment(
        "preprod", "https://preprod-eu-west.agent-platform.kore.ai", protected=True, read_only=True
    )
    store = JobStore()
    now = FROZEN.timestamp()
    store.set_health(
        HostHealth(
            last_success_wall=now - 5,
            errors=7,
            user_paused=True,
            paused_until_wall=now + 42,
            journal_error="disk full",
            last_error="HTTP 401 UNAUTHORIZED: bad key",
        )
    )
    shown80 = fit_line(banner_text(env, store, True, now, tracking=True), 80)
    for urgent in ("JOURNAL ERROR", "PAUSED", "rate limited: waiting 42s", "AUTH FAILED"):
        assert urgent in shown80
    assert (
        shown80.index("JOURNAL ERROR")
        < shown80.index("PAUSED")
        < shown80.index("rate limited")
        < shown80.index("AUTH")
    )
    shown120 = fit_line(banner_text(env, store, True, now, tracking=True), 120)
    assert "PROTECTED" in shown120 and "READ-ONLY" in shown120
    # Which platform before how it is doing (an operator's run at 80 columns on prod:
    # "errors 2 (last: HTTP 401 …) · last OK …" had cut the host away).
    shown160 = fit_line(banner_text(env, store, True, now, tracking=True, width=200), 200)
    assert shown160.index(env.host) < shown160.index("errors 7")


def test_the_banner_names_the_host_before_its_errors_at_80_columns() -> None:
    env = Environment("prod", "https://agent-platform.kore.ai", protected=True)
    store = JobStore()
    error = "HTTP 401 UNAUTHORIZED: Invalid API key"
    store.set_health(HostHealth(errors=2, last_error=error, last_error_wall=1.0))
    shown80 = fit_line(banner_text(env, store, False, 10.0, tracking=True, width=80), 80)
    # Whole, without its scheme: the room went to the error count after it.
    assert "PROTECTED" in shown80 and "agent-platform.kore.ai  errors 2" in shown80, shown80


@pytest.mark.parametrize("width", range(40, 90))
def test_the_banner_s_in_flight_count_is_whole_or_not_there(width: int) -> None:
    """An operator's run at 60 columns: 'last OK 3s ago · in fligh…'. The summary line
    under it counts what is in flight too: on a narrow line the count goes whole."""
    env = Environment("demo", "http://127.0.0.1:46403", colour="magenta", ephemeral=True)
    store = JobStore()
    now = FROZEN.timestamp()
    store.set_health(HostHealth(last_success_wall=now - 3))
    shown = fit_line(banner_text(env, store, False, now, tracking=True, width=width), width)
    tail = shown.rstrip().rsplit("·", 1)[-1] if "·" in shown else ""
    assert "in flight" in tail or "in f" not in shown, shown
    if "in flight" in shown:
        assert shown.rstrip().endswith("in flight 0"), shown


def test_banner_age_is_a_warning_only_while_tracking() -> None:
    """Bug 8: idle, "last OK 75s ago" turned yellow as if something were wrong."""
    env = Environment("dev", "https://dev.kore.ai")
    store = JobStore()
    now = FROZEN.timestamp()
    store.set_health(HostHealth(last_success_wall=now - 75))

    def age_style(tracking: bool) -> str:
        text = banner_text(env, store, False, now, tracking=tracking)
        start = text.plain.index("last OK 75s ago")
        return " ".join(str(s.style) for s in text.spans if s.start <= start < s.end)

    assert "yellow" not in age_style(False)
    assert "yellow" in age_style(True)


def test_auth_failed_is_shown_only_until_a_request_succeeds() -> None:
    """The banner kept AUTH FAILED for minutes after a new key worked: the tag followed the
    last error's text, which a success does not replace."""
    env = Environment("prod", "https://prod.kore.ai")
    store = JobStore()
    refused = HostHealth(
        errors=1, last_error="HTTP 401 UNAUTHORIZED: bad key", last_error_wall=100.0
    )
    store.set_health(replace(refused, last_success_wall=90.0))
    assert "AUTH FAILED" in banner_text(env, store, False, 120.0).plain
    store.set_health(replace(refused, last_success_wall=110.0))
    shown = banner_text(env, store, False, 120.0).plain
    assert "AUTH FAILED" not in shown and "errors 1" in shown


def test_a_host_that_only_answered_errors_is_not_called_silent() -> None:
    """An operator's run: "errors 1 (last: HTTP 502 …) · no answer yet" — the host had
    answered, with an error. What has not come yet is an OK answer."""
    env = Environment("prod", "https://prod.kore.ai")
    store = JobStore()
    assert "no answer yet" in banner_text(env, store, False, 120.0).plain
    store.set_health(HostHealth(errors=1, last_error="HTTP 502: gateway", last_error_wall=100.0))
    shown = banner_text(env, store, False, 120.0).plain
    assert "errors 1" in shown and "no OK answer yet" in shown, shown


def test_the_paste_feedback_counts_only_what_is_there() -> None:
    """ "0 model ID(s) · 1 dock status ID(s)" for a lone dock status ID was noise."""
    from kore_tui.core.ids import parse_ids
    from kore_tui.tui.widgets.id_entry import feedback_text

    def said(text: str) -> str:
        return feedback_text(parse_ids(text)).plain

    assert said("ds-2475263c-0000-4000-8000-000000000000") == "1 dock status ID(s)"
    assert said("cm-2475263c-0000-4000-8000-000000000000") == "1 model ID(s)"
    assert said("a-2475263c-0000-4000-8000-000000000000") == "1 tool ID(s)"


def test_help_says_where_a_printable_key_works() -> None:
    """Help said "E anywhere"; in the ID box E is typed as text. ctrl+u, with priority,
    is the ID box's too."""
    from kore_tui.tui.screens.main import console_keys

    where = {row.action: row.where for row in console_keys()}
    assert where["toggle_all_environments"] == "jobs"
    assert where["undeploy"] == "anywhere" and where["environments"] == "anywhere"
    # F3 works anywhere, its alias h only in the jobs panel (in the ID box h is text).
    rows = {row.action: row for row in console_keys()}
    assert (rows["history"].key, rows["history"].where) == ("F3 / h", "anywhere / jobs")


def test_another_environment_paused_is_named_paused_not_active() -> None:
    """Pause prod, switch to staging: the banner said "⟳ 21 active in prod"."""
    env = Environment("staging", "https://staging.kore.ai")
    store = JobStore()
    running = banner_text(env, store, False, 0.0, elsewhere={"prod": 21}).plain
    assert "⟳ 21 active in prod" in running
    paused = banner_text(
        env, store, False, 0.0, elsewhere={"prod": 21, "dev": 2}, paused_elsewhere={"prod"}
    ).plain
    assert "⏸ 21 paused in prod, 2 active in dev" in paused


def test_durations_round_once() -> None:
    """Bug 10: 119.6 s printed 1m60s and 59.6 s printed 60s."""
    assert ago(59.6) == "1m00s"
    assert ago(119.6) == "2m00s"
    assert ago(3599.7) == "1h00m"
    assert ago(59.4) == "59s"


def test_elapsed_sort_is_by_elapsed_not_submit_time() -> None:
    """Bug 10: a job submitted first but finished fast sorted as the longest."""
    env = Environment("dev", "https://dev.kore.ai")
    jobs = scripted_jobs(env)
    base = jobs[0]
    quick = replace(
        base,
        key="quick",
        state=JobState.SUCCESS,
        submitted_at="2026-11-29T03:00:00.000Z",
        updated_at="2026-11-29T03:00:05.000Z",
    )
    slow = replace(
        base,
        key="slow",
        state=JobState.SUCCESS,
        submitted_at="2026-11-29T03:05:00.000Z",
        updated_at="2026-11-29T03:10:00.000Z",
    )
    model = JobsModel(clock=FROZEN.timestamp)
    model.apply([quick, slow])
    model.sort = "elapsed"
    model.rebuild()
    assert model.visible == ["slow", "quick"]


def test_a_watched_job_s_elapsed_is_a_lower_bound() -> None:
    """A watched ds- job started elsewhere, before the watch: Get Dock Status carries no
    start time, so its Elapsed counted from the watch and read as the job's age ("5s"
    for a deploy running for 20 minutes). It says "at least" now."""
    env = Environment("dev", "https://dev.kore.ai")
    base = replace(
        scripted_jobs(env)[0],
        state=JobState.IN_PROGRESS,
        submitted_at="2026-11-29T03:00:00.000Z",
        updated_at="2026-11-29T03:00:00.000Z",
    )
    now = epoch("2026-11-29T03:02:05.000Z")
    assert now is not None
    assert row_cells(replace(base, origin="sent"), now)["elapsed"][0] == "2m05s"
    watched = row_cells(replace(base, origin="watch"), now)["elapsed"][0]
    assert watched == "≥2m05s" and len(watched) <= 9  # the column's width
    assert "Watched since" in detail_text(replace(base, origin="watch")).plain
    assert "Submitted" in detail_text(replace(base, origin="sent")).plain
    # Stopped (x) at 03:01:00: its Elapsed no longer counts on.
    stopped = replace(base, origin="sent", tracking=False, updated_at="2026-11-29T03:01:00.000Z")
    assert row_cells(stopped, now)["elapsed"][0] == "1m00s"
    # Final at its first check (a break-it run: "≥0s"): nothing is known of its length.
    done = replace(base, origin="watch", state=JobState.SUCCESS, polls=1)
    assert row_cells(done, now)["elapsed"][0] == "-"
    # A watched ID the server did not know has no action: "this is ? ERROR" in a sentence.
    assert action_words("?") == "of unknown action" and action_words("UNDEPLOY") == "UNDEPLOY"


def table_lines(app: KoreApp) -> list[str]:
    table = app.main.query_one(JobsTable)
    return [
        "".join(seg.text for seg in table.render_line(y))
        for y in range(len(app.main.model.visible))
    ]


async def _run(size: tuple[int, int]) -> tuple[JobsModel, list[str], str, str]:
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.main._drain()
        app.main.query_one(JobsTable).rebuild()
        await pilot.pause()
        header = str(app.main.query_one("#jobs-header").render())
        summary = str(app.main.query_one("#summary").render())
        return app.main.model, table_lines(app), header, summary


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (250, 70)])
async def test_jobs_panel_uses_the_width(size: tuple[int, int]) -> None:
    """Bug 11: at 250 columns IDs stayed elided next to 130 empty columns; at 80 the
    Error column was off screen behind Checked and Polls. Bug 10: `Elapse…`."""
    model, lines, header, _ = await _run(size)
    width = size[0]
    assert "Elapsed" in header and "Elapse…" not in header
    assert "Status" in header and "Error" in header
    assert all(len(line) <= width for line in lines)
    job = next(j for j in model.jobs.values() if j.state is JobState.ERROR)
    row = next(line for line in lines if (job.model_id or "")[:11] in line)
    assert "HTTP 409" in row, f"the error is off screen at {width}: {row!r}"
    # Enough of it to tell a conflict from a refusal: at 80 columns the Error column
    # was 8 cells ("HTTP 409") behind a shortened dock status ID that Enter shows whole.
    # Now 23 cells beside the scrollbar, the cut marked.
    assert "HTTP 409 CONFLICT: Mod" in row, f"the error is cut at {width}: {row!r}"
    bounce = next(j for j in model.jobs.values() if j.then)
    bounce_row = next(line for line in lines if (bounce.model_id or "")[:11] in line)
    assert "UNDEPLOY ↻" in bounce_row, f"a bounce's mark is cut at {width}: {bounce_row!r}"
    if width >= 170:
        assert job.model_id is not None and job.model_id in row, "full IDs at 250 columns"
        assert "HTTP 409 CONFLICT: Model is not deployed" in row


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_a_watched_dock_status_id_names_its_row_at_every_width(
    size: tuple[int, int],
) -> None:
    """Below 100 columns the Dock status column gives way to Error; a job watched by its
    dock status ID has no resource, so its row would say "-" and nothing else."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.main._drain()
        model = app.main.model
        sample = next(iter(model.jobs.values()))
        watched = replace(
            sample,
            key="watch:ds-0123456789abcdef",
            model_id=None,
            resource=None,
            dock_status_id="ds-0123456789abcdef",
            action="?",
            state=JobState.IN_PROGRESS,
        )
        model.apply([watched], [])
        app.main.query_one(JobsTable).rebuild()
        await pilot.pause()
        rows = [line for line in table_lines(app) if "ds-01234567" in line]
        assert len(rows) == 1, "the watched job's row names its dock status ID"
        assert rows[0].count("ds-01234567") == 1, "once, not twice"


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_summary_is_not_overdrawn_by_the_progress_bar(size: tuple[int, int]) -> None:
    """Bug 9: `5 marked (5` and `view: all━━━━` at 80 columns."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        table = await panel_of(app, pilot)
        await pilot.press("a")
        app.main.model.text_filter = "no-such-thing"
        table.rebuild()
        app.main._update_summary()
        await pilot.pause()
        summary = app.main.query_one("#summary")
        strips = summary.render_lines(Region(0, 0, summary.size.width, summary.size.height))
        shown = " ".join("".join(seg.text for seg in strip) for strip in strips)
        shown = " ".join(shown.split())
        assert "filter: 'no-such-thing'" in shown
        assert "16 marked (16 hidden by the filter!)" in shown
        region, clip = app.screen._compositor.visible_widgets[summary]
        assert region.intersection(clip) == region, "part of the summary is hidden"
        bar = app.main.query_one("#progress")
        # A column apart: "5 SUCCESS━━━━" read as one word with the bar.
        assert summary.region.right < bar.region.x


async def test_the_summary_counts_a_bounce_left_down_apart_from_success() -> None:
    """An operator reopened prod after a quit mid-bounce: the row read NO REDEPLOY in red
    while the summary said '1 job(s) · 1 SUCCESS' in green."""
    from kore_tui.core.job import BOUNCE_INCOMPLETE

    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(120, 36)) as pilot:
        await panel_of(app, pilot)
        model = app.main.model
        success = model.counts[JobState.SUCCESS]
        (done, *_) = [j for j in model.jobs.values() if j.state is JobState.SUCCESS]
        model.apply([replace(done, error_kind=BOUNCE_INCOMPLETE, action="UNDEPLOY")])
        app.main._update_summary()
        shown = app.main.query_one("#summary", ItemsLine).shown.plain
        assert f"{success - 1} SUCCESS" in shown and "1 NO REDEPLOY" in shown, shown


@pytest.mark.parametrize("width", [60, 80, 100])
async def test_the_summary_wraps_between_items_never_inside_one(width: int) -> None:
    """At 80 columns with every state on the panel, "12 SUCCESS" broke into "12" at the
    end of one line and "SUCCESS" at the start of the next (a count read as the state
    before it's)."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(width, 24)) as pilot:
        table = await panel_of(app, pilot)
        await pilot.press("a")  # "16 marked" too
        app.main.model.status_filter = "problems"
        table.rebuild()
        app.main._update_summary()
        await pilot.pause()
        summary = app.main.query_one("#summary")
        strips = summary.render_lines(Region(0, 0, summary.size.width, summary.size.height))
        lines = ["".join(seg.text for seg in strip).rstrip() for strip in strips]
        assert len(lines) >= 2, lines  # the eight states do not fit on one line here
        states = "|".join(state.value for state in JobState)
        marked = r"\d+ marked \(\d+ hidden by the filter!\)"
        item = rf"\d+ job\(s\)|\d+ ({states})|\d+ stopped ⏸|view: \w+|{marked}"
        for line in lines:
            pieces = [p for p in re.split(r" · |   ", line.strip()) if p]
            assert all(re.fullmatch(item, p) for p in pieces), (line, lines)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_the_summary_is_one_line_and_names_only_a_view_or_sort_that_is_not_the_default(
    size: tuple[int, int],
) -> None:
    """At 80 columns "· sort: created" wrapped to a second line under five state counts:
    the default view and sort said nothing the header does not, and cost a row."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.main._drain()
        line = app.main.query_one("#summary", ItemsLine).shown
        for span in line.spans:  # ERROR's white-on-red chip took in the " · " before it
            assert "·" not in line.plain[span.start : span.end], (span, line.plain)
        # What a batch looks like near its end (the scene has all eight states at once,
        # which takes two lines at 80 columns whatever else the line says).
        model = app.main.model
        keep = {JobState.IN_PROGRESS, JobState.SUCCESS, JobState.FAILED, JobState.ERROR}
        model.apply([], [k for k, j in model.jobs.items() if j.state not in keep])
        app.main.query_one(JobsTable).rebuild()
        app.main._update_summary()
        await pilot.pause()
        summary = app.main.query_one("#summary")
        shown = str(summary.render())
        assert {state for state, n in model.counts.items() if n} == keep, shown
        assert "view:" not in shown and "sort:" not in shown
        assert summary.size.height == 1, shown
        app.main.model.status_filter = "problems"
        app.main.model.sort = "elapsed"
        app.main._update_summary()
        await pilot.pause()
        shown = str(summary.render())
        assert "view: problems" in shown and "sort: elapsed" in shown


def test_failed_and_error_differ_by_more_than_a_shade_and_tags_have_contrast() -> None:
    """Bug 17: FAILED and ERROR were two reds; the read-only tag was grey on green."""
    from kore_tui.tui.widgets.env_label import env_label
    from kore_tui.tui.widgets.jobs_table import STATE_STYLES

    failed, error = STATE_STYLES[JobState.FAILED], STATE_STYLES[JobState.ERROR]
    assert (failed.bgcolor is None) != (error.bgcolor is None)
    label = env_label(
        Environment("audit", "https://gale.kore.ai", read_only=True, protected=True), default=True
    )
    for flag in ("READ-ONLY", "PROTECTED", "default"):
        start = label.plain.index(flag)
        styles = [str(s.style) for s in label.spans if s.start <= start < s.end]
        assert any(" on " in style for style in styles), f"{flag}: no own background"


def test_the_picker_marks_the_environment_on_screen_and_those_still_working() -> None:
    """An operator's run: the picker listed prod and staging alike, whichever was open.
    Then: "open" marked the one on screen only, and read as the opposite of environments
    whose engines still track jobs in the background (they had no mark)."""
    from kore_tui.tui.widgets.env_label import env_label

    env = Environment("prod", "https://a.kore.ai")
    assert "on screen" in env_label(env, default=False, current=True).plain
    assert "on screen" not in env_label(env, default=False).plain
    assert "3 active" in env_label(env, default=False, active=3).plain
    assert "active" not in env_label(env, default=False, current=True).plain


def test_the_picker_marks_another_name_for_a_protected_platform() -> None:
    """'stage' on prod's host had no mark in the picker, while its runs ask as protected."""
    from kore_tui.tui.widgets.env_label import env_label

    env = Environment("stage", "https://a.kore.ai")
    assert "PROTECTED: prod's platform" in env_label(env, default=False, guard="prod").plain
    assert "PROTECTED" not in env_label(env, default=False).plain


@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_every_invalid_reason_can_be_read(size: tuple[int, int]) -> None:
    """Bug 18: the reasons panel was 6 rows at every size: 2 of 10 reasons, "…and 8 more"."""
    from kore_tui.tui.widgets.id_entry import IdEntry

    bad = [f"cm-{i:08d}-zzzz" for i in range(10)]
    app = build_app(Scene("layout", "", "prod", _noop, with_jobs=False))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.main.query_one(IdEntry).set_text("\n".join(bad))
        await app.main.query_one(IdEntry).current()  # parsed off the UI loop
        await pilot.pause()
        feedback = app.main.query_one("#feedback")
        text = str(feedback.render())
        assert all(token in text for token in bad) and "more" not in text
        scroll = app.main.query_one("#feedback-scroll")
        assert scroll.virtual_size.height >= feedback.size.height >= 12
        if size[1] >= 70:
            assert app.main.query_one(IdEntry).size.height >= 14, "uses a tall terminal"
        scroll.scroll_end(animate=False)
        await pilot.pause()
        assert scroll.scroll_offset.y == scroll.max_scroll_y


def screen_lines(app: KoreApp) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def fully_visible(app: KoreApp, widget: Any) -> bool:
    """On screen and not clipped by a parent or the terminal edge."""
    placed = app.screen._compositor.visible_widgets.get(widget)
    if placed is None:
        return False
    region, clip = placed
    return bool(region.intersection(clip) == region and region.area > 0)


@pytest.mark.parametrize("size", [(120, 36), (80, 24), (60, 18), (40, 12)])
async def test_the_id_box_shows_only_whole_buttons(size: tuple[int, int]) -> None:
    """An operator's run at 60x18: the ID box's buttons ended in "Watch 0     Loa" (Load
    file cut, Clear off the edge). The buttons that do not fit are hidden (their keys,
    ctrl+o and ctrl+l, are in the box's title and in F1), and come back when they fit."""
    app = build_app(Scene("layout", "", "prod", _noop, with_jobs=False))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        buttons = list(entry.query("#buttons Button").results(Button))
        shown = [b for b in buttons if b.display]
        assert shown and shown == buttons[: len(shown)], "only the last ones give way"
        if size[0] >= 80:
            assert shown == buttons
        row = next(line for line in screen_lines(app) if str(buttons[0].label) in line)
        for button in shown:
            assert str(button.label) in row, (size, row)
        assert all(fully_visible(app, b) for b in shown), row
        assert row.rstrip().endswith("│"), row


@pytest.mark.parametrize("size", [(80, 24), (60, 18), (40, 12)])
async def test_footer_shows_whole_keys_in_every_focus(size: tuple[int, int]) -> None:
    """Bug 12: `x▏^p palettey` — the jobs panel's keys overflowed the footer at 80 columns.
    At 60 and 40 they still did: "f3 Hi▏^p palettel", a key cut by the palette and the
    next key's letter in the last column."""
    from textual.widgets._footer import FooterKey

    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for focus in ("#ids", "#jobs"):
            app.main.query_one(focus).focus()
            await pilot.pause()
            # The footer recomposes for the new focus after a refresh or two: wait for that.
            await until(pilot, lambda: screen_lines(app)[-1].rstrip().endswith("^p palette"), 5)
            await pilot.pause()
            footer = screen_lines(app)[-1]
            assert footer.endswith("^p palette "), f"{focus}: {footer!r}"
            keys = footer[: footer.index("▏")].rstrip()
            assert keys and not keys.endswith("…"), f"{focus}: {footer!r}"
            labels = [
                f"{key.key_display} {key.description}"
                for key in app.main.query(FooterKey)
                if key.display and "-command-palette" not in key.classes
            ]
            shown = " ".join(keys.split())
            whole = [label for label in labels if label in shown]
            assert shown == " ".join(whole), f"a key cut at {size}, {focus}: {footer!r}"


@pytest.mark.parametrize("size", [(80, 24), (120, 24)])
async def test_a_cut_error_ends_in_an_ellipsis_on_screen(size: tuple[int, int]) -> None:
    """The rows were laid out for the panel's whole width, then the scrollbar took its two
    columns: the "…" that says "Enter shows the rest" was what got cut ("…reported F")."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        table = await panel_of(app, pilot)
        # More rows than fit: the scrollbar comes with the next layout.
        await until(pilot, lambda: table.scrollbars_enabled[0], 5)
        await pilot.pause()
        # The rows were as wide as the table, scrollbar included: 2 columns too wide for the
        # room left of it, so a horizontal scrollbar took the panel's last row ("▏").
        assert not table.scrollbars_enabled[1], "a horizontal scrollbar"
        right = table.scrollable_content_region.right
        job = next(j for j in app.main.model.jobs.values() if j.state is JobState.UNKNOWN)
        table.cursor = app.main.model.visible.index(job.key)
        await pilot.pause()
        row = next(line for line in screen_lines(app) if (job.model_id or "")[:11] in line)
        assert row[:right].endswith("…"), f"cut with no sign at {size}: {row!r}"
        assert "HTTP 503" in row


async def test_stopped_jobs_are_counted_as_stopped_not_as_their_last_state() -> None:
    """x (stop tracking) left "4 IN_PROGRESS" in the summary: two of them were no longer
    watched by anyone, and nothing on the line said so."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        app.main._drain()
        model = app.main.model
        running = [j for j in model.jobs.values() if j.state is JobState.IN_PROGRESS]
        assert len(running) == 4
        app.main.model.apply([replace(j, tracking=False) for j in running[:2]], [])
        app.main._update_summary()
        await pilot.pause()
        summary = str(app.main.query_one("#summary").render())
        assert "· 2 IN_PROGRESS ·" in summary and "2 stopped ⏸" in summary, summary
        assert model.final_count == 9, "stopped is not final: the bar does not count them"
        app.main.model.apply([replace(j, tracking=True) for j in running[:2]], [])
        app.main._update_summary()
        await pilot.pause()
        summary = str(app.main.query_one("#summary").render())
        assert "4 IN_PROGRESS" in summary and "stopped" not in summary, summary


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_a_long_detail_value_wraps_under_its_value_not_under_the_labels(
    size: tuple[int, int],
) -> None:
    """The Error of a job wrapped to the dialog's first column, where it read as a label."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        table = await panel_of(app, pilot)
        job = next(j for j in app.main.model.jobs.values() if j.state is JobState.UNKNOWN)
        table.cursor = app.main.model.visible.index(job.key)
        await pilot.press("enter")
        await until(pilot, lambda: any("Job detail" in line for line in screen_lines(app)))
        await pilot.pause()
        lines = screen_lines(app)
        first = next(i for i, line in enumerate(lines) if "Error" in line and "HTTP 503" in line)
        value_column = lines[first].index("HTTP 503")
        following = lines[first + 1]
        label_column = lines[first].index("Error")
        assert following[label_column:value_column].strip() == "", f"{following!r}"
        assert following[value_column:].strip(), "the error goes on on the next line"
        words = " ".join(line[value_column:].strip(" █▌▐") for line in lines[first : first + 4])
        assert "the request may have reached" in " ".join(words.split())


@pytest.mark.parametrize("width", [80, 120])
def test_a_cut_history_error_ends_in_an_ellipsis(width: int) -> None:
    """History's Error column showed "HTTP 409 CONFLICT: M" at 80 columns, cut with no
    sign (the table crops a cell; the Text's own ellipsis never showed)."""
    columns = history_columns(width, all_environments=False)
    error_width = next(c.width for c in columns if c.key == "error")
    long_error = "HTTP 409 CONFLICT: Model is not deployed " * 4
    job = replace(
        scripted_jobs(Environment("prod", "https://example.invalid"))[9], error=long_error
    )
    cell = history_cells(job, columns)[-1].plain
    assert len(cell) <= error_width and cell.endswith("…"), (cell, error_width)
    short = replace(job, error="HTTP 409")
    assert history_cells(short, columns)[-1].plain == "HTTP 409"


def test_a_bounce_s_first_half_keeps_its_mark_once_its_redeploy_is_queued() -> None:
    """The ↻ of a bounce's undeploy went with its "then" once the redeploy was queued:
    "UNDEPLOY ↻ IN_PROGRESS", then "UNDEPLOY SUCCESS", while help says ↻ marks both
    halves."""
    env = Environment("prod", "https://example.invalid")
    first = replace(scripted_jobs(env)[0], key="first", then=None, state=JobState.SUCCESS)
    second = replace(first, key="second", action="DEPLOY", parent="first")
    model = JobsModel()
    model.apply([first, second])
    assert row_cells(first, 0.0, bounced="first" in model.parents)["action"][0] == "UNDEPLOY ↻"
    assert row_cells(second, 0.0)["action"][0] == "DEPLOY ↻"
    columns = history_columns(120, all_environments=False)
    action = next(i for i, c in enumerate(columns) if c.key == "action")
    assert history_cells(first, columns, bounced=True)[action].plain == "UNDEPLOY ↻"
    alone = replace(first, key="alone")
    assert row_cells(alone, 0.0, bounced="alone" in model.parents)["action"][0] == "UNDEPLOY"


WRITES = ("undeploy", "deploy", "bounce")


async def test_the_write_buttons_are_greyed_while_the_box_holds_a_mangled_id() -> None:
    """ "Undeploy 4" looked ready next to 4 invalid tokens; pressed, ctrl+u refused ("fix
    or remove them first"). The buttons now say so by being greyed, as the keys do."""
    app = build_app(Scene("layout", "", "dev", _noop, with_jobs=False))
    good = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    async with app.run_test(size=(120, 36)) as pilot:
        entry = app.main.query_one(IdEntry)

        async def writes_live(text: str) -> list[bool]:
            entry.set_text(text)
            await entry.current()
            await pilot.pause()
            return [not entry.query_one(f"#{n}", Button).disabled for n in WRITES]

        assert await writes_live(f"{good}\ncm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3cX\n") == [False] * 3
        assert not entry.query_one("#watch", Button).disabled, "a watch keeps what it skips"
        assert await writes_live(good) == [True] * 3


def test_the_banner_s_last_error_uses_a_wide_terminal() -> None:
    """The last error was cut at 28 characters at any width: "HTTP 409 CONFLICT: Model
    is…" at 250 columns with 120 free."""
    env = Environment("prod", "https://agent-platform.kore.ai")
    store = JobStore()
    error = "HTTP 409 CONFLICT: Model is not deployed (it was undeployed by another run)"
    store.set_health(HostHealth(errors=1, last_error=error, last_error_wall=1.0))
    narrow = banner_text(env, store, False, 10.0).plain
    wide = banner_text(env, store, False, 10.0, width=250).plain
    assert "HTTP 409 CONFLICT: Model is…" in narrow, "a narrow banner keeps room for the host"
    assert error in wide and "https://agent-platform.kore.ai" in wide
    assert len(wide) <= 250


def test_a_final_job_without_an_answer_says_none_and_its_timeline_says_http_once() -> None:
    """A POST answered 409: "Last response (none yet)" on a job that is over, and its
    timeline read "HTTP 409  HTTP 409 CONFLICT: …"."""
    env = Environment("prod", "https://example.invalid")
    job = next(j for j in scripted_jobs(env) if j.state is JobState.ERROR)
    text = detail_text(job).plain
    assert "(none yet)" not in text and "(none: no dock status was read)" in text
    line = next(x for x in text.splitlines() if "HTTP 409 CONFLICT" in x and x.startswith("20"))
    assert line.count("HTTP 409") == 1, line


async def test_the_cursor_row_stays_in_sight_when_the_batch_line_appears() -> None:
    """At 80x24 the batch line pushed the panel down a row and the selected row fell
    below the view: the next x or u acted on a row the operator could not see."""
    from kore_tui.core.job import ACTIVE_STATES

    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.main._drain()
        model = app.main.model
        model.apply([], [k for k, j in model.jobs.items() if j.state in ACTIVE_STATES])
        table = app.main.query_one(JobsTable)
        table.rebuild()
        table.focus()
        await pilot.pause()
        table.cursor = int(table.scroll_offset.y) + table.size.height - 1  # the last row shown
        await pilot.pause()
        app.main._batch_active = True
        app.main._update_summary()
        await until(pilot, lambda: app.main.query_one("#batch").display)
        await pilot.pause()
        top = int(table.scroll_offset.y)
        assert top <= table.cursor < top + table.size.height, (top, table.cursor, table.size)


async def test_a_terminal_under_16_rows_gives_the_id_box_s_rows_to_the_jobs() -> None:
    """At 40x12 the ID box kept its 9 rows: the jobs panel got one row, none once the
    summary wrapped, while its keys still acted on rows no one could see."""
    from kore_tui.tui.widgets.id_entry import IdEntry

    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        entry = app.main.query_one(IdEntry)
        assert entry.outer_size.height <= 5, entry.outer_size
        # A break-it run: the summary wrapped to 3 rows at 40 columns, and the panel
        # showed its header and no row at all.
        table = app.main.query_one(JobsTable)
        assert table.size.height >= 2, table.size
        # The summary's one row says what went wrong first, and the bar gives its columns
        # to it: "46 job(s) · 38 SUCCESS ━━━━ 100%" hid 8 FAILED (an operator's run).
        summary_row = next(line for line in screen_lines(app) if "job(s)" in line)
        assert "1 FAILED" in summary_row and "1 ERROR" in summary_row, summary_row
        assert "%" not in summary_row, summary_row
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert entry.outer_size.height >= 9, "a normal terminal keeps the full box"
        lines = screen_lines(app)
        first = next(i for i, line in enumerate(lines) if "job(s)" in line)
        summary = " ".join(lines[first : first + 2])  # it wraps to two rows at 80
        assert summary.index("SUCCESS") < summary.index("FAILED"), "the usual order back"
        assert "%" in summary


async def test_toasts_never_cover_a_dialog(simenv: Any) -> None:
    """An operator's run at 60x18: switching environment with IDs in the box, then ctrl+u at
    once: two toasts covered the confirmation's environment name ('in  stg▌'), its host and
    both buttons for 10 s. A dialog shows no toasts; they show again once it is closed."""
    from tests.tui.conftest import make_app
    from tests.tui.test_console import paste

    app = make_app()
    async with app.run_test(size=(60, 18), notifications=True) as pilot:
        await until(pilot, lambda: app.host is not None)
        await paste(app, simenv.model_ids[0])
        app.notify("A long warning that the ID box still holds IDs for another environment")
        app.notify("Resumed 2 unfinished job(s) from the journal of this environment")
        await pilot.press("ctrl+u")
        await until(pilot, lambda: app.screen is not app.main)
        dialog = app.screen
        await pilot.pause(0.3)
        shown = [w for w in dialog.query("Toast") if w.display and w.region.area]
        assert not shown, "toasts are shown over the dialog"
        confirm = dialog.query_one("#confirm", Button)
        assert confirm.region.right <= 60 and confirm.region.bottom <= 18
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main)
        await until(pilot, lambda: len(app.main.query("Toast")) >= 2)


def test_errors_the_host_has_recovered_from_are_history_not_an_alarm() -> None:
    """An operator's run: "errors 37" stayed bold red for an hour after a 30-second blip,
    with every answer OK since; at 3 a.m. that reads as "prod is failing now". Once the
    host has answered OK after its last error, and that error is a minute old, the count
    is dim and says how long ago the last one was."""
    env = Environment("prod", "https://prod.kore.ai")
    store = JobStore()
    blip = HostHealth(errors=37, last_error="HTTP 503: busy", last_error_wall=1000.0)

    def errors_style(health: HostHealth, now: float) -> tuple[str, str]:
        store.set_health(health)
        text = banner_text(env, store, False, now, tracking=True)
        start = text.plain.index("errors 37")
        style = " ".join(str(s.style) for s in text.spans if s.start <= start < s.end)
        return text.plain, style

    shown, style = errors_style(replace(blip, last_success_wall=990.0), 1300.0)
    assert "red" in style and "HTTP 503" in shown, "no OK since: still the host's trouble"
    shown, style = errors_style(replace(blip, last_success_wall=1001.0), 1030.0)
    assert "red" in style, "a recovery of seconds may not last"
    shown, style = errors_style(replace(blip, last_success_wall=1001.0), 1300.0)
    assert "red" not in style and "dim" in style, style
    assert "errors 37 (last 5m00s ago: HTTP 503" in shown, shown


@pytest.mark.parametrize("size", [(40, 12), (60, 18), (80, 24)])
@pytest.mark.parametrize("protected", [False, True])
async def test_a_confirmation_keeps_what_where_and_its_buttons_on_a_small_terminal(
    size: tuple[int, int], protected: bool
) -> None:
    """At 40x12 the confirmation's buttons were cut off (the dialog drew a border, the
    title, a 3-row body with margins, a wrapped warning, then ran out of rows), and in a
    protected environment the name field too: the operator could only press Escape."""
    from kore_tui.tui.screens.confirm import ConfirmUndeploy

    env = Environment("prod", "https://agent-platform.kore.ai", protected=protected)
    ids = [f"cm-{i:08x}-0000-4000-8000-000000000000" for i in range(30)]
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmUndeploy(env, ids))
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))
        await pilot.pause()
        dialog = app.screen
        needed = ["#title", "#cancel", "#confirm", *(["#typed"] if protected else [])]
        for selector in needed:
            widget = dialog.query_one(selector)
            region = widget.region
            assert region.area, (selector, "not shown at all")
            for x, y in ((region.x, region.y), (region.right - 1, region.bottom - 1)):
                found, _ = dialog.get_widget_at(x, y)
                assert found is widget or widget in found.ancestors, (selector, region, found)
        title = dialog.query_one("#title")
        assert title.region.height == title.virtual_size.height, "the title is cut"


async def test_a_confirmation_too_long_for_the_terminal_scrolls_to_the_focused_button() -> None:
    """A deploy's cost lines at 40x12: the buttons were below the screen, and Tab moved the
    focus to a confirm button no one could see (Enter would have sent it)."""
    from kore_tui.tui.screens.confirm import ConfirmUndeploy

    env = Environment("demo", "http://127.0.0.1:9")
    costs = ["24 model(s): g5.xlarge, 1-3 replicas (openSource, name 'demo-deployment')"] * 3
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmUndeploy(env, ["a-0" * 12] * 6, "Deploy", costs=costs))
        await until(pilot, lambda: isinstance(app.screen, ConfirmUndeploy))

        def shown(button: Button) -> bool:
            region = button.region
            try:
                return app.screen.get_widget_at(region.x, region.y)[0] is button
            except NoWidget:  # below the screen
                return False

        await until(pilot, lambda: bool(app.screen.query("#cancel")))
        for key, selector in (("", "#cancel"), ("tab", "#confirm")):
            if key:
                await pilot.press(key)
            button = app.screen.query_one(selector, Button)
            await until(pilot, lambda: app.focused is button)
            # Scrolled into view (Textual may animate the scroll: waited for, not slept).
            await until(pilot, functools.partial(shown, button), timeout=5)


async def test_the_progress_bar_says_100_percent_only_when_every_job_is_final() -> None:
    """A break-it run: "202 job(s) · 1 IN_PROGRESS … 100%": 201 of 202 rounded up while a
    job still ran."""
    from textual.widgets import ProgressBar
    from textual.widgets._progress_bar import PercentageStatus

    # No scene jobs: their store's drains could put them back between the steps below
    # (the test failed once in a parallel run).
    app = build_app(Scene("layout", "", "prod", _noop, with_jobs=False))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        model = app.main.model
        base = scripted_jobs(Environment("prod", "https://example.invalid"))[0]
        done = [replace(base, key=f"k{i}", state=JobState.SUCCESS) for i in range(201)]
        model.apply([*done, replace(base, key="live", state=JobState.IN_PROGRESS)])
        app.main.query_one(JobsTable).rebuild()
        app.main._update_summary()
        await pilot.pause()
        shown = app.main.query_one(ProgressBar).query_one(PercentageStatus)
        assert shown.percentage == 99
        model.apply([replace(base, key="live", state=JobState.SUCCESS)])
        app.main.query_one(JobsTable).rebuild()
        app.main._update_summary()
        await pilot.pause()
        assert shown.percentage == 100


@pytest.mark.parametrize("width", [96, 100, 105, 110, 120])
async def test_the_jobs_header_sits_over_its_cells_with_a_scrollbar(width: int) -> None:
    """A break-it run at 100 and 110 columns with a list long enough to scroll: the header
    had 'Dock status' (at 110 'Checked  Polls') over rows that had no such column. The
    header laid out its titles for the full width, the rows for the width left of the
    scrollbar: two column sets."""
    app = build_app(Scene("layout", "", "prod", _noop))
    async with app.run_test(size=(width, 30)) as pilot:
        model = app.main.model
        # The scene's jobs come with the store's next drain: one pause was not always enough
        # on a loaded machine (StopIteration in a full run).
        await until(pilot, lambda: bool(model.jobs))
        base = next(iter(model.jobs.values()))
        dock = "ds-00000000-0000-4000-8000-000000000042"
        many = [
            replace(base, key=f"k{i:03d}", state=JobState.IN_PROGRESS, dock_status_id=dock)
            for i in range(80)
        ]
        model.apply(many)
        table = app.main.query_one(JobsTable)
        table.rebuild()
        await pilot.pause()
        assert table.show_vertical_scrollbar

        def header_and_row() -> tuple[str, str]:
            lines = screen_lines(app)
            at = next((n for n, line in enumerate(lines) if line.startswith("● Resource")), -1)
            row = next((line for line in lines[at + 1 :] if "IN_PROGRESS" in line), "")
            return (lines[at] if at >= 0 else ""), row

        def agree() -> bool:
            header, row = header_and_row()
            if "Status" not in header or "IN_PROGRESS" not in row:
                return False  # mid-layout: not drawn yet
            same_status = header.index("Status") == row.index("IN_PROGRESS")
            if "Dock status" not in header:
                return same_status and "ds-" not in row
            # Under the title, the row's dock status ID or its "-" (a scene job may have none).
            cell = row[header.index("Dock status") :]
            return same_status and (cell.startswith("ds-") or cell.startswith("- "))

        # Once laid out: the scrollbar comes with a layout, the header's columns with the
        # next refresh (a loaded machine took two; the test failed once in a full run).
        try:
            await until(pilot, agree, 10)
        except AssertionError:
            header, row = header_and_row()  # what the screen showed, for the next reader
            raise AssertionError(f"header and row disagree:\n{header!r}\n{row!r}") from None
        header, row = header_and_row()
        assert header.index("Status") == row.index("IN_PROGRESS"), (header, row)


@pytest.mark.parametrize("all_environments", [False, True])
def test_history_s_columns_fit_the_screen_with_their_scrollbar(all_environments: bool) -> None:
    """A break-it run at 120 columns: History was wider than the screen (a horizontal
    scrollbar; End scrolled sideways and cut the first character of every row), and its
    Error column was cut by the screen edge, without its "…". The error's own cell padding
    was not counted, and at 120 the minimum error width did not fit beside Env and Dock
    status: the dock status ID (in the detail view, Enter) gives way first."""
    # All environments need the Env column: from 90 columns up.
    for width in range(90 if all_environments else 80, 261):
        columns = history_columns(width, all_environments)
        used = sum(c.width + 2 for c in columns) + 2  # cell padding, the vertical scrollbar
        assert used <= width, (width, [(c.key, c.width) for c in columns])
        assert next(c.width for c in columns if c.key == "error") >= 12
        assert ("env" in {c.key for c in columns}) or not all_environments


@pytest.mark.parametrize("width", [60, 70])
def test_a_narrow_banner_shortens_the_host_before_it_loses_the_errors(width: int) -> None:
    """An operator's run at 60x24: '…http://127.0.0.1:18801  las…': the host took the
    room of the error count and of 'last OK'. The host gives way first (its scheme, then
    its end), down to 16 cells; the environment's name and chips are never cut."""
    env = Environment("staging", "https://preprod-eu-west.agent-platform.kore.ai")
    store = JobStore()
    store.set_health(HostHealth(errors=3, last_error="HTTP 502", last_success_wall=95.0))
    shown = fit_line(banner_text(env, store, False, 100.0, tracking=True, width=width), width)
    assert "errors 3" in shown and "last OK 5s ago" in shown, shown
    assert "preprod-eu" in shown and "kore.ai" in shown and "staging" in shown, shown
    wide = fit_line(banner_text(env, store, False, 100.0, tracking=True, width=140), 140)
    assert "https://preprod-eu-west.agent-platform.kore.ai" in wide


@pytest.mark.parametrize("width", [100, 110, 120])
def test_the_banner_keeps_the_in_flight_count_beside_a_long_error(width: int) -> None:
    """A break-it run at 100 columns after a 401: 'errors 2 (last: HTTP 401 UNAUTHORIZED:
    Inva…) · last OK 0s ago ·…': the error's 28 characters pushed the in-flight count off
    the line. Below 120 columns the error gets what is left of the line."""
    env = Environment("staging", "http://127.0.0.1:18081")
    store = JobStore()
    store.in_flight = 12
    error = "HTTP 401 UNAUTHORIZED: Invalid API key for this application"
    store.set_health(
        HostHealth(errors=2, last_error=error, last_error_wall=99.0, last_success_wall=100.0)
    )
    shown = fit_line(banner_text(env, store, False, 100.0, tracking=True, width=width), width)
    assert "in flight 12" in shown, shown
    assert "errors 2" in shown and "HTTP 401" in shown, shown
