"""The simulator over real HTTP on loopback; its command as a real process (it serves until
stopped), except a refusal, which runs in this process (tests/cli_runner.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from kore_tui.simulator import SimConfig, Simulator, profile_named
from tests.cli_runner import run_cli
from tests.conftest import SENTINEL_KEY, sim_config

H = {"x-api-key": SENTINEL_KEY}
DEPLOY_BODY = {
    "name": "m",
    "deviceType": "g5.xlarge",
    "hyperParameters": {"temperature": 0.5, "maxTokens": 128, "topP": 1, "topK": 50},
}


async def start(**overrides: Any) -> Simulator:
    sim = Simulator(sim_config(**overrides))
    await sim.start()
    return sim


async def test_key_check_uses_the_platform_envelope(sim: Simulator) -> None:
    async with httpx.AsyncClient(verify=False, base_url=sim.url) as http:
        for headers in ({}, {"x-api-key": "kg-wrong"}):
            r = await http.get("/api/public/dock-status/ds-x", headers=headers)
            assert r.status_code == 401
            assert r.json() == {
                "success": False,
                "error": {"code": "UNAUTHORIZED", "message": "Invalid or missing API key"},
            }
        r = await http.get("/_sim/counters")
        assert r.status_code == 401


async def test_job_lifecycle_and_model_state() -> None:
    sim = await start(job_seconds=(0.3, 0.3), fail_rate=0.0)
    model = sim.model_ids[0]
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            r = await http.post(f"/api/public/models/{model}/undeploy")
            ds = r.json()["dock-statusId"]
            assert r.json()["status"] == "IN_PROGRESS"
            again = await http.post(f"/api/public/models/{model}/undeploy")
            assert again.status_code == 409 and "already" in again.json()["error"]["message"]
            status = (await http.get(f"/api/public/dock-status/{ds}")).json()
            assert status == {
                "_id": ds,
                "toolId": model,
                "jobType": "MODELS",
                "action": "UNDEPLOY",
                "status": "IN_PROGRESS",
            }
            await asyncio.sleep(0.35)  # deliberate: the 0.3 s job ends
            assert (await http.get(f"/api/public/dock-status/{ds}")).json()["status"] == "SUCCESS"
            gone = await http.post(f"/api/public/models/{model}/undeploy")
            assert (
                gone.status_code == 409
                and gone.json()["error"]["message"] == "Model is not deployed"
            )
            deploy = await http.post(
                f"/api/public/models/{model}/deploy",
                params={"modelType": "openSource"},
                json=DEPLOY_BODY,
            )
            assert deploy.status_code == 200 and deploy.json()["action"] == "DEPLOY"
            await asyncio.sleep(0.35)  # deliberate: the 0.3 s job ends
            models = (await http.get("/_sim/models")).json()["models"]
            assert next(m for m in models if m["modelId"] == model)["deployed"] is True
            missing = await http.post(
                "/api/public/models/cm-00000000-0000-4000-8000-000000000000/undeploy"
            )
            assert missing.status_code == 404
            unknown = await http.get(
                "/api/public/dock-status/ds-00000000-0000-4000-8000-000000000000"
            )
            assert unknown.status_code == 404
    finally:
        await sim.stop()


async def test_failed_job_leaves_model_deployed_and_zero_second_job_is_immediate() -> None:
    sim = await start(job_seconds=(0.0, 0.0), fail_rate=1.0)
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            model = sim.model_ids[0]
            r = await http.post(f"/api/public/models/{model}/undeploy")
            assert r.json()["status"] == "FAILED"
            models = (await http.get("/_sim/models")).json()["models"]
            assert next(m for m in models if m["modelId"] == model)["deployed"] is True
    finally:
        await sim.stop()
    sim = await start(job_seconds=(0.0, 0.0), fail_rate=0.0, spelling="dockStatusId")
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            r = await http.post(f"/api/public/models/{sim.model_ids[0]}/undeploy")
            assert r.json()["status"] == "SUCCESS" and "dockStatusId" in r.json()
    finally:
        await sim.stop()


def test_seeded_models_are_deterministic() -> None:
    a = Simulator(SimConfig(models=5, seed=42)).model_ids
    b = Simulator(SimConfig(models=5, seed=42)).model_ids
    c = Simulator(SimConfig(models=5, seed=43)).model_ids
    assert a == b != c and len(a) == 5
    assert all(m.startswith("cm-") and len(m) == 39 for m in a)


async def test_counters_reset_and_forced_faults(sim: Simulator) -> None:
    async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
        await http.post("/_sim/force", json={"responses": [{"status": 429, "retry_after": 3}]})
        model = sim.model_ids[0]
        limited = await http.post(f"/api/public/models/{model}/undeploy")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
        assert limited.json()["error"]["retryAfterMs"] == 3000
        ok = await http.post(f"/api/public/models/{model}/undeploy")
        assert ok.status_code == 200
        counters = (await http.get("/_sim/counters")).json()
        assert counters["undeployReceived"][model] == 2
        assert counters["undeployAccepted"][model] == 1
        assert any(k.endswith(" 429") for k in counters["requests"])
        jobs = (await http.get("/_sim/jobs")).json()["jobs"]
        assert len(jobs) == 1
        await http.post("/_sim/reset")
        assert (await http.get("/_sim/counters")).json()["undeployReceived"] == {}


async def test_chaos_profile_produces_every_fault_kind() -> None:
    from dataclasses import replace

    faults = replace(profile_named("chaos", 3.0), slow=0.0)
    sim = await start(models=400, faults=faults, job_seconds=(0.0, 0.05), seed=3)
    seen: set[str] = set()
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H, timeout=5) as http:
            for model in sim.model_ids:
                try:
                    r = await http.post(f"/api/public/models/{model}/undeploy")
                except httpx.TransportError:
                    seen.add("dropped")
                    continue
                ctype = r.headers.get("content-type", "")
                if r.status_code == 429:
                    seen.add("429")
                elif r.status_code >= 500 and "html" in ctype:
                    seen.add("html")
                elif r.status_code >= 500:
                    body = r.json()
                    seen.add("simple" if isinstance(body["error"], str) else "envelope")
                elif r.status_code == 200 and not r.content:
                    seen.add("empty")
                elif r.status_code == 200:
                    try:
                        r.json()
                    except ValueError:
                        seen.add("malformed")
    finally:
        await sim.stop()
    assert seen >= {"dropped", "429", "html", "simple", "envelope", "empty", "malformed"}


async def test_chaos_fresh_not_found_and_unknown_status() -> None:
    from kore_tui.simulator.faults import FaultProfile

    faults = FaultProfile(name="t", fresh_not_found=1.0, unknown_status=1.0)
    sim = await start(faults=faults, job_seconds=(0.6, 0.6))
    try:
        async with httpx.AsyncClient(verify=False, base_url=sim.url, headers=H) as http:
            r = await http.post(f"/api/public/models/{sim.model_ids[0]}/undeploy")
            ds = r.json()["dock-statusId"]
            assert (await http.get(f"/api/public/dock-status/{ds}")).status_code == 404
            await asyncio.sleep(0.52)  # deliberate: past the fresh 404 window, before the end
            status = (await http.get(f"/api/public/dock-status/{ds}")).json()["status"]
            assert status not in {"IN_PROGRESS", "SUCCESS", "FAILED"}
    finally:
        await sim.stop()


async def test_refuses_non_loopback_bind() -> None:
    sim = Simulator(SimConfig())
    with pytest.raises(ValueError, match="loopback only"):
        await sim.start(host="0.0.0.0")


def test_command_prints_ids_then_listening_line_and_starts_fast() -> None:
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kore_tui",
            "simulator",
            "--port",
            "0",
            "--models",
            "3",
            "--seed",
            "5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
        elapsed = time.monotonic() - started
        assert all(line.startswith("cm-") for line in lines[:3])
        assert lines[3].startswith("listening on http://127.0.0.1:")
        assert lines[:3] == Simulator(SimConfig(models=3, seed=5)).model_ids
        assert elapsed < 10
    finally:
        proc.terminate()
        proc.wait(10)


def test_command_prints_tool_ids_after_the_models_before_the_listening_line() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kore_tui",
            "simulator",
            "--port",
            "0",
            "--models",
            "2",
            "--tools",
            "3",
            "--seed",
            "5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(6)]
        expected = Simulator(SimConfig(models=2, tools=3, seed=5))
        assert lines[:2] == expected.model_ids
        assert lines[2:5] == expected.tool_ids and all(t.startswith("a-") for t in lines[2:5])
        assert lines[5].startswith("listening on http://127.0.0.1:")
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("args", [["--tools", "-1"], ["--models", "99999", "--tools", "2"]])
def test_command_refuses_a_bad_tool_count(args: list[str]) -> None:
    done = run_cli("simulator", "--port", "0", *args)  # refused before it listens
    assert done.returncode == 2 and done.stdout == ""
    assert "--tools must be between 0 and 100000 minus --models" in done.stderr
