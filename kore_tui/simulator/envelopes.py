"""The platform's error answers, in both of its envelope shapes."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def envelope(status: int, code: str, message: str, simple: bool) -> web.Response:
    """``{"success": false, "error": {code, message}}``, or the simplified ``{"error": msg}``."""
    body: dict[str, Any] = (
        {"error": message}
        if simple
        else {"success": False, "error": {"code": code, "message": message}}
    )
    return web.json_response(body, status=status)


def rate_limited(seconds: float) -> web.Response:
    body = {
        "success": False,
        "error": {
            "code": "RATE_LIMIT_EXCEEDED",
            "message": "Too many requests",
            "retryAfterMs": int(seconds * 1000),
        },
    }
    # Retry-After carries whole seconds; a sub-second pause is only in retryAfterMs.
    headers = {"Retry-After": str(round(seconds))} if seconds >= 1 else {}
    return web.json_response(body, status=429, headers=headers)
