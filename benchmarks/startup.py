"""Start-up times, as an operator experiences them. Prints one JSON document.

* ``version_ms``: ``kore-tui --version`` wall time (median of 20), via the
  installed entry-point script, not a shell shim. Target <= 100 ms.
* ``demo_first_frame_s``: ``kore-tui --demo`` in a pseudo-terminal, from exec
  to the first frame that shows the banner and the ID box (median of 5).
  Target <= 1 s.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


def entry_point() -> list[str]:
    script = Path(sysconfig.get_path("scripts")) / "kore-tui"
    if script.exists():
        return [str(script)]
    found = shutil.which("kore-tui")
    return [found] if found else [sys.executable, "-m", "kore_tui"]


def version_ms(runs: int = 20) -> float:
    cmd = [*entry_point(), "--version"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def first_frame_s(timeout: float = 15.0) -> float:
    pid, fd = pty.fork()
    if pid == 0:  # child: a 120x36 terminal running the demo
        os.environ.update({"COLUMNS": "120", "LINES": "36", "TERM": "xterm-256color"})
        cmd = [*entry_point(), "--demo"]
        os.execv(cmd[0], cmd)
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    start = time.perf_counter()
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if b"demo" in seen and b"ctrl+u undeploy" in seen:
                elapsed = time.perf_counter() - start
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    if elapsed is None:
        raise RuntimeError("no first frame within the timeout")
    return elapsed


def main() -> None:
    frames = [first_frame_s() for _ in range(5)]
    print(
        json.dumps(
            {
                "benchmark": "startup",
                "version_ms": round(version_ms(), 1),
                "demo_first_frame_s": round(statistics.median(frames), 3),
                "demo_first_frame_runs_s": [round(f, 3) for f in frames],
                "target_version_ms": 100,
                "target_first_frame_s": 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
