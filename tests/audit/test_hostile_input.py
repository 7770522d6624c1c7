"""Every channel a string can enter by renders it inert and bounded."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from kore_tui.cli.common import print_jobs
from kore_tui.core import errors, paths
from kore_tui.core.api_client import KoreClient
from kore_tui.core.config import ConfigError, load_config
from kore_tui.core.export import render
from kore_tui.core.ids import parse_ids
from kore_tui.core.job import Job, JobState
from kore_tui.core.secret import Secret
from kore_tui.core.text import inert
from kore_tui.tui.screens.detail import detail_text
from kore_tui.tui.widgets.banner import banner_text
from kore_tui.tui.widgets.id_entry import feedback_text
from kore_tui.tui.widgets.jobs_table import row_cells
from tests.audit.corpus import PAYLOADS, assert_inert
from tests.conftest import SENTINEL_KEY

MODEL = "cm-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
DS = "ds-d0a1b2c3-b4c9-4d60-8e75-5b0a1b2c3d41"
IDS = [f"{MODEL}", f"{DS}"]


def test_corpus_is_big_enough() -> None:
    assert len(PAYLOADS) >= 25


def client(handler: Callable[[httpx.Request], httpx.Response]) -> KoreClient:
    return KoreClient(
        "https://agent-platform.kore.ai",
        Secret(SENTINEL_KEY),
        transport=httpx.MockTransport(handler),
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
async def test_server_error_messages_in_both_envelopes_and_raw(payload: str) -> None:
    bodies: list[str | bytes] = [
        json.dumps({"success": False, "error": {"code": payload[:50], "message": payload}}),
        json.dumps({"error": payload}),
        payload.encode("utf-8", "surrogatepass"),
    ]
    for body in bodies:
        async with client(lambda r: httpx.Response(409, content=body)) as c:
            with pytest.raises(errors.ApiError) as info:
                await c.start_job("model", "UNDEPLOY", MODEL)
        assert_inert(str(info.value), 400)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
async def test_status_values_and_ids_in_responses(payload: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "_id": DS,
            "toolId": payload,
            "jobType": payload,
            "action": payload,
            "status": payload,
        }
        return httpx.Response(200, content=json.dumps(body).encode())

    async with client(handler) as c:
        status = await c.dock_status(DS)
    assert_inert(status.status, 40)
    job = Job(
        key="k",
        environment="e",
        host="h",
        origin="watch",
        model_id=inert(payload, 80),
        dock_status_id=DS,
        state=JobState.IN_PROGRESS,
        server_status=status.status,
        action=inert(payload, 30),
        error=inert(payload),
        last_response=status.raw,
    )
    for text, _ in row_cells(job, 0.0).values():
        assert_inert(text, 400)
    assert_inert(job.status_label, 80)
    for line in detail_text(job).plain.splitlines():
        assert_inert(line, 700)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_cli_output_and_exports(payload: str, tmp_path: Path) -> None:
    job = Job(
        key="k",
        environment="e",
        host="h",
        origin="sent",
        model_id=MODEL,
        dock_status_id=DS,
        state=JobState.ERROR,
        error=inert(payload),
    )
    out = io.StringIO()
    print_jobs([job], as_json=False, out=out)
    for line in out.getvalue().splitlines():
        assert_inert(line, 600)
    out = io.StringIO()
    print_jobs([job], as_json=True, out=out)
    assert "\x1b" not in out.getvalue()
    csv_text = render([job], tmp_path / "x.csv").decode()
    assert not any(
        line.split(",")[5].startswith(("=", "+", "@"))
        for line in csv_text.splitlines()[1:]
        if line.count(",") >= 5
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_environment_names_and_hosts_in_config(payload: str) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    for text in (
        f"[environments.x]\nhost = {json.dumps(payload)}\n",
        f'[environments.{json.dumps(payload)}]\nhost = "https://a.kore.ai"\n',
        f"default = {json.dumps(payload)}\n",
    ):
        try:
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        except UnicodeEncodeError:
            continue
        path.chmod(0o600)
        with pytest.raises(ConfigError) as info:
            load_config(path)
        message = str(info.value).replace(str(path), "")
        assert_inert(message, 400)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_pasted_text_feedback(payload: str) -> None:
    parsed = parse_ids(f"{payload}\n{MODEL}\n{payload}cm-{payload}")
    assert MODEL in parsed.model_ids
    for line in feedback_text(parsed).plain.splitlines():
        assert_inert(line, 200)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_environment_banner(payload: str) -> None:
    from kore_tui.core.config import Environment

    env = Environment(name=payload, host=payload, colour="red")
    assert_inert(banner_text(env, None, False, now=0).plain, 200)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_file_names_in_messages(payload: str) -> None:
    from kore_tui.cli.common import UsageError
    from kore_tui.cli.undeploy_cmd import read_input

    with pytest.raises(UsageError) as info:
        read_input([], ["/nonexistent/" + payload[:200].replace("\x00", "")])
    assert_inert(str(info.value), 400)
