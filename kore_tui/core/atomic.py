"""Atomic, private file writes: temp file in the same folder, fsync, then rename (replace)
or link (create only)."""

from __future__ import annotations

import contextlib
import errno
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

    A filesystem without hard links (vfat, some network mounts: EPERM, EOPNOTSUPP,
    EXDEV) gets an exclusive open instead: still never a replaced file, but a crash
    mid-write there can leave a partial file under the name.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # closes fd even if fchmod fails
            os.fchmod(fd, 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(fd)
        try:
            os.link(tmp, path)
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            _create_exclusive(path, data)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# What link(2) answers where the filesystem has no hard links (not "the name exists").
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


def _create_exclusive(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)  # ours (O_EXCL made it): half a file is worse than none
        raise
