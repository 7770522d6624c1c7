"""Typed failures of the platform API, shaped for the engine's decisions.

Every error knows two things the engine needs: whether the request certainly
never reached the server (``certainly_not_sent``: safe to re-send a
non-idempotent POST) and whether it is a definite answer from the platform
(``definite``: the server looked at the request and said no). Messages are
built from sanitized server text only; no error ever holds the API key.
"""

from __future__ import annotations


class KoreError(Exception):
    """Base of every error kore-tui raises on purpose."""


class InsecureHostError(KoreError, ValueError):
    pass


class InvalidIdError(KoreError, ValueError):
    pass


class ApiError(KoreError):
    """The server answered with a failure status."""

    kind = "http"
    definite = True
    certainly_not_sent = False

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        prefix = f"HTTP {status}" + (f" {code}" if code else "")
        super().__init__(f"{prefix}: {message}" if message else prefix)


class BadRequestError(ApiError):
    kind = "bad_request"


class AuthError(ApiError):
    kind = "auth"


class NotFoundError(ApiError):
    kind = "not_found"


class ConflictError(ApiError):
    kind = "conflict"


class RateLimitedError(ApiError):
    """429: the platform refused before doing anything, so a re-send is safe."""

    kind = "rate_limited"
    definite = False
    certainly_not_sent = True


class ServerError(ApiError):
    """5xx: the platform may or may not have acted on the request."""

    kind = "server"
    definite = False


class UnexpectedStatusError(ApiError):
    """A status we do not expect (a redirect, say): never followed, never guessed."""

    kind = "unexpected"
    definite = False


class TransportError(KoreError):
    """No usable HTTP answer arrived."""

    kind = "transport"
    definite = False
    certainly_not_sent = False
    status: int | None = None
    code: str | None = None
    retry_after: float | None = None


class ConnectFailedError(TransportError):
    """Connection refused, DNS failure or connect timeout: nothing was sent."""

    kind = "connect"
    certainly_not_sent = True


class RequestTimeoutError(TransportError):
    """The request went out but no answer came in time: it may have been acted on."""

    kind = "timeout"


class RequestMaybeSentError(TransportError):
    """The connection broke after the request was written: it may have been acted on."""

    kind = "maybe_sent"


class TlsError(ConnectFailedError):
    kind = "tls"


class ResponseFormatError(KoreError):
    """A 2xx answer we cannot read (malformed JSON, missing field, too large)."""

    kind = "format"
    definite = False
    certainly_not_sent = False
    status: int | None = None
    code: str | None = None
    retry_after: float | None = None

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)
