"""The demo console in a real headless Chromium: open the printed URL, see the console
draw, press keys in the page to undeploy, and find the POSTs on the simulator."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from kore_tui.simulator.demo import DEMO_MODELS, DEMO_TOOLS
from tests.conftest import SENTINEL_KEY
from tests.serve.cdp import chromium_page, find_chromium, wait_for
from tests.serve.helpers import children, serving

CHROMIUM = find_chromium()
# CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip.
if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)

SCREENSHOT = Path(__file__).resolve().parents[2] / "screenshots" / "browser-demo.png"
CTRL = 2


def counters(sim_url: str) -> dict[str, dict[str, int]]:
    response = httpx.get(
        f"{sim_url}/_sim/counters", headers={"x-api-key": SENTINEL_KEY}, trust_env=False, timeout=5
    )
    response.raise_for_status()
    data: dict[str, dict[str, int]] = response.json()
    return data


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


async def test_demo_in_a_browser_undeploys_with_keys_pressed_in_the_page(tmp_path: Path) -> None:
    assert CHROMIUM is not None, "Chromium is missing: .ci/run installs it (apt-get)"
    started = time.monotonic()
    with serving("--demo", env={"KORE_SIM_API_KEY": SENTINEL_KEY}) as served:
        assert served.sim_url is not None
        assert SENTINEL_KEY not in served.url
        assert sum(counters(served.sim_url)["undeployReceived"].values()) == 0
        async with chromium_page(CHROMIUM, tmp_path / "profile") as page:
            await page.send("Network.enable")
            await page.send("Page.enable")
            await page.send("Page.navigate", url=served.url)

            async def drawn() -> bool:
                # The page marks the first byte from the console; the console's frames
                # carry its banner (the environment's name) and its footer.
                first = await page.evaluate("document.body.classList.contains('-first-byte')")
                text = page.websocket_text_received()
                return bool(first) and "demo" in text and "Undeploy" in text

            await wait_for(drawn, 30, "the console to draw in the page")

            async def connected() -> bool:
                # The banner's counters come once the engine runs ("connecting…" before):
                # a ctrl+u before then is refused ("Still connecting"), and on a loaded
                # machine the confirmation never came (a full run).
                return "in flight" in page.websocket_text_received()

            await wait_for(connected, 30, "the console to connect to the demo simulator")
            html = await page.evaluate("document.documentElement.outerHTML")
            assert SENTINEL_KEY not in html

            consoles = children(served.process.pid)
            assert len(consoles) == 1, consoles
            (argv,) = consoles.values()
            assert argv[1:] == ["-m", "kore_tui.serve.console", "--demo"]
            server_argv = served.process.args
            assert isinstance(server_argv, list)
            assert not any(SENTINEL_KEY in " ".join(map(str, a)) for a in [argv, server_argv])

            await page.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
            await page.key("u", "KeyU", 85, modifiers=CTRL)  # undeploy: the confirmation

            async def confirming() -> bool:
                return "They stop serving" in page.websocket_text_received()

            # Keys typed before a confirmation is on screen never answer it: wait for it.
            await wait_for(confirming, 15, "the confirmation to open")
            await page.key("Tab", "Tab", 9)  # Cancel has the focus; Undeploy is next
            await page.key("Enter", "Enter", 13, text="\r")

            async def all_posted() -> bool:
                received = counters(served.sim_url or "")["undeployReceived"]
                return len(received) == DEMO_MODELS + DEMO_TOOLS

            await wait_for(all_posted, 30, "an undeploy POST per demo model and tool")
            received = counters(served.sim_url)["undeployReceived"]
            assert set(received.values()) == {1}, received  # each model and tool once

            async def tracking() -> bool:
                return "SUCCESS" in page.websocket_text_received()

            await wait_for(tracking, 30, "a job to finish in the page")
            shot = tmp_path / "browser-demo.png"
            await page.screenshot(shot)
            assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
            if os.environ.get("KORE_TUI_WRITE_SCREENSHOTS"):
                shutil.copyfile(shot, SCREENSHOT)
    assert served.process.returncode == 0, "".join(served.output)
    for pid in consoles:  # no console outlives the server
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), pid
    assert time.monotonic() - started < 60
