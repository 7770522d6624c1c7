"""From what the server (or the connection) did to one of our exception types.

Server text goes through :func:`inert` before it lands in a message: it is shown on
screen and written to the journal, and must not carry markup or terminal escapes.
"""

from __future__ import annotations

import email.utils
import json
import ssl
import time
from typing import Any

import httpx

from kore_tui.core import errors
from kore_tui.core.text import excerpt_bytes, inert

_MAX_RETRY_AFTER = 3600.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)


def _retry_after_ms(body: Any) -> float | None:
    candidates: list[Any] = []
    if isinstance(body, dict):
        candidates.append(body.get("retryAfterMs"))
        if isinstance(body.get("error"), dict):
            candidates.append(body["error"].get("retryAfterMs"))
    for value in candidates:
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return min(float(value) / 1000.0, _MAX_RETRY_AFTER)
    return None


def _error_fields(body_bytes: bytes) -> tuple[str | None, str, Any]:
    """(code, message, parsed body) from either platform envelope or a raw excerpt."""
    try:
        body = json.loads(body_bytes) if body_bytes.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None, excerpt_bytes(body_bytes), None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("code")
            message = err.get("message")
            return (
                inert(code, 40) if isinstance(code, str) else None,
                inert(message) if isinstance(message, str) else "(no message)",
                body,
            )
        if isinstance(err, str):
            return None, inert(err), body
        message = body.get("message")
        if isinstance(message, str):
            code = body.get("code")
            return (inert(code, 40) if isinstance(code, str) else None), inert(message), body
    if body is None:
        return None, "(empty body)", None
    return None, inert(json.dumps(body)[:200]), body


_STATUS_CLASSES: dict[int, type[errors.ApiError]] = {
    400: errors.BadRequestError,
    401: errors.AuthError,
    403: errors.AuthError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    413: errors.BadRequestError,
    422: errors.BadRequestError,
    429: errors.RateLimitedError,
}


def error_for_response(status: int, headers: httpx.Headers, body_bytes: bytes) -> errors.ApiError:
    code, message, body = _error_fields(body_bytes)
    if 300 <= status < 400:
        location = inert(headers.get("location", "?"), 120)
        return errors.UnexpectedStatusError(status, f"redirect to {location} not followed", code)
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = errors.ServerError if status >= 500 else errors.UnexpectedStatusError
    retry_after = None
    if status == 429:
        from_header = parse_retry_after(headers.get("retry-after"))
        from_body = _retry_after_ms(body)
        known = [v for v in (from_header, from_body) if v is not None]
        retry_after = max(known) if known else None
    return cls(status, message, code, retry_after=retry_after)


def transport_error(exc: httpx.HTTPError) -> errors.KoreError:
    text = inert(str(exc) or type(exc).__name__, 200)
    if isinstance(exc, httpx.ConnectError):
        if isinstance(exc.__context__, ssl.SSLError) or "SSL" in text or "certificate" in text:
            return errors.TlsError(f"TLS verification failed: {text}")
        return errors.ConnectFailedError(f"connection failed: {text}")
    if isinstance(exc, httpx.ProxyError):
        # Only a CONNECT tunnel raises it: the proxy refused before our request went through.
        return errors.ConnectFailedError(f"the proxy refused the connection: {text}")
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return errors.ConnectFailedError(f"connect timed out: {type(exc).__name__}")
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeoutError(f"no response in time ({type(exc).__name__})")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return errors.ConnectFailedError(f"bad URL: {text}")
    return errors.RequestMaybeSentError(f"connection broke: {type(exc).__name__}: {text}")
