"""Whether a request cut off by its time budget may have reached the server.

Every call has a total time budget on top of httpx's per-phase timeouts: a server that
drips one byte every few seconds restarts httpx's read timeout on each byte and would
keep a request alive forever. When the budget runs out we say honestly whether the
request may have been sent, from httpx's ``trace`` extension: until the request headers
start going out on a connection, nothing was sent and a POST is safe to re-send.
"""

from __future__ import annotations

from typing import Any

from kore_tui.core import errors

# Whole-request budget: connect, send, headers and body. The engine may pass less per call
# (the time left to a job's deadline).
DEFAULT_BUDGET = 30.0
# httpcore trace events that mean our request's bytes may be on the wire.
_SENDING_EVENTS = frozenset(
    {"http11.send_request_headers.started", "http2.send_request_headers.started"}
)


class SendTracker:
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

    def budget_error(self, limit: float, *, phase_known: bool) -> errors.KoreError:
        """The error for a request that ran out of its ``limit``-second budget.

        ``phase_known``: the transport is httpcore, which reports the send phase; with any
        other transport a request cut off may have gone out, so it is never "not sent".
        """
        if self.maybe_sent or not (phase_known or self.traced):
            return errors.RequestTimeoutError(
                f"no complete answer within the {limit:.1f}s budget; the request was sent"
            )
        return errors.ConnectFailedError(
            f"not connected within the {limit:.1f}s budget; nothing was sent"
        )
