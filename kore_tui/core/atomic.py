"""Atomic, private file writes: temp file in the same folder, fsync, then rename (replace)
or link (create only)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (mode 0600) so that a crash leaves old or new, never half."""
    if path.is_symlink():
        raise OSError(f"{path} is a symbolic link; refusing to replace it (edit it by hand)")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def create_private(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600) holding ``data``; never replace a file, never make a folder.

    Raises FileExistsError if anything (a dangling symlink too) is at ``path``, and
    FileNotFoundError if its folder is missing. ``open(O_CREAT | O_EXCL)`` on ``path``
    itself would be exclusive too, but a crash mid-write would leave a half-written file
    under the name asked for. So the data goes to a temp file in the same folder first
    and ``os.link`` publishes it: the link is atomic, fails if the name is taken (the
    check and the creation are one step, unlike exists() then rename), and never follows
    a symlink. A crash leaves no file or the whole file (at worst a hidden complete temp).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # closes fd even if fchmod fails
            os.fchmod(fd, 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(fd)
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
