"""Who may talk to the served console: one row per rule of the pure decision."""

from __future__ import annotations

import pytest

from kore_tui.serve.guard import new_token, refusal

TOKEN = "tQ3v0Yb9kX_2-LmNpRsTuVwXyZaBcDeF"
PORT = 41234
HOST = f"127.0.0.1:{PORT}"
TOKEN_REASON = "access token"
HOST_REASON = "Host header"
ORIGIN_REASON = "another site"

ROWS = [
    # path, Host, Origin, None (allowed) or a word of the reason
    (f"/{TOKEN}/", HOST, None, None),
    (f"/{TOKEN}/ws", f"localhost:{PORT}", f"http://localhost:{PORT}", None),
    (f"/{TOKEN}/ws", HOST, f"http://127.0.0.1:{PORT}", None),
    (f"/{TOKEN}/static/js/textual.js", f"LOCALHOST:{PORT}", None, None),
    ("/", HOST, None, TOKEN_REASON),
    ("/ws", HOST, None, TOKEN_REASON),
    ("/static/js/textual.js", HOST, None, TOKEN_REASON),
    (f"/{TOKEN}", HOST, None, TOKEN_REASON),  # the token, but not as a folder
    (f"/{TOKEN}x/", HOST, None, TOKEN_REASON),
    (f"/{TOKEN[:-1]}/", HOST, None, TOKEN_REASON),
    (f"/x/{TOKEN}/", HOST, None, TOKEN_REASON),
    (f"/{TOKEN.lower()}/", HOST, None, TOKEN_REASON),
    # DNS rebinding: the attacker's name resolves to 127.0.0.1; the browser sends it as Host.
    (f"/{TOKEN}/", f"attacker.example:{PORT}", None, HOST_REASON),
    (f"/{TOKEN}/ws", f"attacker.example:{PORT}", f"http://attacker.example:{PORT}", HOST_REASON),
    (f"/{TOKEN}/", "127.0.0.1", None, HOST_REASON),  # no port
    (f"/{TOKEN}/", f"127.0.0.1:{PORT + 1}", None, HOST_REASON),
    (f"/{TOKEN}/", f"0.0.0.0:{PORT}", None, HOST_REASON),
    (f"/{TOKEN}/", f"[::1]:{PORT}", None, HOST_REASON),  # we never bind ::1
    (f"/{TOKEN}/", None, None, HOST_REASON),
    # Another page in the visitor's browser opening our websocket.
    (f"/{TOKEN}/ws", HOST, "http://attacker.example", ORIGIN_REASON),
    (f"/{TOKEN}/ws", HOST, "null", ORIGIN_REASON),
    (f"/{TOKEN}/ws", HOST, f"https://127.0.0.1:{PORT}", ORIGIN_REASON),
    (f"/{TOKEN}/ws", HOST, f"http://127.0.0.1:{PORT + 1}", ORIGIN_REASON),
]


@pytest.mark.parametrize(("path", "host", "origin", "reason"), ROWS)
def test_refusal(path: str, host: str | None, origin: str | None, reason: str | None) -> None:
    why = refusal(path=path, host=host, origin=origin, token=TOKEN, port=PORT)
    if reason is None:
        assert why is None
    else:
        assert why is not None and reason in why
        assert "attacker" not in why  # what the request sent is never echoed


def test_tokens_are_long_random_and_path_safe() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 32
        assert all(c.isalnum() or c in "-_" for c in token)
