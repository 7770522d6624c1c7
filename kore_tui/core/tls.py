"""TLS contexts, built once per process and shared by every client.

Building an ``ssl.SSLContext`` loads and parses a CA file: 18 to 24 ms of CPU each time on
the 2-core development machine. httpx builds a new one for every client it is not handed
one, and kore-tui builds a client per environment session (console), per run (CLI) and
per engine, so the same CA file was parsed again and again. A configured context is safe
to share between clients and threads (httpx and the standard library only read it), so
each CA source is loaded once.

A ``ca_bundle`` is keyed on its path *and* its modification time and size: an operator
who replaces the bundle file gets the new CAs on the next client, without a restart.
"""

from __future__ import annotations

import functools
import os
import ssl

import certifi


def default_context() -> ssl.SSLContext:
    """The context httpx would build by default: ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when
    set, else certifi's CAs."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else (os.environ.get("SSL_CERT_DIR") or None)
    if cafile is None and capath is None:
        cafile = certifi.where()
    return _load(cafile, capath, _stamp(cafile or capath or ""))


def bundle_context(ca_bundle: str) -> ssl.SSLContext:
    """A context trusting only the CAs in ``ca_bundle`` (raises OSError / ssl.SSLError)."""
    return _load(ca_bundle, None, _stamp(ca_bundle))


def _stamp(path: str) -> tuple[int, int]:
    try:
        info = os.stat(path)
    except OSError:
        return (-1, -1)  # _load raises the real error
    return (info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=16)
def _load(cafile: str | None, capath: str | None, stamp: tuple[int, int]) -> ssl.SSLContext:
    del stamp  # part of the cache key only
    return ssl.create_default_context(cafile=cafile, capath=capath)
