"""The jobs panel's keys, declared once (JobsTable.BINDINGS): the footer shows those
marked so, and F1's help lists them all (screens/main.py reads JobsTable.BINDINGS)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

JOBS_TABLE_BINDINGS: list[BindingType] = [
    Binding("up,k", "cursor(-1)", "Up", show=False),
    Binding("down,j", "cursor(1)", "Down", show=False),
    Binding("pageup", "cursor(-20)", "Page up", show=False),
    Binding("pagedown", "cursor(20)", "Page down", show=False),
    Binding("home", "cursor_to(0)", "Top", show=False),
    Binding("end", "cursor_to(-1)", "Bottom", show=False),
    # Shown in the footer: the few that fit at 80 columns next to F2/F3/F1 (more
    # overflowed and left a stray character); F1 lists them all.
    Binding(
        "space",
        "toggle_mark",
        "Mark",
        tooltip="Mark or unmark the job under the cursor and move down (actions apply "
        "to the marked jobs, else to the cursor's)",
    ),
    Binding("a", "mark_all", "All", show=False, tooltip="Mark every job shown"),
    Binding(
        "escape",
        "screen.escape",
        "Clear",
        show=False,
        tooltip="Clear the filter; pressed again, clear the marks",
    ),
    Binding(
        "enter",
        "open_detail",
        "Detail",
        tooltip="Job detail: every field, raw last response, timeline",
    ),
    # Not in the footer: at 80 columns it made room for u Undo (F1 lists it). Priority:
    # it runs as the key arrives, so the keys typed after it reach the filter. A plain
    # binding ran once '/' had passed through the table's queue, after the app had
    # already given it the next keys: a burst '/ p r o d' paused every request (p).
    # Only while the table has the focus (a binding of the table, not the screen).
    Binding(
        "slash",
        "screen.focus_filter",
        "Filter",
        show=False,
        priority=True,
        tooltip="Filter jobs by text (model, dock status, status, error)",
    ),
    Binding(
        "f",
        "screen.cycle_status_filter",
        "View",
        show=False,
        tooltip="Cycle the status filter: all, active, problems, success",
    ),
    Binding(
        "s",
        "screen.cycle_sort",
        "Sort",
        show=False,
        tooltip="Cycle the sort: created, status, elapsed (longest first), model",
    ),
    Binding(
        "r",
        "screen.recheck",
        "Recheck",
        show=False,
        tooltip="Re-check the selected jobs' status now",
    ),
    Binding(
        "R",
        "screen.retry",
        "Retry",
        tooltip="Retry the selected FAILED / UNKNOWN / "
        "ERROR jobs: sends each one's action again (asks to confirm)",
    ),
    Binding(
        "u",
        "screen.undo",
        "Undo",
        tooltip="Undo the selected finished undeploys "
        "(SUCCESS): redeploy them with the journal's, a profile's or the form's "
        "parameters (asks to confirm)",
    ),
    Binding(
        "b",
        "screen.bounce",
        "Bounce",
        show=False,
        tooltip="Bounce the selected "
        "jobs' models and tools: undeploy, then redeploy once the undeploy is SUCCESS "
        "(asks to confirm)",
    ),
    Binding(
        "x",
        "screen.stop_tracking",
        "Stop",
        show=False,
        tooltip="Stop tracking the selected jobs (no more polls)",
    ),
    Binding(
        "c",
        "screen.copy_ids",
        "Copy",
        show=False,
        tooltip="Copy the selected jobs' dock status IDs (else model or tool IDs)",
    ),
    # Priority (as '/'): the prompt is on top as the key arrives, and a path typed right
    # after e is its (it waits for its focus: Dialog); 'e ctrl+u path Enter' wrote nothing.
    Binding(
        "e",
        "screen.export",
        "Export",
        show=False,
        priority=True,
        tooltip="Export the marked (else shown) jobs to CSV or JSON",
    ),
    Binding(
        "p",
        "screen.toggle_pause",
        "Pause",
        show=False,
        tooltip="Pause or resume all requests to this environment",
    ),
    Binding(
        "F",
        "screen.mark_failed",
        "Mark failed",
        show=False,
        tooltip="Mark the jobs that did not succeed (FAILED, UNKNOWN, ERROR, TIMED_OUT)",
    ),
    Binding(
        "C",
        "screen.copy_failed_models",
        "Copy failed",
        show=False,
        tooltip="Copy the model and tool IDs of the jobs that did not succeed",
    ),
    Binding("h", "screen.history", "History", show=False),
    Binding("question_mark", "screen.help", "Help", show=False),
    Binding(
        "q",
        "app.quit",
        "Quit",
        show=False,
        tooltip="Quit (asks while jobs are not final; they resume next time)",
    ),
]
