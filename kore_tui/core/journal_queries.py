"""The journal's queries that write nothing: what one environment left unfinished, what a
resource had deployed, history and timelines (the writes, the admission transaction and
ownership are in journal.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import replace

from kore_tui.core.hosts import same_platform
from kore_tui.core.job import Job, Transition, replaced_attempt_ids
from kore_tui.core.journal_schema import chunks, job_from_row, marks, of_platform, state_of


class JournalQueries:
    _db: sqlite3.Connection

    def jobs(self, keys: Iterable[str]) -> dict[str, Job]:
        out: dict[str, Job] = {}
        for chunk in chunks(list(keys)):
            rows = self._db.execute(f"SELECT * FROM jobs WHERE key IN {marks(chunk)}", chunk)
            for r in rows:
                out[r["key"]] = job_from_row(r)
        return out

    def left_down(self, environment: str, host: str, dock_status_ids: list[str]) -> list[Job]:
        """Bounces of these dock status IDs that left their resource down (no redeploy)."""
        where, args = of_platform(environment, host)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE {where} AND error_kind = 'bounce_incomplete' "
            f"AND dock_status_id IN {marks(dock_status_ids)}",
            (*args, *dock_status_ids),
        ).fetchall()
        return [job_from_row(r) for r in rows]

    def replaced_attempts(self, host: str, dock_status_ids: list[str]) -> dict[str, Job]:
        """ID -> the job (with its timeline) whose retry replaced the attempt of that dock
        status ID, in any environment on ``host``'s platform (a dock status ID is the
        platform's). One pass over the retries' transitions: they are few."""
        wanted = set(dock_status_ids)
        rows = self._db.execute(
            "SELECT t.job_key, t.detail FROM transitions AS t JOIN jobs ON jobs.key = t.job_key "
            f"WHERE jobs.host IN {marks(hosts := same_platform(host))} "
            "AND t.detail LIKE '%attempt % ended %(ds-%'",
            hosts,
        ).fetchall()
        keys = {
            found: r["job_key"]
            for r in rows
            for found in replaced_attempt_ids(r["detail"])
            if found in wanted
        }
        jobs = self.jobs(set(keys.values()))
        timelines = self.timelines(list(jobs))
        return {
            found: replace(jobs[key], timeline=timelines.get(key, ()))
            for found, key in keys.items()
            if key in jobs
        }

    def unfinished(self, environment: str, host: str) -> list[Job]:
        """Jobs of ``environment`` on ``host`` not final (an untracked one still blocks)."""
        where, args = of_platform(environment, host)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE {where} AND state IN "
            "('QUEUED', 'SUBMITTING', 'IN_PROGRESS') ORDER BY created_at",
            args,
        ).fetchall()
        return [job_from_row(r) for r in rows]

    def last_deploy(self, host: str, resource_id: str) -> Job | None:
        """The last DEPLOY this tool sent for the resource on the host that has parameters
        (a verified SUCCESS first, else the newest). A bounce's first half counts: its
        parameters are the ones typed for its redeploy, which a process that stopped
        before sending it never recorded on a DEPLOY (an undeploy has none otherwise)."""
        row = self._db.execute(
            f"SELECT * FROM jobs WHERE host IN {marks(hosts := same_platform(host))} "
            "AND model_id = ? AND origin = 'sent' AND params IS NOT NULL "
            "ORDER BY state = 'SUCCESS' DESC, created_at DESC, rowid DESC LIMIT 1",
            (*hosts, resource_id),
        ).fetchone()
        return job_from_row(row) if row is not None else None

    def deploy_since(self, host: str, resource_id: str, since: str) -> Job | None:
        """The newest DEPLOY of the resource on the host created after ``since`` that has
        not failed (SUCCESS, in flight, TIMED_OUT or UNKNOWN), from any process."""
        row = self._db.execute(
            f"SELECT * FROM jobs WHERE host IN {marks(hosts := same_platform(host))} "
            "AND model_id = ? AND action = 'DEPLOY' AND created_at > ? "
            "AND state NOT IN ('FAILED', 'ERROR') ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (*hosts, resource_id, since),
        ).fetchone()
        return job_from_row(row) if row is not None else None

    def left_down_resource(self, host: str, resource_id: str) -> list[Job]:
        """Bounces of the resource on the host's platform that left it down (any
        environment name, any process): a verified deploy of it brings it back."""
        row_set = self._db.execute(
            f"SELECT * FROM jobs WHERE host IN {marks(hosts := same_platform(host))} "
            "AND model_id = ? AND error_kind = 'bounce_incomplete' AND state = 'SUCCESS'",
            (*hosts, resource_id),
        ).fetchall()
        return [job_from_row(r) for r in row_set]

    def stranded_bounces(self, environment: str, host: str) -> list[Job]:
        """Bounces whose undeploy is SUCCESS but whose redeploy was never admitted (the
        process stopped in between): reported, never sent on their own."""
        where, args = of_platform(environment, host)
        rows = self._db.execute(
            f"SELECT * FROM jobs AS j WHERE {where} AND then_action IS NOT NULL "
            "AND state = 'SUCCESS' AND NOT EXISTS (SELECT 1 FROM jobs WHERE parent = j.key) "
            "ORDER BY created_at",
            args,
        ).fetchall()
        return [job_from_row(r) for r in rows]

    def created_since(self, environment: str, host: str, since: str) -> list[Job]:
        """Jobs of ``environment`` on ``host`` created at or after ``since`` (ISO time), by
        any process, oldest first."""
        where, args = of_platform(environment, host)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE {where} AND created_at >= ? ORDER BY created_at",
            (*args, since),
        ).fetchall()
        return [job_from_row(r) for r in rows]

    def changed_since(self, environment: str, host: str, since: str) -> list[Job]:
        """Jobs of ``environment`` on ``host`` written at or after ``since``, by any
        process, oldest change first."""
        where, args = of_platform(environment, host)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE {where} AND updated_at >= ? ORDER BY updated_at",
            (*args, since),
        ).fetchall()
        return [job_from_row(r) for r in rows]

    def timed_out_since(self, environment: str, host: str, since: str) -> list[Job]:
        where, args = of_platform(environment, host)
        rows = self._db.execute(
            f"SELECT * FROM jobs WHERE {where} AND state = 'TIMED_OUT' "
            "AND dock_status_id IS NOT NULL AND updated_at >= ? ORDER BY created_at",
            (*args, since),
        ).fetchall()
        return [job_from_row(r) for r in rows]

    def history(
        self,
        environment: str | None = None,
        limit: int = 50,
        *,
        host: str | None = None,
        with_timelines: bool = False,
    ) -> list[Job]:
        """Newest first; of one environment (on one host's platform, when given)."""
        where, args = of_platform(environment, host) if environment and host else ("", ())
        if environment and not host:
            where, args = "environment = ?", (environment,)
        rows = self._db.execute(
            f"SELECT * FROM jobs {'WHERE ' + where if where else ''} "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        if not with_timelines:
            return [job_from_row(r) for r in rows]
        timelines = self.timelines([r["key"] for r in rows])
        return [job_from_row(r, timelines.get(r["key"], ())) for r in rows]

    def timeline(self, key: str) -> tuple[Transition, ...]:
        return self.timelines([key]).get(key, ())

    def timelines(self, keys: list[str]) -> dict[str, tuple[Transition, ...]]:
        """Every transition of these jobs in one query per 500 keys (not one per job)."""
        out: dict[str, list[Transition]] = {}
        for chunk in chunks(keys):
            rows = self._db.execute(
                "SELECT job_key, at, state, http_status, detail FROM transitions "
                f"WHERE job_key IN {marks(chunk)} ORDER BY id",
                chunk,
            )
            for r in rows:
                out.setdefault(r["job_key"], []).append(
                    Transition(r["at"], state_of(r["state"]), r["detail"], r["http_status"])
                )
        return {k: tuple(v) for k, v in out.items()}
