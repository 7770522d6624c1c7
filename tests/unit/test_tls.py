"""TLS contexts are loaded once per CA source and process (core/tls), yet a replaced
ca_bundle file is picked up by the next client."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import pytest
import trustme

from kore_tui.core import tls
from kore_tui.core.api_client import KoreClient, ssl_context
from kore_tui.core.secret import Secret
from tests.conftest import SENTINEL_KEY


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every CA load (ssl.create_default_context) from here on; the cache starts empty."""
    calls: list[Any] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        calls.append(kwargs.get("cafile") or kwargs.get("capath"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    tls._load.cache_clear()
    return calls


async def test_many_clients_load_the_default_cas_once(loads: list[Any]) -> None:
    clients = [KoreClient("https://a.kore.ai", Secret(SENTINEL_KEY)) for _ in range(10)]
    clients += [KoreClient("http://127.0.0.1:9", Secret(SENTINEL_KEY)) for _ in range(10)]
    for client in clients:
        await client.aclose()
    assert len(loads) == 1


def test_a_ca_bundle_is_loaded_once_and_again_when_the_file_changes(
    tmp_path: Path, loads: list[Any]
) -> None:
    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    first = ssl_context(str(bundle))
    assert ssl_context(str(bundle)) is first
    assert len(loads) == 1
    # A new CA file under the same name: the next client trusts the new CAs.
    trustme.CA().cert_pem.write_to_path(str(bundle))
    stat = bundle.stat()
    os.utime(bundle, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert ssl_context(str(bundle)) is not first
    assert len(loads) == 2


def test_ssl_cert_file_is_honoured_like_httpx_does(
    tmp_path: Path, loads: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "system.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    tls.default_context()
    assert loads == [str(bundle)]
