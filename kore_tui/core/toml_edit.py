"""Edit a TOML file in place, keeping what a person wrote in it.

Read the file as it is now, parse it twice (tomllib-based validation by the
caller, and tomlkit for a document that keeps comments, order and layout),
apply one targeted change, verify the result, and replace the file atomically
(0600). The read-change-write runs under an advisory lock, so two kore-tui
processes (``env add`` while the console saves its theme) never lose each
other's change.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.toml_document import TOMLDocument

from kore_tui.core.atomic import write_private
from kore_tui.core.errors import KoreError
from kore_tui.core.text import inert

T = TypeVar("T")


class TomlEditError(KoreError):
    pass


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename still keeps the file whole
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def edit_toml_file(
    path: Path,
    load: Callable[[Path, bytes | None], T],
    change: Callable[[TOMLDocument, T], T],
    verify: Callable[[str, T], None],
) -> T:
    """``load`` validates the current bytes (None: no file) and raises if they are bad, so
    a broken file is never written; ``change`` edits the document and returns the value it
    means to produce; ``verify`` checks the new text loads as that value."""
    with _locked(path):
        try:
            raw: bytes | None = path.read_bytes()
        except FileNotFoundError:
            raw = None
        current = load(path, raw)
        text = raw.decode("utf-8") if raw is not None else ""
        try:
            doc = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise TomlEditError(
                f"{path}: cannot be edited safely ({inert(str(exc), 120)}); edit it by hand"
            ) from None
        wanted = change(doc, current)
        new_text = tomlkit.dumps(doc)
        if raw is not None and new_text == text:
            return wanted  # nothing changed: leave the file (and its mtime) alone
        verify(new_text, wanted)
        write_private(path, new_text.encode("utf-8"))
        return wanted
