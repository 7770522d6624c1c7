"""Read a file of IDs for the console without ever blocking on it.

``open()`` on a FIFO blocks until a writer appears; a worker thread stuck there
kept the process alive at quit. The file is opened non-blocking and checked to
be a regular file of bounded size before a byte is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_ID_FILE_BYTES = 16 * 1024 * 1024


class IdFileError(Exception):
    """A file that cannot be loaded as IDs; the message says why, for the operator."""


def read_id_file(path: str | Path, limit: int = MAX_ID_FILE_BYTES) -> str:
    target = Path(path).expanduser()
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise IdFileError(exc.strerror or type(exc).__name__) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a directory"
                if stat.S_ISDIR(info.st_mode)
                else "a FIFO (named pipe)"
                if stat.S_ISFIFO(info.st_mode)
                else "a device or socket"
            )
            raise IdFileError(f"it is {kind}, not a regular file")
        if info.st_size > limit:
            raise IdFileError(
                f"it is {info.st_size / 2**20:.1f} MiB; the limit is "
                f"{limit / 2**20:.0f} MiB (split it)"
            )
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the file object owns it now
            data = handle.read(limit + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:  # it grew while we read
        raise IdFileError(f"it is over the {limit / 2**20:.0f} MiB limit")
    return data.decode("utf-8", errors="replace")
