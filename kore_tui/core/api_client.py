"""Async client for the platform's calls: deploy and undeploy (models and tools), and
Get Dock Status. Every POST that starts a job goes through one entry point,
:meth:`KoreClient.start_job`, routed by a table of (resource kind, action) (api_routes).

One client per environment. The key travels only as the ``x-api-key`` header,
added per request by an auth flow so it never sits in the client's default
headers (which a debugging repr could print). Redirects are never followed:
a redirect to another host would carry the key there. Bodies are read with a
size cap that holds after decompression too (api_body). Every call has a total
time budget, and a call cut off by it says whether it may have been sent (api_send).
Responses and connection failures become our exception types in api_errors.

Loopback hosts (the simulator) never go through a proxy whatever the
environment says: they are plain http, and a proxy would see the key in clear.
Other hosts are https and follow HTTPS_PROXY / NO_PROXY (httpx ``trust_env``);
through a proxy, https travels in a CONNECT tunnel the proxy cannot read.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Generator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from kore_tui import __version__
from kore_tui.core import errors, tls
from kore_tui.core.api_body import MAX_BODY_BYTES, read_capped, single
from kore_tui.core.api_errors import error_for_response, parse_retry_after, transport_error
from kore_tui.core.api_routes import check_query, encode_body, route_for
from kore_tui.core.api_send import DEFAULT_BUDGET, SendTracker
from kore_tui.core.hosts import is_loopback_host, normalize_host
from kore_tui.core.ids import DOCK_STATUS_PREFIX, path_segment
from kore_tui.core.keys import check_key
from kore_tui.core.models import AcceptedJob, DockStatus
from kore_tui.core.resources import PREFIXES, ResourceKind
from kore_tui.core.secret import Secret, key_spellings
from kore_tui.core.text import excerpt_bytes, inert

# The client's public surface, wherever each piece now lives.
__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "USER_AGENT",
    "KoreClient",
    "error_for_response",
    "parse_retry_after",
    "ssl_context",
]

USER_AGENT = f"kore-tui/{__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=60.0)


class _ApiKeyAuth(httpx.Auth):
    def __init__(self, key: Secret) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["x-api-key"] = self._key.reveal()
        yield request

    def __repr__(self) -> str:
        return f"_ApiKeyAuth({self._key!r})"


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """TLS verification: the system/certifi default, or only the CAs in ``ca_bundle``
    (each loaded once per process: core/tls)."""
    if ca_bundle is None:
        return tls.default_context()
    try:
        return tls.bundle_context(ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise errors.KoreError(
            f"ca_bundle {inert(ca_bundle, 120)!r} is not a readable PEM CA file: "
            f"{inert(str(exc), 120)}"
        ) from None


def _verification(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext | bool:
    if verify is True:
        return tls.default_context()  # httpx would parse the CA file again for each client
    return ssl_context(verify) if isinstance(verify, str) else verify


class KoreClient:
    """One environment's API client. Use as ``async with KoreClient(...) as c``."""

    def __init__(
        self,
        host: str,
        api_key: Secret,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        budget: float = DEFAULT_BUDGET,
        max_connections: int = 32,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | str | bool = True,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        if not isinstance(api_key, Secret):
            raise TypeError("api_key must be a Secret")
        check_key(api_key)
        if not budget > 0:
            raise ValueError("budget must be positive")
        self.host = normalize_host(host)
        self._key = api_key
        self._max_body = max_body_bytes
        self.budget = float(budget)
        # Only httpcore (httpx's own transport) reports the send phase through the trace
        # extension; with any other transport a request cut off by the budget may have gone
        # out, so it is never called "not sent".
        self._send_phase_known = transport is None
        hostname = urlsplit(self.host).hostname or ""
        self._http = httpx.AsyncClient(
            base_url=self.host,
            auth=_ApiKeyAuth(api_key),
            headers={
                "user-agent": USER_AGENT,
                "accept": "application/json",
                "accept-encoding": "identity",
            },
            timeout=timeout,
            follow_redirects=False,
            verify=_verification(verify),
            # Loopback is plain http: never hand it (and its key header) to a proxy.
            trust_env=not is_loopback_host(hostname),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"KoreClient(host={self.host!r}, api_key={self._key!r})"

    async def __aenter__(self) -> KoreClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def replace_key(self, api_key: Secret) -> None:
        """Use another key from the next request on (the operator typed a new one)."""
        if not isinstance(api_key, Secret):
            raise TypeError("api_key must be a Secret")
        check_key(api_key)
        self._key = api_key
        self._http.auth = _ApiKeyAuth(api_key)

    async def _call(
        self,
        method: str,
        path: str,
        budget: float | None,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> tuple[int, Any]:
        limit = self.budget if budget is None else max(0.0, budget)
        tracker = SendTracker()
        headers = {"content-type": "application/json"} if method == "POST" else None
        request = self._http.build_request(
            method,
            path,
            headers=headers,
            params=params,
            content=content,
            extensions={"trace": tracker},
        )
        # Not asyncio.wait_for: on 3.11 it can swallow a cancellation racing the timeout.
        try:
            async with asyncio.timeout(limit):
                status, response_headers, body = await self._exchange(request)
        except TimeoutError:
            raise tracker.budget_error(limit, phase_known=self._send_phase_known) from None
        if not 200 <= status < 300:
            raise error_for_response(status, self._headers_key_masked(response_headers), body)
        try:
            return status, json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise errors.ResponseFormatError(
                f"HTTP {status} with a body that is not JSON: {excerpt_bytes(body)}", status
            ) from None

    async def _exchange(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        try:
            response = await self._http.send(request, stream=True)
            try:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self._max_body:
                    raise errors.ResponseFormatError(
                        f"response of {int(declared)} bytes refused (limit {self._max_body})",
                        response.status_code,
                    )
                raw: AsyncIterator[bytes]
                if response.is_stream_consumed:
                    # Built in memory (a MockTransport's bytes): httpx has decoded it already.
                    raw, encoding = single(response.content), ""
                else:
                    raw = response.aiter_raw()
                    encoding = response.headers.get("content-encoding", "")
                body = self._key_masked(
                    await read_capped(raw, encoding, self._max_body, response.status_code)
                )
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise transport_error(exc) from None
        return response.status_code, response.headers, body

    def _key_masked(self, body: bytes) -> bytes:
        """The body with every copy of our own key masked. A server that echoes the x-api-key
        header (an error message, a proxy's HTML title, a dock status repeating the request)
        put the key in full on screen, in CLI output, in the journal and in exports; this is
        the one place every answer passes before anything reads it. Escaped copies too
        (JSON with or without "\\/", HTML, URL): a break-it run's server JSON-escaped a
        base64-style key and it came out whole once decoded."""
        masked = self._key.masked.encode()
        for spelling in key_spellings(self._key.reveal()):
            if spelling in body:
                body = body.replace(spelling, masked)
        return body

    def _headers_key_masked(self, headers: httpx.Headers) -> httpx.Headers:
        """The headers of an error answer, our key masked in each value: the error quotes
        Location ("redirect to … not followed"), and a login page's return address may carry
        the key. Only on errors, which are rare: a 2xx answer's headers are never shown."""
        return httpx.Headers([(name, self._key_masked(value)) for name, value in headers.raw])

    async def start_job(
        self,
        resource: str,
        action: str,
        resource_id: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str] | None = None,
        budget: float | None = None,
    ) -> AcceptedJob:
        """POST the call that starts ``action`` on a model or tool; the server's job answer.

        ``resource`` is "model" or "tool", ``action`` "UNDEPLOY" or "DEPLOY". Undeploys take
        no body; a model deploy needs ``query={"modelType": ...}`` and its JSON body, a tool
        deploy the body ``{"isAsync": ...}``. The body is sent as given: validating it is the
        caller's job (deploy_params), done before anything reaches here. A request this
        route cannot take raises ValueError and sends nothing. ``budget`` overrides the
        client's total time budget for this call (a synchronous tool deploy answers only
        when its job is done, so give it room).
        """
        route = route_for(resource, action)
        segment = path_segment(resource_id, PREFIXES[ResourceKind(resource)])
        content = encode_body(route, body)
        params = check_query(route, query)
        status, answer = await self._call(
            "POST",
            f"/api/public/{route.collection}/{segment}/{route.verb}",
            budget,
            params=params,
            content=content,
        )
        try:
            return AcceptedJob.from_json(answer)
        except errors.ResponseFormatError as exc:
            raise errors.ResponseFormatError(str(exc), status) from None

    async def dock_status(self, dock_status_id: str, *, budget: float | None = None) -> DockStatus:
        """GET dock status; ``budget`` overrides the client's total time budget for this call."""
        segment = path_segment(dock_status_id, DOCK_STATUS_PREFIX)
        status, body = await self._call("GET", f"/api/public/dock-status/{segment}", budget)
        try:
            return DockStatus.from_json(body)
        except errors.ResponseFormatError as exc:
            raise errors.ResponseFormatError(str(exc), status) from None
