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
    netloc = hostname if ":" not in hostname else f"[{hostname}]"
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc.lower()}"
