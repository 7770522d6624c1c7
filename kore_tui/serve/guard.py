"""Who may talk to the served console: one pure decision and the middleware around it.

A browser tab on any site can send requests to 127.0.0.1, and a DNS-rebinding site can
make its own name resolve there, so binding to loopback is not enough:
- every path starts with a random token that only the printed URL carries;
- the Host header must name the loopback address and our port (a rebinding page sends
  its own host name);
- an Origin, when the browser sends one (it does on websockets), must be ours too.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Headers on every answer: the token is in the URL, so it must not travel on as a
# Referer, sit in a cache, or be framed by another page.
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def new_token() -> str:
    """32 URL-safe characters (192 bits): fits a path segment without escaping."""
    return secrets.token_urlsafe(24)


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def refusal(
    *, path: str, host: str | None, origin: str | None, token: str, port: int
) -> str | None:
    """None if the request may go on, else why it is refused (said in the 403 body;
    it never echoes what the request sent)."""
    if host is None or host.lower() not in allowed_hosts(port):
        return "the Host header must be 127.0.0.1 or localhost with this server's port"
    if origin is not None and origin.lower() not in {f"http://{h}" for h in allowed_hosts(port)}:
        return "requests from another site are refused"
    first, slash, _rest = path.removeprefix("/").partition("/")
    if not slash or not secrets.compare_digest(first.encode(), token.encode()):
        return "open the URL that 'kore-tui serve' printed: it holds the access token"
    return None


def guard_middleware(
    token: str, port: Callable[[], int]
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """aiohttp middleware applying :func:`refusal` before any route (page, websocket,
    static files, downloads). ``port`` is read per request: the server learns its port
    only once bound (``--port 0``)."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        why = refusal(
            path=request.path,
            host=request.headers.get("Host"),
            origin=request.headers.get("Origin"),
            token=token,
            port=port(),
        )
        if why is not None:
            return web.Response(status=403, text=f"403 Forbidden: {why}\n")
        return await handler(request)

    return guard


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: the headers above on every answer, refusals included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
