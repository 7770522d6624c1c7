from __future__ import annotations

import asyncio
import gzip
import json
import pickle
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Coroutine
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kore_tui import __version__
from kore_tui.core import errors
from kore_tui.core.api_client import KoreClient, parse_retry_after
from kore_tui.core.models import AcceptedJob
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"
HOST = "https://agent-platform.kore.ai"

# What httpx.MockTransport takes for an async handler.
AsyncHandler = Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]


def client_for(handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> KoreClient:
    return KoreClient(HOST, Secret(SENTINEL_KEY), transport=httpx.MockTransport(handler), **kw)


async def undeploy_with(response: httpx.Response) -> AcceptedJob:
    async with client_for(lambda r: response) as c:
        return await c.start_job("model", "UNDEPLOY", MODEL)


def assert_no_key(*objects: object) -> None:
    for obj in objects:
        for text in (repr(obj), str(obj)):
            assert SENTINEL_KEY not in text


async def test_undeploy_sends_key_only_as_header_and_parses_sample_spelling() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "dock-statusId": DS,
                "modelId": MODEL,
                "jobType": "MODELS",
                "action": "UNDEPLOY",
                "status": "SUCCESS",
                "extra": {"ignored": True},
            },
        )

    async with client_for(handler) as client:
        result = await client.start_job("model", "UNDEPLOY", MODEL.upper())
        assert_no_key(client)
    request = seen[0]
    assert request.method == "POST"
    assert request.url.path == f"/api/public/models/{MODEL}/undeploy"
    assert request.headers["x-api-key"] == SENTINEL_KEY
    assert request.headers["user-agent"] == f"kore-tui/{__version__}"
    assert request.headers["content-type"] == "application/json"
    assert SENTINEL_KEY not in str(request.url)
    assert result.dock_status_id == DS and result.status == "SUCCESS"


async def test_field_table_spelling_is_accepted() -> None:
    result = await undeploy_with(httpx.Response(200, json={"dockStatusId": DS, "status": "X"}))
    assert result.dock_status_id == DS


async def test_missing_required_field_is_named() -> None:
    with pytest.raises(errors.ResponseFormatError, match="'dock-statusId' or 'dockStatusId'"):
        await undeploy_with(httpx.Response(200, json={"modelId": MODEL, "status": "SUCCESS"}))


async def test_dock_status_accepts_id_and_tolerates_missing_tool_id() -> None:
    async with client_for(
        lambda r: httpx.Response(
            200,
            json={"_id": DS, "jobType": "MODELS", "action": "UNDEPLOY", "status": "IN_PROGRESS"},
        )
    ) as client:
        status = await client.dock_status(DS)
    assert status.dock_status_id == DS and status.tool_id is None and not status.is_final


@pytest.mark.parametrize(
    ("response", "cls", "text"),
    [
        (
            httpx.Response(
                404,
                json={
                    "success": False,
                    "error": {"code": "NOT_FOUND", "message": "Model not found"},
                },
            ),
            errors.NotFoundError,
            "HTTP 404 NOT_FOUND: Model not found",
        ),
        (
            httpx.Response(409, json={"error": "Model is not deployed"}),
            errors.ConflictError,
            "HTTP 409: Model is not deployed",
        ),
        (
            httpx.Response(
                401,
                json={"success": False, "error": {"code": "UNAUTHORIZED", "message": "bad key"}},
            ),
            errors.AuthError,
            "HTTP 401 UNAUTHORIZED: bad key",
        ),
        (
            httpx.Response(403, json={"error": "key lacks scope"}),
            errors.AuthError,
            "HTTP 403: key lacks scope",
        ),
        (
            httpx.Response(
                400,
                json={"success": False, "error": {"code": "VALIDATION_ERROR", "message": "bad id"}},
            ),
            errors.BadRequestError,
            "HTTP 400 VALIDATION_ERROR: bad id",
        ),
        (
            httpx.Response(
                502,
                html="<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            ),
            errors.ServerError,
            "HTTP 502: HTML page: 502 Bad Gateway",
        ),
        (httpx.Response(503, content=b""), errors.ServerError, "HTTP 503: (empty body)"),
        (
            httpx.Response(500, content=b"upstream \x1b]52;c;ZXZpbA==\x07 exploded"),
            errors.ServerError,
            "HTTP 500: upstream",
        ),
        (
            httpx.Response(302, headers={"location": "https://evil.example/steal"}),
            errors.UnexpectedStatusError,
            "HTTP 302: redirect to https://evil.example/steal not",
        ),
    ],
)
async def test_failures_map_to_typed_errors_with_readable_messages(
    response: httpx.Response, cls: type[Exception], text: str
) -> None:
    with pytest.raises(cls) as info:
        await undeploy_with(response)
    message = str(info.value)
    assert message.startswith(text), message
    assert "\x1b" not in message and "\x07" not in message
    assert_no_key(info.value)


async def test_rate_limited_carries_retry_after_from_header_or_body() -> None:
    with pytest.raises(errors.RateLimitedError) as info:
        await undeploy_with(
            httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down"})
        )
    assert info.value.retry_after == 7 and info.value.certainly_not_sent
    with pytest.raises(errors.RateLimitedError) as info:
        await undeploy_with(
            httpx.Response(
                429,
                json={
                    "success": False,
                    "error": {"code": "QUEUE_FULL", "message": "busy", "retryAfterMs": 2500},
                },
            )
        )
    assert info.value.retry_after == 2.5


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-5") == 0.0


async def test_malformed_json_on_success_is_a_format_error() -> None:
    with pytest.raises(errors.ResponseFormatError, match="not JSON"):
        await undeploy_with(httpx.Response(200, content=b'{"status": "IN_PROG'))


async def test_deeply_nested_json_is_refused_not_crashed() -> None:
    with pytest.raises(errors.ResponseFormatError):
        await undeploy_with(httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000))


async def test_oversized_body_is_refused_before_it_is_buffered() -> None:
    chunks_sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(10_000):
            chunks_sent += 1
            yield b"x" * 65536

    with pytest.raises(errors.ResponseFormatError, match="larger than"):
        async with client_for(
            lambda r: httpx.Response(200, content=body()), max_body_bytes=1024 * 1024
        ) as c:
            await c.start_job("model", "UNDEPLOY", MODEL)
    assert chunks_sent < 40


@pytest.mark.parametrize(
    ("exc", "cls", "not_sent"),
    [
        (httpx.ConnectError("refused"), errors.ConnectFailedError, True),
        (httpx.ConnectTimeout("slow"), errors.ConnectFailedError, True),
        (httpx.ReadTimeout("slow"), errors.RequestTimeoutError, False),
        (httpx.RemoteProtocolError("Server disconnected"), errors.RequestMaybeSentError, False),
        (httpx.ReadError("reset"), errors.RequestMaybeSentError, False),
        # A proxy refusing CONNECT: our request never went through the tunnel.
        (httpx.ProxyError("502 Bad Gateway"), errors.ConnectFailedError, True),
    ],
)
async def test_transport_failures_say_whether_the_request_may_have_been_sent(
    exc: Exception, cls: type[errors.TransportError], not_sent: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(cls) as info:
        async with client_for(handler) as c:
            await c.start_job("model", "UNDEPLOY", MODEL)
    assert info.value.certainly_not_sent is not_sent
    assert_no_key(info.value)


async def test_ids_are_validated_before_reaching_the_path() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={})

    async with client_for(handler) as client:
        for bad in ["../../admin", f"{MODEL}/../x", f"{MODEL}?a=b", "cm-x", DS]:
            with pytest.raises(errors.InvalidIdError):
                await client.start_job("model", "UNDEPLOY", bad)
        with pytest.raises(errors.InvalidIdError):
            await client.dock_status(MODEL)
    assert calls == []


@pytest.mark.parametrize(
    "host",
    [
        "http://agent-platform.kore.ai",
        "ftp://x.kore.ai",
        "http://10.0.0.5:8080",
        "https://user:pw@x.kore.ai",
        "https://x.kore.ai/api",
    ],
)
def test_insecure_or_odd_hosts_are_refused(host: str) -> None:
    with pytest.raises(errors.InsecureHostError):
        KoreClient(host, Secret(SENTINEL_KEY))


@pytest.mark.parametrize("host", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:9"])
def test_loopback_may_use_http(host: str) -> None:
    assert KoreClient(host, Secret(SENTINEL_KEY)).host.startswith("http://")


def test_secret_never_shows_in_full() -> None:
    secret = Secret(SENTINEL_KEY)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", "{}".format(secret)):  # noqa: UP032
        assert SENTINEL_KEY not in text
    assert secret.masked == "kg-…4b5c"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert SENTINEL_KEY not in json.dumps({"k": str(secret)})


# -- total time budget ---------------------------------------------------------------


def stalling_after(*events: tuple[str, object]) -> AsyncHandler:
    """A handler that reports httpcore trace events, then never answers."""

    async def handler(request: httpx.Request) -> httpx.Response:
        trace = request.extensions["trace"]
        for name, sent in events:
            await trace(name, {"request": sent})
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    return handler


async def timed_undeploy(handler: AsyncHandler, **kw: Any) -> tuple[errors.KoreError, float]:
    started = time.monotonic()
    client = KoreClient(
        HOST,
        Secret(SENTINEL_KEY),
        budget=kw.pop("budget", 0.3),
        transport=httpx.MockTransport(handler),
    )
    async with client:
        with pytest.raises(errors.KoreError) as info:
            await client.start_job("model", "UNDEPLOY", MODEL, **kw)
    return info.value, time.monotonic() - started


OURS = SimpleNamespace(method=b"POST")
CONNECT = SimpleNamespace(method=b"CONNECT")


@pytest.mark.parametrize(
    ("events", "cls", "not_sent"),
    [
        # No phase reported by a transport other than httpx's own: it may have been sent.
        # (A real wait for a pool connection is tested over the wire in the audit suite.)
        ((), errors.RequestTimeoutError, False),
        ((("connection.connect_tcp.started", None),), errors.ConnectFailedError, True),
        (
            (("connection.connect_tcp.started", None), ("connection.start_tls.started", None)),
            errors.ConnectFailedError,
            True,
        ),
        # A proxy tunnel's CONNECT goes out with our trace hook but none of our bytes.
        ((("http11.send_request_headers.started", CONNECT),), errors.ConnectFailedError, True),
        ((("http11.send_request_headers.started", OURS),), errors.RequestTimeoutError, False),
        (
            (
                ("http11.send_request_headers.started", OURS),
                ("http11.receive_response_headers.started", OURS),
            ),
            errors.RequestTimeoutError,
            False,
        ),
    ],
)
async def test_budget_ends_a_stalled_request_and_says_whether_it_was_sent(
    events: tuple[tuple[str, object], ...], cls: type[errors.TransportError], not_sent: bool
) -> None:
    error, elapsed = await timed_undeploy(stalling_after(*events))
    assert type(error) is cls and error.certainly_not_sent is not_sent
    assert "0.3s budget" in str(error)
    assert elapsed < 2.0
    assert_no_key(error)


async def test_per_call_budget_overrides_the_client_budget() -> None:
    handler = stalling_after(("http11.send_request_headers.started", OURS))
    started = time.monotonic()
    async with KoreClient(
        HOST, Secret(SENTINEL_KEY), budget=30.0, transport=httpx.MockTransport(handler)
    ) as client:
        with pytest.raises(errors.RequestTimeoutError, match=r"0\.2s budget"):
            await client.dock_status(DS, budget=0.2)
        with pytest.raises(errors.RequestTimeoutError, match=r"0\.2s budget"):
            await client.start_job("model", "UNDEPLOY", MODEL, budget=0.2)
    assert time.monotonic() - started < 2.0


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="budget"):
        KoreClient(HOST, Secret(SENTINEL_KEY), budget=0)


# -- compression ---------------------------------------------------------------------


def gzip_stream(payload: bytes, chunk: int = 16384) -> Callable[[httpx.Request], httpx.Response]:
    packed = gzip.compress(payload)

    async def body() -> Any:
        for i in range(0, len(packed), chunk):
            yield packed[i : i + chunk]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, content=body())

    return handler


async def test_client_asks_for_no_compression() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"dockStatusId": DS, "status": "SUCCESS"})

    async with client_for(handler) as c:
        await c.start_job("model", "UNDEPLOY", MODEL)
    assert seen[0].headers["accept-encoding"] == "identity"


async def test_gzip_answer_within_the_cap_is_read() -> None:
    answer = json.dumps({"dockStatusId": DS, "status": "SUCCESS"}).encode()
    async with client_for(gzip_stream(b" " * 500_000 + answer)) as c:
        result = await c.start_job("model", "UNDEPLOY", MODEL)
    assert result.dock_status_id == DS


async def test_gzip_bomb_is_refused_at_the_cap_after_decompression() -> None:
    bomb = b" " * (64 * 1024 * 1024) + b'{"dockStatusId": "x"}'
    tracemalloc.start()
    try:
        with pytest.raises(errors.ResponseFormatError, match="larger than 1048576 bytes"):
            async with client_for(gzip_stream(bomb)) as c:
                await c.start_job("model", "UNDEPLOY", MODEL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while refusing a 64 MB bomb"


@pytest.mark.parametrize(
    ("encoding", "body", "match"),
    [
        ("br", b"\x00\x01", "unsupported Content-Encoding 'br'"),
        ("gzip", b"not gzip at all", "corrupt gzip body"),
        ("gzip", gzip.compress(b'{"a": 1}', mtime=0)[:-12], "truncated gzip body"),
    ],
)
async def test_bad_or_unknown_encodings_are_format_errors(
    encoding: str, body: bytes, match: str
) -> None:
    async def stream() -> Any:
        yield body

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": encoding}, content=stream())

    with pytest.raises(errors.ResponseFormatError, match=match):
        async with client_for(handler) as c:
            await c.start_job("model", "UNDEPLOY", MODEL)


async def test_deflate_answer_is_read() -> None:
    answer = json.dumps({"dockStatusId": DS, "status": "SUCCESS"}).encode()

    async def stream() -> Any:
        yield zlib.compress(answer)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "deflate"}, content=stream())

    async with client_for(handler) as c:
        assert (await c.start_job("model", "UNDEPLOY", MODEL)).dock_status_id == DS


async def test_a_transport_that_reports_no_send_phase_is_never_called_not_sent() -> None:
    # MockTransport (like any transport but httpx's own) emits no httpcore trace events, so
    # a POST cut off by the budget may well have gone out: a re-send would be a duplicate.
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json={})

    client = KoreClient(
        "http://127.0.0.1:9", Secret(SENTINEL_KEY), budget=0.2, transport=httpx.MockTransport(stall)
    )
    try:
        with pytest.raises(errors.RequestTimeoutError):
            await client.start_job("model", "UNDEPLOY", "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (401, {"error": {"message": f"Invalid API key: {SENTINEL_KEY}"}}, "application/json"),
        (400, {"errors": [{"msg": f"bad key {SENTINEL_KEY}", "code": "X"}]}, "application/json"),
        (502, f"<html><title>proxy: key {SENTINEL_KEY}</title></html>", "text/html"),
        (200, {"_id": DS, "status": "IN_PROGRESS", "headers": {"X-Api-Key": SENTINEL_KEY}}, ""),
    ],
)
async def test_a_server_that_echoes_the_key_never_gets_it_past_the_client(
    status: int, body: Any, content_type: str
) -> None:
    """A break-it run: a server echoing the x-api-key header (in an error message, an HTML
    title, a dock status that repeats the request) put the key in full on screen, in CLI
    output, in the journal's error and last_response, and in exports."""
    text = body if isinstance(body, str) else json.dumps(body)
    headers = {"content-type": content_type or "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=text.encode(), headers=headers)

    async with client_for(handler) as c:
        try:
            answer: object = await c.dock_status(DS)
        except errors.ApiError as exc:
            answer = exc
    assert_no_key(answer, getattr(answer, "raw", None), getattr(answer, "args", None))
    # Masked, not cut out: the operator still sees that the server quoted the key.
    assert SENTINEL_KEY[-4:] in str(answer) + json.dumps(getattr(answer, "raw", None))


@pytest.mark.parametrize("key", ["kg-b64/Ab+Cd/Zz9876", 'kg-Hx"<&/Sekr3t-7777'])
@pytest.mark.parametrize("quoting", ["json-slash", "json", "html", "url"])
async def test_an_escaped_echo_of_the_key_is_masked_too(key: str, quoting: str) -> None:
    """A break-it run: a server JSON-escaped a base64-style key ("kg-b64\\/Ab+Cd\\/…", PHP's
    default) and the decoded error showed it whole; an HTML-escaped copy too."""
    import html
    from urllib.parse import quote

    in_json = json.dumps(key)[1:-1]
    quoted = {
        "json-slash": in_json.replace("/", "\\/"),
        "json": in_json,
        "html": html.escape(key),
        "url": quote(key, safe=""),
    }[quoting]
    body = ('{"error": {"message": "bad key ' + quoted + '"}}').encode()
    if quoting == "html":
        body = f"<html><title>bad key {quoted}</title></html>".encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, content=body)

    client = KoreClient(HOST, Secret(key), transport=httpx.MockTransport(handler))
    async with client:
        with pytest.raises(errors.ApiError) as caught:
            await client.dock_status(DS)
    shown = str(caught.value)
    assert key not in shown and quoted not in shown, shown
    assert key[-4:] in shown


@pytest.mark.parametrize("location", [f"https://login.example/?key={SENTINEL_KEY}", "/x?k=%s"])
async def test_a_redirect_that_quotes_the_key_in_its_location_is_masked(location: str) -> None:
    """A redirect is reported with its Location ("redirect to … not followed"): a server that
    put the key there (a login page's return address) showed it whole in the error, on
    screen, in the journal and in exports. The body was masked; the headers were not."""
    from urllib.parse import quote

    if "%s" in location:
        location = location % quote(SENTINEL_KEY, safe="")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": location})

    async with client_for(handler) as c:
        with pytest.raises(errors.ApiError) as caught:
            await c.dock_status(DS)
    shown = str(caught.value)
    assert "redirect to" in shown
    assert_no_key(caught.value, shown)
    assert quote(SENTINEL_KEY, safe="") not in shown
    assert SENTINEL_KEY[-4:] in shown
