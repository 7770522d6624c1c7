"""Forced answer shapes that damage *how* an answer arrives, not what it says.

The handler runs normally (an undeploy really starts), then its answer is sent
either one byte at a time with a pause between bytes ("drip": every byte resets
a client's read timeout, so only a total budget ends the request), or gzipped
behind megabytes of JSON whitespace ("gzip_bomb": about 200 KB on the wire,
hundreds of MB once inflated, yet still valid JSON for a client that inflates
it all). Both are deterministic, queued through ``/_sim/force``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import zlib
from typing import Any

from aiohttp import web

SHAPES = ("drip", "gzip_bomb")
DEFAULT_DRIP_SECONDS = 5.0
DEFAULT_BOMB_BYTES = 200 * 1024 * 1024
MAX_BOMB_BYTES = 1024 * 1024 * 1024


@functools.lru_cache(maxsize=4)
def bomb_prefix(inflated: int) -> tuple[bytes, Any]:
    """(gzip bytes of ``inflated`` spaces, the compressor to finish with), built once per size.

    Compressed in 1 MiB steps so building it never holds the inflated size in memory.
    The compressor is copied per answer and fed the real body, then flushed.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1024 * 1024)
    parts = []
    left = inflated
    while left > 0:
        parts.append(compressor.compress(block[: min(left, len(block))]))
        left -= len(block)
    return b"".join(parts), compressor


def gzip_bomb(body: bytes, inflated: int) -> bytes:
    prefix, compressor = bomb_prefix(inflated)
    finish = compressor.copy()
    tail: bytes = finish.compress(body) + finish.flush()
    return prefix + tail


def _number(forced: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = forced.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{key!r} must be a number between {low:g} and {high:g}")
    return float(value)


def validate(forced: dict[str, Any]) -> None:
    """Raise ValueError for a shape the simulator cannot honour (checked when queued)."""
    if forced.get("mode") == "drip":
        _number(forced, "interval", DEFAULT_DRIP_SECONDS, 0.0, 3600.0)
    elif forced.get("mode") == "gzip_bomb":
        _number(forced, "inflated", DEFAULT_BOMB_BYTES, 0, MAX_BOMB_BYTES)


async def apply(
    request: web.Request,
    response: web.StreamResponse,
    forced: dict[str, Any],
    stopping: asyncio.Event,
) -> web.StreamResponse:
    body = bytes(getattr(response, "body", b"") or b"")
    headers = {"Content-Type": response.headers.get("Content-Type", "application/json")}
    if forced["mode"] == "gzip_bomb":
        inflated = int(_number(forced, "inflated", DEFAULT_BOMB_BYTES, 0, MAX_BOMB_BYTES))
        packed = gzip_bomb(body, inflated)
        headers["Content-Encoding"] = "gzip"
        return web.Response(status=response.status, body=packed, headers=headers)
    interval = _number(forced, "interval", DEFAULT_DRIP_SECONDS, 0.0, 3600.0)
    headers["Content-Length"] = str(len(body))
    stream = web.StreamResponse(status=response.status, headers=headers)
    await stream.prepare(request)
    try:
        for index in range(len(body)):
            await stream.write(body[index : index + 1])
            # Waiting on the stop event (not a bare sleep) lets the simulator shut down
            # at once instead of waiting out a slow drip.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await stopping.wait()
            if stopping.is_set():
                break
        else:
            await stream.write_eof()
    except ConnectionError:
        stream._sim_dropped = True  # type: ignore[attr-defined]
    return stream
