"""The console one browser visit runs under ``kore-tui serve``:

    python -m kore_tui.serve.console --demo [--read-only]
    python -m kore_tui.serve.console --read-only [--env=NAME]

It is the terminal console locked for a visitor (``locked``). Its mode is on its command
line, so ``ps`` shows what it is, and ``--read-only`` makes the engine refuse undeploy,
deploy, bounce and retry whatever a visitor does. Without ``--demo`` the console refuses
to start unless it has ``--read-only``.

The demo runs against the simulator the server started. There is one for all visits, so
the server can show what reached it. Its URL and key come in environment variables,
because a key on a command line can be read by any local user. Each visit gets its own
throwaway journal, with the models and tools still deployed already pasted. A read-only console
reads its environment and key from the config as the terminal console does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kore_tui.core.config import load_config, resolve_environment
from kore_tui.core.errors import InsecureHostError
from kore_tui.core.hosts import is_loopback_host, normalize_host
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert

if TYPE_CHECKING:
    from kore_tui.serve.locked import LockedKoreApp

MODULE = "kore_tui.serve.console"
HOST_VARIABLE = "KORE_TUI_DEMO_HOST"
KEY_VARIABLE = "KORE_TUI_DEMO_KEY"


class ServedConsoleError(Exception):
    pass


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument(
        "--demo", action="store_true", help="the demo, against the server's simulator"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="undeploy, deploy, bounce and retry refused by the engine",
    )
    parser.add_argument("--env", metavar="NAME", help="environment (with --read-only)")
    args = parser.parse_args(list(argv))
    if args.demo and args.env is not None:
        parser.error("--env does not apply to --demo")
    if not args.demo and not args.read_only:
        parser.error("a served console is --demo or --read-only")
    return args


def demo_target(environ: MutableMapping[str, str]) -> tuple[str, Secret]:
    """The simulator's URL and key, taken out of ``environ`` (so that nothing this
    process starts inherits the key). Loopback only: the demo never talks to a platform."""
    raw_host = environ.pop(HOST_VARIABLE, "")
    key = Secret(environ.pop(KEY_VARIABLE, ""))
    if not raw_host or not key:
        raise ServedConsoleError(
            f"{HOST_VARIABLE} and {KEY_VARIABLE} must be set: this "
            "console is started by 'kore-tui serve --demo'"
        )
    try:
        host = normalize_host(raw_host)
    except InsecureHostError as exc:
        raise ServedConsoleError(f"{HOST_VARIABLE}: {exc}") from None
    if not is_loopback_host(urlsplit(host).hostname or ""):
        raise ServedConsoleError(f"{HOST_VARIABLE}: the demo simulator must be on loopback")
    return host, key


def deployed_resources(host: str, key: Secret) -> tuple[list[str], list[str]]:
    """The simulator's models and tools still deployed and without a job: what a visitor
    can undeploy (an earlier visitor may have undeployed some)."""
    import httpx

    found: dict[str, list[str]] = {}
    # trust_env=False: a loopback request never goes through a proxy.
    with httpx.Client(trust_env=False, timeout=5.0, follow_redirects=False) as client:
        for kind, id_key in (("models", "modelId"), ("tools", "toolId")):
            response = client.get(f"{host}/_sim/{kind}", headers={"x-api-key": key.reveal()})
            response.raise_for_status()
            found[kind] = [
                r[id_key] for r in response.json()[kind] if r["deployed"] and not r["pendingJob"]
            ]
    return found["models"], found["tools"]


def demo_app(host: str, key: Secret, folder: Path, read_only: bool) -> LockedKoreApp:
    """The terminal demo's console (tools in the paste, a default deploy profile so undo,
    deploy and bounce work without the form), locked, with its journal in ``folder``."""
    from kore_tui.serve.locked import LockedKoreApp
    from kore_tui.tui.launch import demo_deploy_config, demo_environment, demo_paste

    model_ids, tool_ids = deployed_resources(host, key)
    return LockedKoreApp(
        config=None,
        env=demo_environment(host),
        read_only=read_only,
        key=key,
        journal_path=folder / "demo-journal.sqlite3",
        prefill=demo_paste(model_ids, tool_ids),
        deploy_config=demo_deploy_config(folder),
    )


def _run_demo(read_only: bool) -> int:
    host, key = demo_target(os.environ)
    with tempfile.TemporaryDirectory(prefix="kore-tui-serve-demo-") as tmp:
        demo_app(host, key, Path(tmp), read_only).run()
    return 0


def _run_read_only(env_name: str | None) -> int:
    config = load_config()
    env = resolve_environment(config, env_name)

    from kore_tui.serve.locked import LockedKoreApp

    LockedKoreApp(config=config, env=env, read_only=True).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return _run_demo(args.read_only) if args.demo else _run_read_only(args.env)
    except Exception as exc:
        # Seen by the server's operator (textual-serve copies the console's stderr).
        print(f"kore-tui served console: {inert(str(exc), 300)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
