"""A journal that fills up mid-run: a clear error, nothing sent without its intent, no
corruption."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter

from kore_tui.core.journal import Journal
from kore_tui.simulator import Simulator
from tests.conftest import sim_config
from tests.helpers import admin, make_engine


async def test_full_journal_stops_sending_and_stays_consistent() -> None:
    sim = Simulator(sim_config(models=300, job_seconds=(0.0, 0.1)))
    await sim.start()
    journal = Journal()
    try:
        engine = make_engine(sim.url, journal=journal)
        engine.start()
        engine.undeploy(sim.model_ids)
        # "Disk full" from here on: the database may not grow past its current size.
        pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
        journal._db.execute(f"PRAGMA max_page_count = {pages + 2}")
        await asyncio.wait_for(engine.wait_settled(), 60)
        await engine.aclose()
        await engine.client.aclose()
        jobs = engine.store.snapshot()
        states = Counter(j.state for j in jobs)
        not_sent = [j for j in jobs if j.error_kind == "journal"]
        assert not_sent, f"the journal never filled up: {states}"
        assert all(
            "journal write failed" in (j.error or "") and "full" in (j.error or "")
            for j in not_sent
        )
        assert engine.store.health.journal_error
        counters = await admin(sim.url, "/_sim/counters")
        posted = set(counters["undeployAccepted"])
        assert not posted & {j.model_id for j in not_sent}, "a POST went out without its intent"
        assert max(counters["undeployAccepted"].values(), default=0) <= 1
    finally:
        journal.close()
        await sim.stop()
    check = sqlite3.connect(journal.path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = check.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    check.close()
    assert rows == 300  # the admitted jobs (QUEUED) were committed before the disk filled
