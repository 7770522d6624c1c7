"""The main screen's ID-box actions: undeploy, deploy, bounce or watch what is pasted,
load a file into the box, clear it; a paste that lands elsewhere goes into the box."""

from __future__ import annotations

from rich.text import Text
from textual import events, on, work
from textual.widgets import Button

from kore_tui.core.engine import Engine, WatchOutcome
from kore_tui.core.idfile import IdFileError, read_id_file
from kore_tui.core.ids import for_undeploy
from kore_tui.core.text import inert
from kore_tui.tui.deploy_plan_view import kind_counts
from kore_tui.tui.jobs_model import left_out_of_bounce, live_here
from kore_tui.tui.lifecycle import BOUNCE, DEPLOY, Kind
from kore_tui.tui.lifecycle_told import undeploy_told
from kore_tui.tui.screens.confirm import ConfirmUndeploy
from kore_tui.tui.screens.panel import PanelScreen, count_states
from kore_tui.tui.screens.prompts import PathPrompt
from kore_tui.tui.widgets.id_entry import IdEntry
from kore_tui.tui.widgets.jobs_table import JobsTable
from kore_tui.tui.write_access import refusal


def watch_told(outcome: WatchOutcome, here: str) -> str:
    """What a watch did: "Watching 1 job(s)." for an ID already in the panel, with nothing
    new sent, read as if a second watch had started."""
    said = []
    if outcome.new:
        said.append(f"Watching {len(outcome.new)} new job(s)")
    if outcome.rechecked:
        said.append(f"{len(outcome.rechecked)} already in the panel: checked again")
    if outcome.final:
        states = count_states(outcome.final)
        said.append(f"{len(outcome.final)} already in the panel and final ({states})")
    if len(outcome.earlier) == 1:
        ((dock_status_id, job),) = outcome.earlier
        where = (
            "its row, no new one"
            if job.environment == here
            else f"a job of {inert(job.environment, 40)}, no row here"
        )
        said.append(
            f"{dock_status_id} is an earlier attempt of {job.model_id or 'a job'} "
            f"(now {job.state.value}): {where}"
        )
    elif outcome.earlier:
        states = count_states([job for _, job in outcome.earlier])
        said.append(
            f"{len(outcome.earlier)} are earlier attempts of retried jobs "
            f"(now {states}): no new rows"
        )
    return "; ".join(said) + "."


class EntryActions(PanelScreen):
    async def action_undeploy(self) -> None:
        if not self._require_host():
            return
        env = self.kore.env
        assert env is not None
        if self.kore.read_only or env.read_only:
            self.notify(refusal(self.kore.read_only, env.name, "undeploy"), severity="error")
            return
        with self.preparing_dialog():
            pasted = await self._pasted_resources("undeploy")
        if pasted is None:
            return
        ids, docks = pasted

        def confirmed(ok: bool | None) -> None:
            if ok:
                kept = self.keep_in_box((docks, "dock status ID(s)"))

                def start(engine: Engine) -> str:
                    jobs = engine.undeploy(ids)
                    return undeploy_told(jobs, engine.notes, engine.not_started, kept)

                self._send(start, f"Queued {len(ids)} undeploy(s): {kind_counts(ids)}.{kept}")
                self.query_one(JobsTable).follow_next_new()
                self.query_one(JobsTable).focus()
            else:
                self.notify("Cancelled: nothing was sent.")

        self.app.push_screen(ConfirmUndeploy(env, ids, note=self._carried_note(ids)), confirmed)

    def _carried_note(self, ids: list[str]) -> Text | None:
        """Said in the confirmation of IDs pasted while another environment was open."""
        env = self.kore.env
        origin, count = self.query_one(IdEntry).carried(ids)
        if origin is None or env is None or origin == env.name:
            return None
        these = "These IDs were" if count == len(ids) else f"{count} of these IDs were"
        return Text(
            f"{these} pasted while {inert(origin, 40)} was open, not {inert(env.name, 40)}.",
            style="bold yellow",
        )

    def keep_in_box(self, *unused: tuple[list[str], str]) -> str:
        """Once an action has taken the box's IDs of one sort, the box holds what it did
        not take (``(values, "what they are")`` groups), one per line, or nothing: emptying
        it lost them (ctrl+w on a CSV of models and dock status IDs dropped the models).
        The toast's note on what stayed."""
        kept = [value for values, _ in unused for value in values]
        self.query_one(IdEntry).set_text("".join(f"{value}\n" for value in kept))
        said = " and ".join(f"{len(values)} {what}" for values, what in unused if values)
        return f" The ID box keeps {said} it did not use." if said else ""

    async def _pasted_resources(self, verb: str) -> tuple[list[str], list[str]] | None:
        """The model and tool IDs in the box, in paste order, and the dock status IDs the
        action leaves there; None (after saying why) when there are no model or tool IDs
        or the paste holds mangled ID-like tokens."""
        pasted = await self.query_one(IdEntry).current()
        parsed = for_undeploy(pasted)
        real_invalid = [i for i in parsed.invalid if i.kind == "malformed"]
        if real_invalid:
            self.notify(
                f"{len(real_invalid)} invalid ID-like token(s): fix them, or ctrl+t drops "
                "them (a mangled paste is a warning sign).",
                severity="error",
            )
            return None
        if not parsed.resource_ids:
            self.notify(f"No model or tool IDs to {verb}.", severity="warning")
            return None
        return parsed.resource_ids, list(pasted.dock_status_ids)

    async def action_deploy(self) -> None:
        await self._from_box(DEPLOY)

    async def action_bounce_ids(self) -> None:
        await self._from_box(BOUNCE)

    async def _from_box(self, kind: Kind) -> None:
        if self.lifecycle.refused(kind):
            return
        pasted = await self._pasted_resources(kind.name)
        if pasted is None:
            return
        ids, docks = pasted
        note = self._carried_note(ids)
        live, said = live_here(self.model.jobs.values(), ids)
        if said and len(live) == len(ids):
            self.notify(f"Nothing to {kind.name}: {said}", severity="warning", timeout=10)
            return
        if said:
            line = Text(said, style="bold yellow")
            note = Text.assemble(note, "\n", line) if note is not None else line
        if kind is BOUNCE:
            # As b in the panel: one the panel shows undeployed is left out (an operator's
            # run: its bounce ended 'UNDEPLOY ↻ ERROR … bounce stopped', still down).
            ids, said = left_out_of_bounce(self.model.jobs.values(), ids)
            if said and not ids:
                self.notify(f"Nothing to bounce: {said}", severity="warning", timeout=10)
                return
            if said:
                line = Text(said, style="bold yellow")
                note = Text.assemble(note, "\n", line) if note is not None else line
        self.lifecycle.start(
            ids,
            kind,
            note=note,
            on_sent=lambda: self.keep_in_box((docks, "dock status ID(s)")),
        )

    async def action_watch(self) -> None:
        if not self._require_host():
            return
        pasted = await self.query_one(IdEntry).current()
        ds_ids = pasted.dock_status_ids
        if not ds_ids:
            self.notify("No dock status IDs (ds-…) to watch.", severity="warning")
            return
        # The invalid tokens too: they are not a watch's to fix or drop (a mangled model ID
        # vanished from the box while the toast said the box kept what it did not use).
        kept = self.keep_in_box(
            (pasted.resource_ids, "model or tool ID(s)"),
            ([i.token for i in pasted.invalid], "invalid token(s)"),
        )

        def watch(engine: Engine) -> str:
            return watch_told(engine.watch_or_recheck(ds_ids), engine.env.name) + kept

        self._send(watch, "")
        self.query_one(JobsTable).follow_next_new()
        self.query_one(JobsTable).focus()

    @on(Button.Pressed, "#entry Button")
    async def _entry_button(self, event: Button.Pressed) -> None:
        # run_action awaits the async ones (undeploy and watch wait for a fresh parse).
        actions = {
            "undeploy": "undeploy",
            "deploy": "deploy",
            "bounce": "bounce_ids",
            "watch": "watch",
            "load": "load_file",
            "clear": "clear_ids",
        }
        if event.button.id in actions:
            await self.run_action(actions[event.button.id])

    async def action_drop_invalid(self) -> None:
        """The box again with its valid IDs only, one per line, in paste order: 46 mangled
        tokens in a 2,000-line paste were a dead end (ctrl+u refused, the reasons panel
        showed two of them, nothing removed them). The operator's word, never automatic."""
        entry = self.query_one(IdEntry)
        self.focus_id_box()
        parsed = await entry.current()
        if not parsed.invalid:
            self.notify("No invalid ID-like tokens in the ID box.")
            return
        entry.set_text("\n".join(parsed.paste_order) + "\n" if parsed.paste_order else "")
        self.notify(
            f"Dropped {len(parsed.invalid)} invalid token(s); the ID box keeps "
            f"{parsed.total_valid} ID(s), one per line."
        )

    def action_clear_ids(self) -> None:
        entry = self.query_one(IdEntry)
        self.focus_id_box()
        if not entry.text_area.text:
            self.notify("The ID box is already empty.")
            return
        entry.set_text("")
        self.notify("ID box cleared.")

    def on_paste(self, event: events.Paste) -> None:
        """A paste reaches here when no input took it (the jobs panel or a button had the
        focus): it belongs in the ID box, after what is already there, never lost."""
        event.stop()
        if not event.text:
            return
        area = self.query_one(IdEntry).text_area
        text = area.text
        area.insert(
            ("\n" if text and not text.endswith("\n") else "") + event.text, area.document.end
        )
        area.move_cursor(area.document.end)
        self.focus_id_box()
        self.notify("Pasted into the ID box.")

    def action_load_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self._load(path)

        self.app.push_screen(PathPrompt("Load IDs from file", "path/to/ids.csv"), chosen)

    @work(thread=True, group="files", exit_on_error=False)
    def _load(self, path: str) -> None:
        """On a thread: a slow disk or a huge file never stalls the UI loop."""
        try:
            text = read_id_file(path)
        except IdFileError as exc:
            self.app.call_from_thread(
                self.notify, f"Not loaded: {inert(path, 100)}: {exc}", severity="error", timeout=8
            )
            return
        self.app.call_from_thread(self.query_one(IdEntry).set_text, text)
        self.app.call_from_thread(self.notify, f"Loaded {inert(path, 100)}")
