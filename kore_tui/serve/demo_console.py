"""The console one browser visit runs under ``kore-tui serve --demo``.

Like ``kore-tui --demo``, but against the simulator the server started (one for all
visits, so the server can show what reached it), whose URL and key come in environment
variables: a key never goes on a command line, where any local user can read it.
Each visit gets its own throwaway journal, and the models still deployed pre-pasted.

    python -m kore_tui.serve.demo_console --demo [--read-only]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from kore_tui.core.config import Environment
from kore_tui.core.errors import InsecureHostError
from kore_tui.core.hosts import is_loopback_host, normalize_host
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert

HOST_VARIABLE = "KORE_TUI_DEMO_HOST"
KEY_VARIABLE = "KORE_TUI_DEMO_KEY"


class DemoSetupError(Exception):
    pass


def demo_target(environ: MutableMapping[str, str]) -> tuple[str, Secret]:
    """The simulator's URL and key, taken out of ``environ`` (so that nothing this
    process starts inherits the key). Loopback only: the demo never talks to a platform."""
    raw_host = environ.pop(HOST_VARIABLE, "")
    key = Secret(environ.pop(KEY_VARIABLE, ""))
    if not raw_host or not key:
        raise DemoSetupError(f"{HOST_VARIABLE} and {KEY_VARIABLE} must be set: this "
                             "console is started by 'kore-tui serve --demo'")
    try:
        host = normalize_host(raw_host)
    except InsecureHostError as exc:
        raise DemoSetupError(f"{HOST_VARIABLE}: {exc}") from None
    if not is_loopback_host(urlsplit(host).hostname or ""):
        raise DemoSetupError(f"{HOST_VARIABLE}: the demo simulator must be on loopback")
    return host, key


def deployed_models(host: str, key: Secret) -> list[str]:
    """The simulator's models still deployed and without a job: what a visitor can undeploy
    (an earlier visitor may have undeployed some)."""
    import httpx

    # trust_env=False: a loopback request never goes through a proxy.
    with httpx.Client(trust_env=False, timeout=5.0, follow_redirects=False) as client:
        response = client.get(f"{host}/_sim/models", headers={"x-api-key": key.reveal()})
    response.raise_for_status()
    return [m["modelId"] for m in response.json()["models"]
            if m["deployed"] and not m["pendingJob"]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kore_tui.serve.demo_console")
    parser.add_argument("--demo", action="store_true", required=True,
                        help="always given: says in the process list what this console is")
    parser.add_argument("--read-only", action="store_true", help="undeploy refused")
    args = parser.parse_args(argv)
    try:
        host, key = demo_target(os.environ)
        model_ids = deployed_models(host, key)
    except Exception as exc:
        print(f"kore-tui demo console: {inert(str(exc), 300)}", file=sys.stderr)
        return 2

    from kore_tui.tui.app import KoreApp
    from kore_tui.tui.launch import _demo_paste

    with tempfile.TemporaryDirectory(prefix="kore-tui-serve-demo-") as tmp:
        env = Environment("demo", host, colour="magenta", ephemeral=True)
        app = KoreApp(config=None, env=env, read_only=args.read_only, key=key,
                      journal_path=Path(tmp) / "demo-journal.sqlite3",
                      prefill=_demo_paste(model_ids))
        app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
