"""Host URL rules: https everywhere except loopback (the simulator)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from kore_tui.core.errors import InsecureHostError
from kore_tui.core.text import inert

_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


def _is_ip(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def is_loopback_host(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_host(url: str) -> str:
    """``https://host[:port]`` with no path, query or credentials; raises on anything unsafe."""
    raw = url.strip()
    shown = inert(url, 80)
    # urlsplit silently deletes tabs and newlines; a host with any must be refused, not fixed.
    if any(ch.isspace() or not ch.isprintable() for ch in raw):
        raise InsecureHostError(f"host contains spaces or control characters: {shown!r}")
    if "://" not in raw:
        raw = "https://" + raw
    try:
        # Raises ValueError on a broken IPv6 bracket ("https://[::1") and on a bracketed
        # host that is not an IP address; the caller gets our error, not a traceback.
        parts = urlsplit(raw)
        hostname = parts.hostname
    except ValueError:
        raise InsecureHostError(f"host is not a valid URL: {shown!r}") from None
    if parts.scheme not in {"http", "https"}:
        raise InsecureHostError(f"host must start with https:// (got {shown!r})")
    # "kore.ai." is "kore.ai" (the root's dot): one spelling per host, see below.
    if hostname and hostname.endswith(".") and not _is_ip(hostname):
        hostname = hostname[:-1]
    if not hostname:
        raise InsecureHostError(f"host has no host name: {shown!r}")
    if not _HOSTNAME.fullmatch(hostname) and not _is_ip(hostname):
        raise InsecureHostError(f"host name is not valid: {shown!r}")
    if parts.username or parts.password:
        raise InsecureHostError("host must not contain credentials")
    if parts.query or parts.fragment or parts.path not in {"", "/"}:
        raise InsecureHostError(f"host must be a bare URL without a path (got {shown!r})")
    if parts.scheme == "http" and not is_loopback_host(hostname):
        raise InsecureHostError(
            f"host must use https:// (plain http is allowed only for loopback): {shown!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise InsecureHostError(f"host has an invalid port (1-65535): {shown!r}") from None
    if port == 0:
        raise InsecureHostError(f"host has an invalid port (1-65535): {shown!r}")
    # The journal knows a job by its host as written here: two spellings of one platform
    # ("…kore.ai:443" in a config, "…kore.ai" in KORE_HOST) were two hosts, and two runs
    # each POSTed every model. A default port is dropped (the URL is the same one).
    if _DEFAULT_PORTS.get(parts.scheme) == port:
        port = None
    netloc = hostname if ":" not in hostname else f"[{hostname}]"
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc.lower()}"


_DEFAULT_PORTS = {"http": 80, "https": 443}
# One machine's loopback under the names it answers to: connected to as written (a server
# may listen on one of them only), but one platform to the journal.
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def same_platform(host: str) -> tuple[str, ...]:
    """Every spelling of the normalized ``host`` that names the same platform, itself
    first: loopback's names (localhost, 127.0.0.1, ::1), and the default port written
    out (as journals kept it before normalize_host dropped it)."""
    parts = urlsplit(host)
    hostname = parts.hostname or ""
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    names = _LOOPBACK_NAMES if netloc in _LOOPBACK_NAMES else (netloc,)
    port = parts.port
    ports = [f":{port}"] if port is not None else ["", f":{_DEFAULT_PORTS[parts.scheme]}"]
    spellings = [f"{parts.scheme}://{name}{p}" for name in names for p in ports]
    return tuple(dict.fromkeys([host, *spellings]))
