"""Every environment opened in a console session: its engine host and its jobs.

Plain Python (no Textual): the app owns one :class:`Sessions`, the main screen
shows one session's model at a time. An environment keeps its engine and its
rows when the operator looks at another one; there is never more than one
engine per environment name (``connecting`` guards the slow part: a key
command or a key prompt runs before the host exists).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kore_tui.core.config import Environment
from kore_tui.core.engine_host import EngineHost
from kore_tui.core.job import Job
from kore_tui.tui.jobs_model import JobsModel, is_stopped


def live_own(jobs: Iterable[Job], owner_id: str | None) -> list[Job]:
    """The jobs still tracked, not final, that the engine writing as ``owner_id`` checks
    itself (None: rows of a journal-less engine, or of older releases). The others are
    followed: their owner checks them, and resumes them."""
    return [j for j in jobs if j.tracking and not j.is_final and j.owner in (None, owner_id)]


@dataclass(eq=False)
class Session:
    env: Environment
    model: JobsModel = field(default_factory=JobsModel)
    host: EngineHost | None = None
    # The owner id its engine wrote under, kept once the engine is stopped at exit (the
    # exit hints count the jobs that were its own, not the ones it followed).
    writes_as: str | None = None
    # A connect (key lookup, host start) or a key prompt is pending for this environment.
    connecting: bool = False
    # The platform refused the key and the prompt for a new one was shown for this
    # reason: not shown again until the engine reports a fresh refusal.
    auth_prompted: str | None = None

    def take(self) -> tuple[list[Job], list[str]]:
        """The store's changes since the last call: (changed jobs, removed keys)."""
        if self.host is None:
            return [], []
        return self.host.store.drain_changed()

    @property
    def auth_error(self) -> str | None:
        """Why the platform refused this environment's key (sending is paused), if it did."""
        return self.host.store.health.auth_error if self.host is not None else None

    @property
    def unfinished(self) -> int:
        """Jobs still tracked by this environment's engine and not final (what quitting
        would leave to resume). Not the ones it follows: their owner (another process, or
        the session of another name for the same platform) tracks them. Quit asked about
        '3 in prod, 3 in stage' for 3 jobs, and 'status --env stage' found none of them."""
        mine = self.host.owner_id if self.host is not None else self.writes_as
        return len(live_own(self.model.jobs.values(), mine))


class Sessions:
    def __init__(self) -> None:
        self._by_name: dict[str, Session] = {}
        self.current: Session | None = None

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._by_name.values()))

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Session | None:
        return self._by_name.get(name)

    def open(self, env: Environment) -> Session:
        """The session for ``env`` (created on first use), made current; marks never carry."""
        session = self._by_name.get(env.name)
        if session is None:
            session = self._by_name[env.name] = Session(env)
        else:
            session.env = env
        if self.current is not session:
            session.model.marks.clear()
            if self.current is not None:
                self.current.model.marks.clear()
        self.current = session
        return session

    def close(self, name: str) -> Session | None:
        """Forget an environment (it was removed); the caller stops its host."""
        session = self._by_name.pop(name, None)
        if session is self.current:
            self.current = None
        return session

    def hosts(self) -> list[EngineHost]:
        return [s.host for s in self._by_name.values() if s.host is not None]

    def active_elsewhere(self) -> dict[str, int]:
        """Unfinished jobs per environment other than the current one (for the banner)."""
        return {
            s.env.name: n
            for s in self._by_name.values()
            if s is not self.current and (n := s.unfinished)
        }

    def paused(self) -> frozenset[str]:
        """Environments whose engine the operator paused (p): nothing is sent there."""
        return frozenset(
            s.env.name for s in self._by_name.values() if s.host and s.host.store.health.user_paused
        )

    def unfinished(self) -> dict[str, int]:
        return {s.env.name: n for s in self._by_name.values() if (n := s.unfinished)}

    def stopped(self) -> dict[str, list[str]]:
        """Dock status IDs of the jobs not final whose tracking was stopped (x), by lasting
        environment: nobody checks them once the console is closed."""
        found = {
            s.env.name: [j.dock_status_id for j in s.model.jobs.values() if is_stopped(j)]
            for s in self._by_name.values()
            if not s.env.ephemeral
        }
        return {name: [i for i in ids if i] for name, ids in found.items() if any(ids)}

    def pending_bounces(self) -> list[tuple[str, str]]:
        """(environment, resource ID) of the bounces whose redeploy is not decided yet
        (``then`` is cleared once it is queued or the bounce stops): quitting leaves those
        resources down."""
        return [
            (s.env.name, j.model_id or "?")
            for s in self._by_name.values()
            for j in s.model.jobs.values()
            if j.then
        ]
