"""Who owns a job: an owner lease per process, kept in the journal.

Every engine that writes jobs registers an owner row (host name, pid, the
process's start time, a heartbeat). Another process may act on a job's
behalf (declare it "never sent", re-check it, take over its polling) only
once that owner is dead. "Dead" is decided conservatively, because a wrong
"dead" can mean a second POST of a non-idempotent undeploy:

* an owner that ended cleanly is dead;
* on this machine, an owner whose pid is gone, or whose pid now belongs to
  a process started at another time (pid reuse), is dead at once: that is
  how a kill -9 is noticed without waiting;
* otherwise an owner is alive while its heartbeat is fresh. The same-machine
  window is long (a stopped or busy process keeps its jobs); another
  machine sharing the journal gets the short one.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

HEARTBEAT_EVERY = 5.0
# A heartbeat older than this means the owner is gone (another machine, or no pid check).
LEASE_TTL = 30.0
# On this machine the pid check decides; the heartbeat only bounds a hung or stopped process.
LOCAL_LEASE_TTL = 300.0


def _proc_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None where unknown."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (comm) may hold spaces and parentheses: split after its closing ')'.
    fields = raw[raw.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Owner:
    id: str
    pid: int
    hostname: str
    proc_start: str

    @classmethod
    def new(cls) -> Owner:
        """A fresh owner in this process. One per engine, not per process: two engines
        in one process (a console with two environments, a test) must not share jobs."""
        pid = os.getpid()
        start = _proc_start(pid) or f"t{time.time():.3f}"
        hostname = socket.gethostname()
        return cls(
            id=f"{hostname}:{pid}:{start}:{uuid.uuid4().hex[:8]}",
            pid=pid,
            hostname=hostname,
            proc_start=start,
        )

    def describe(self) -> str:
        return (
            f"pid {self.pid}"
            if self.hostname == socket.gethostname()
            else f"pid {self.pid} on {self.hostname}"
        )


@dataclass(frozen=True)
class OwnerRecord:
    owner: Owner
    heartbeat: float
    ended: bool


def is_alive(record: OwnerRecord | None, now: float | None = None) -> bool:
    """Conservative liveness: see the module docstring."""
    if record is None or record.ended:
        return False
    now = time.time() if now is None else now
    age = now - record.heartbeat
    owner = record.owner
    if owner.hostname != socket.gethostname():
        return age < LEASE_TTL
    if not _pid_exists(owner.pid):
        return False
    current = _proc_start(owner.pid)
    if current is not None and not owner.proc_start.startswith("t") and current != owner.proc_start:
        return False  # the pid was reused by another process
    return age < LOCAL_LEASE_TTL
