"""Async client for the platform's calls: deploy and undeploy (models and tools), and
Get Dock Status. Every POST that starts a job goes through one entry point,
:meth:`KoreClient.start_job`, routed by a table of (resource kind, action).

One client per environment. The key travels only as the ``x-api-key`` header,
added per request by an auth flow so it never sits in the client's default
headers (which a debugging repr could print). Redirects are never followed:
a redirect to another host would carry the key there. Bodies are read with a
size cap, so a hostile or broken server cannot make us buffer gigabytes; we ask
for no compression and decompress a server's gzip ourselves, in bounded steps,
so the cap holds after decompression too (a 200 KB gzip bomb is 200 MB inflated).

Every call has a total time budget on top of httpx's per-phase timeouts: a
server that drips one byte every few seconds restarts httpx's read timeout on
each byte and would keep a request alive forever. When the budget runs out we
say honestly whether the request may have reached the server, from httpx's
``trace`` extension: until the request headers start going out on a
connection, nothing was sent and a POST is safe to re-send.

Loopback hosts (the simulator) never go through a proxy whatever the
environment says: they are plain http, and a proxy would see the key in clear.
Other hosts are https and follow HTTPS_PROXY / NO_PROXY (httpx ``trust_env``);
through a proxy, https travels in a CONNECT tunnel the proxy cannot read.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from kore_tui import __version__
from kore_tui.core import errors
from kore_tui.core.hosts import is_loopback_host, normalize_host
from kore_tui.core.ids import DOCK_STATUS_PREFIX, path_segment
from kore_tui.core.keys import check_key
from kore_tui.core.models import AcceptedJob, DockStatus
from kore_tui.core.resources import PREFIXES, Action, ResourceKind
from kore_tui.core.secret import Secret
from kore_tui.core.text import excerpt_bytes, inert

USER_AGENT = f"kore-tui/{__version__}"
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=60.0)
# Whole-request budget: connect, send, headers and body. The engine may pass less per call
# (the time left to a job's deadline).
DEFAULT_BUDGET = 30.0
_MAX_RETRY_AFTER = 3600.0
# httpcore trace events that mean our request's bytes may be on the wire.
_SENDING_EVENTS = frozenset({"http11.send_request_headers.started",
                             "http2.send_request_headers.started"})


@dataclass(frozen=True)
class _Route:
    """How one (kind, action) is sent: path, whether it carries a JSON body, its query keys."""

    collection: str
    verb: str
    has_body: bool
    query_keys: frozenset[str] = frozenset()


_ROUTES: dict[tuple[ResourceKind, Action], _Route] = {
    (ResourceKind.MODEL, Action.UNDEPLOY): _Route("models", "undeploy", has_body=False),
    # modelType (openSource | fineTune) is required by the platform, in the query string.
    (ResourceKind.MODEL, Action.DEPLOY): _Route("models", "deploy", has_body=True,
                                                query_keys=frozenset({"modelType"})),
    (ResourceKind.TOOL, Action.UNDEPLOY): _Route("tools", "undeploy", has_body=False),
    (ResourceKind.TOOL, Action.DEPLOY): _Route("tools", "deploy", has_body=True),
}


def _route_for(resource: str, action: str) -> _Route:
    try:
        return _ROUTES[(ResourceKind(resource), Action(action))]
    except ValueError:
        raise ValueError(
            f"unknown job {resource!r}/{action!r}: resource is one of "
            f"{', '.join(ResourceKind)}, action one of {', '.join(Action)}") from None


def _encode_body(route: _Route, body: Mapping[str, Any] | None) -> bytes | None:
    """The JSON bytes of a POST body; refuses a body the call does not take, or lacks."""
    if not route.has_body:
        if body is not None:
            raise ValueError(f"{route.collection} {route.verb} takes no body")
        return None
    if body is None:
        raise ValueError(f"{route.collection} {route.verb} needs a JSON body")
    try:
        # allow_nan=False: NaN/Infinity are not JSON, and a server may read them as anything.
        return json.dumps(dict(body), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{route.collection} {route.verb} body is not JSON: {exc}") from None


def _check_query(route: _Route, query: Mapping[str, str] | None) -> dict[str, str] | None:
    given = dict(query or {})
    if set(given) != route.query_keys:
        wanted = ", ".join(sorted(route.query_keys)) or "no query"
        raise ValueError(f"{route.collection} {route.verb} takes {wanted}, "
                         f"got {', '.join(sorted(given)) or 'none'}")
    for key, value in given.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"query {key} must be a non-empty string")
    return given or None


class _ApiKeyAuth(httpx.Auth):
    def __init__(self, key: Secret) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["x-api-key"] = self._key.reveal()
        yield request

    def __repr__(self) -> str:
        return f"_ApiKeyAuth({self._key!r})"


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


def _transport_error(exc: httpx.HTTPError) -> errors.KoreError:
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


class _SendTracker:
    """Learns from httpcore's trace events whether our request may be on the wire."""

    def __init__(self) -> None:
        self.maybe_sent = False
        self.traced = False  # the transport reports its phases at all

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.traced = True
        if event in _SENDING_EVENTS:
            request = info.get("request")
            # A proxy tunnel's CONNECT carries the same trace hook but none of our bytes.
            if getattr(request, "method", None) != b"CONNECT":
                self.maybe_sent = True


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
        f"response with unsupported Content-Encoding {inert(encoding, 40)!r} refused")


async def _read_capped(raw: AsyncIterator[bytes], encoding: str, cap: int, status: int) -> bytes:
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
                    f"HTTP {status} with a corrupt {inert(encoding, 20)} body", status) from None
            if inflater.unconsumed_tail:
                raise too_large()
        size += len(chunk)
        if size > cap:
            raise too_large()
        chunks.append(chunk)
    if inflater is not None:
        if not inflater.eof and raw_size:
            raise errors.ResponseFormatError(
                f"HTTP {status} with a truncated {inert(encoding, 20)} body", status)
        tail = inflater.flush()
        if size + len(tail) > cap:
            raise too_large()
        chunks.append(tail)
    return b"".join(chunks)


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext | bool:
    """TLS verification: the system/certifi default, or only the CAs in ``ca_bundle``."""
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise errors.KoreError(
            f"ca_bundle {inert(ca_bundle, 120)!r} is not a readable PEM CA file: "
            f"{inert(str(exc), 120)}") from None


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
            headers={"user-agent": USER_AGENT, "accept": "application/json",
                     "accept-encoding": "identity"},
            timeout=timeout,
            follow_redirects=False,
            verify=ssl_context(verify) if isinstance(verify, str) else verify,
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

    async def _call(self, method: str, path: str, budget: float | None, *,
                    params: dict[str, str] | None = None,
                    content: bytes | None = None) -> tuple[int, Any]:
        limit = self.budget if budget is None else max(0.0, budget)
        tracker = _SendTracker()
        headers = {"content-type": "application/json"} if method == "POST" else None
        request = self._http.build_request(method, path, headers=headers, params=params,
                                           content=content, extensions={"trace": tracker})
        # Not asyncio.wait_for: on 3.11 it can swallow a cancellation racing the timeout.
        try:
            async with asyncio.timeout(limit):
                status, response_headers, body = await self._exchange(request)
        except TimeoutError:
            if tracker.maybe_sent or not (self._send_phase_known or tracker.traced):
                raise errors.RequestTimeoutError(
                    f"no complete answer within the {limit:.1f}s budget; the request was sent"
                ) from None
            raise errors.ConnectFailedError(
                f"not connected within the {limit:.1f}s budget; nothing was sent") from None
        if not 200 <= status < 300:
            raise error_for_response(status, response_headers, body)
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
                    raw, encoding = _single(response.content), ""
                else:
                    raw = response.aiter_raw()
                    encoding = response.headers.get("content-encoding", "")
                body = await _read_capped(raw, encoding, self._max_body, response.status_code)
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise _transport_error(exc) from None
        return response.status_code, response.headers, body

    async def start_job(self, resource: str, action: str, resource_id: str, *,
                        body: Mapping[str, Any] | None = None,
                        query: Mapping[str, str] | None = None,
                        budget: float | None = None) -> AcceptedJob:
        """POST the call that starts ``action`` on a model or tool; the server's job answer.

        ``resource`` is "model" or "tool", ``action`` "UNDEPLOY" or "DEPLOY". Undeploys take
        no body; a model deploy needs ``query={"modelType": ...}`` and its JSON body, a tool
        deploy the body ``{"isAsync": ...}``. The body is sent as given: validating it is the
        caller's job (deploy_params), done before anything reaches here. A request this
        route cannot take raises ValueError and sends nothing. ``budget`` overrides the
        client's total time budget for this call (a synchronous tool deploy answers only
        when its job is done, so give it room).
        """
        route = _route_for(resource, action)
        segment = path_segment(resource_id, PREFIXES[ResourceKind(resource)])
        content = _encode_body(route, body)
        params = _check_query(route, query)
        status, answer = await self._call(
            "POST", f"/api/public/{route.collection}/{segment}/{route.verb}", budget,
            params=params, content=content)
        try:
            return AcceptedJob.from_json(answer)
        except errors.ResponseFormatError as exc:
            raise errors.ResponseFormatError(str(exc), status) from None

    async def dock_status(self, dock_status_id: str, *,
                          budget: float | None = None) -> DockStatus:
        """GET dock status; ``budget`` overrides the client's total time budget for this call."""
        segment = path_segment(dock_status_id, DOCK_STATUS_PREFIX)
        status, body = await self._call("GET", f"/api/public/dock-status/{segment}", budget)
        try:
            return DockStatus.from_json(body)
        except errors.ResponseFormatError as exc:
            raise errors.ResponseFormatError(str(exc), status) from None
