"""Reading a response body with a size cap that holds after decompression too.

The client asks for no compression, but a server may send gzip anyway; we inflate it
ourselves in bounded steps, since a 200 KB gzip bomb is 200 MB inflated.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Any

from kore_tui.core import errors
from kore_tui.core.text import inert

MAX_BODY_BYTES = 1024 * 1024


def _decompressor(encoding: str) -> Any:
    """A zlib decompressor for the Content-Encoding, None for identity; raises if unsupported."""
    value = encoding.strip().lower()
    if value in {"", "identity"}:
        return None
    if value in {"gzip", "x-gzip"}:
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if value == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise errors.ResponseFormatError(
        f"response with unsupported Content-Encoding {inert(encoding, 40)!r} refused"
    )


async def read_capped(raw: AsyncIterator[bytes], encoding: str, cap: int, status: int) -> bytes:
    """The decoded body, refusing it as soon as it would exceed ``cap`` bytes.

    Decompression asks zlib for at most the room left (+1 to detect overflow), so a
    compressed bomb costs at most ``cap`` bytes of memory, not its inflated size.
    """

    def too_large() -> errors.ResponseFormatError:
        return errors.ResponseFormatError(f"response larger than {cap} bytes refused", status)

    inflater = _decompressor(encoding)
    chunks: list[bytes] = []
    size = raw_size = 0
    async for chunk in raw:
        raw_size += len(chunk)
        if raw_size > cap:
            raise too_large()
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, cap - size + 1)
            except zlib.error:
                raise errors.ResponseFormatError(
                    f"HTTP {status} with a corrupt {inert(encoding, 20)} body", status
                ) from None
            if inflater.unconsumed_tail:
                raise too_large()
        size += len(chunk)
        if size > cap:
            raise too_large()
        chunks.append(chunk)
    if inflater is not None:
        if not inflater.eof and raw_size:
            raise errors.ResponseFormatError(
                f"HTTP {status} with a truncated {inert(encoding, 20)} body", status
            )
        tail = inflater.flush()
        if size + len(tail) > cap:
            raise too_large()
        chunks.append(tail)
    return b"".join(chunks)


async def single(data: bytes) -> AsyncIterator[bytes]:
    """One in-memory body as the async stream :func:`read_capped` takes."""
    yield data
