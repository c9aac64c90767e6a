"""`opsbot serve`: the one-screen help without channels, one-line config errors, and the running service
(adapters, deliverers and the HTTP server together) started, used and stopped in-process."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from typer.testing import CliRunner

from bot.cli_outbox import outbox_app
from bot.inbox import Inbox
from bot.runtime import Runtime
from bot.serve import Service, serve
from core.errors import ConfigError
from core.settings import Settings
from fakes.telegram_api import FakeTelegramAPI
from tests.delivery.recording import CHANNEL, until, until_idle
from tests.eventually import eventually
from tests.http.fake_adapter import HOOK, FakeAdapter
from tests.serve_process import OPSBOT, OpsbotServe, stop
from tests.telegram import updates


def _opsbot(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPSBOT, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False
    )


@asynccontextmanager
async def _serving(runtime: Runtime, adapter: FakeAdapter) -> AsyncIterator[Service]:
    """The service with `adapter` on a free port, started; stopped (and its run finished) when the block ends."""
    service = Service(runtime, [adapter], host="127.0.0.1", port=0)
    running = asyncio.create_task(service.run())
    await service.started.wait()
    try:
        yield service
    finally:
        service.stop()
        await running


def _client(service: Service) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.port}")


def test_serve_without_a_channel_prints_one_screen_of_what_to_set_and_exits_2() -> None:
    done = _opsbot(["serve"])
    assert done.returncode == 2
    screen = done.stderr
    for needed in (
        "OPSBOT_SLACK_BOT_TOKEN", "OPSBOT_SLACK_APP_TOKEN", "OPSBOT_SLACK_SIGNING_SECRET", "OPSBOT_TELEGRAM_TOKEN",
        "OPSBOT_TELEGRAM_WEBHOOK_SECRET", "OPSBOT_PUBLIC_URL", "OPSBOT_REDIS_URL", "docs/slack.md", "docs/telegram.md",
    ):  # fmt: skip
        assert needed in screen, needed
    lines = screen.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 110
    assert "Traceback" not in screen and done.stdout == ""


def test_a_bad_setting_is_one_line() -> None:
    done = _opsbot(["serve"], OPSBOT_HTTP_PORT="99999", OPSBOT_TELEGRAM_TOKEN="123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "OPSBOT_HTTP_PORT" in done.stderr


def test_redis_not_answering_is_one_line_without_the_token(closed_port: int) -> None:
    token = "xoxb-1111-2222-SeCrEtToKeN"
    done = _opsbot(["serve"], OPSBOT_SLACK_BOT_TOKEN=token, OPSBOT_REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")
    assert done.returncode == 2
    assert "Redis does not answer" in done.stderr and "Traceback" not in done.stderr
    assert token not in done.stderr + done.stdout


def test_serve_refuses_to_start_without_a_channel(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="no chat channel"):
        asyncio.run(serve(settings))


def test_a_message_in_through_the_webhook_comes_back_through_the_deliverer(settings: Settings, tmp_path: Path) -> None:
    policy = yaml.safe_load(Path("policies/default.yaml").read_text(encoding="utf-8"))
    policy["conversations"]["chat:D1"] = {"members": "viewer"}  # the fake adapter's sender is not listed
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    runtime = Runtime.build(settings.model_copy(update={"policy": tmp_path / "policy.yaml"}), with_worker=False)
    adapter = FakeAdapter(Inbox(runtime.conversation, runtime.outbox))

    async def scenario() -> None:
        async with _serving(runtime, adapter) as service, _client(service) as client:
            assert (await client.get("/healthz")).text == "ok"
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.post(HOOK, content=b"help")).status_code == 200
            await until_idle(service.deliverers[0])

    try:
        asyncio.run(scenario())
    finally:
        runtime.close()

    assert adapter.events == ["start", "stop"]
    assert [s.op for s in adapter.transport.sent] == ["post"]
    assert adapter.transport.sent[0].reply.text.startswith("Try: status")


def test_an_oversized_chunked_body_is_refused_by_the_running_server(runtime: Runtime) -> None:
    adapter = FakeAdapter()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    async def scenario() -> int:
        async with _serving(runtime, adapter) as service, _client(service) as client:
            return (await client.post(HOOK, content=chunks())).status_code

    assert asyncio.run(scenario()) == 413
    assert adapter.bodies == []


def test_sigterm_stops_everything_cleanly(runtime: Runtime) -> None:
    adapter = FakeAdapter()

    async def scenario() -> None:
        service = Service(runtime, [adapter], host="127.0.0.1", port=0)
        running = asyncio.create_task(service.run())
        await service.started.wait()
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # or the kill below would end pytest
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(running, timeout=20)

    asyncio.run(scenario())

    assert adapter.events == ["start", "stop"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handed back


def test_a_port_in_use_is_a_config_error(runtime: Runtime) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            Service(runtime, [], host="127.0.0.1", port=port)


def test_opsbot_serve_answers_on_telegram_and_stops_on_sigterm(
    redis_url: str, redis_conn: redis.Redis, tmp_path: Path, opsbot_serve: OpsbotServe
) -> None:
    """The installed command end to end: the Telegram adapter against the fake Bot API, long polling."""
    token = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    with FakeTelegramAPI(token) as api:
        running = opsbot_serve.start(
            {"OPSBOT_TELEGRAM_TOKEN": token, "OPSBOT_TELEGRAM_API_URL": api.url, "OPSBOT_REDIS_URL": redis_url,
             "OPSBOT_DATA_DIR": str(tmp_path / "data"), "OPSBOT_SIM_RESOURCES": "2000", "OPSBOT_LOG_LEVEL": "INFO"},
            "--no-worker",
        )  # fmt: skip
        api.push_update(updates.text("help", user=123456789))  # alice's Telegram id in the shipped policy
        eventually(lambda: api.calls("sendMessage"), what="the answer sent")
        delivered = 'opsbot_stage_seconds_count{stage="delivery"} 1.0'
        eventually(lambda: delivered in httpx.get(running.url + "/metrics").text, what="the delivery counted")
        err = stop(running.process)
    assert running.process.returncode == 0, err
    assert str(api.calls("sendMessage")[0].params["text"]).startswith("Try: status")
    assert "Traceback" not in err and token not in err and "AAHdqTcv" not in err


def test_readyz_says_draining_from_the_moment_a_stop_is_asked(runtime: Runtime) -> None:
    """A load balancer or Kubernetes stops routing work here at once, while queued replies still go out."""

    async def readyz(service: Service) -> httpx.Response:
        transport = httpx.ASGITransport(app=service.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/readyz")

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        async with _serving(runtime, FakeAdapter()) as service:
            before = await readyz(service)
            service.stop()
            return before, await readyz(service)

    before, after = asyncio.run(scenario())
    assert before.status_code == 200
    assert (after.status_code, after.text) == (503, "draining\n")


def test_the_replica_delivers_under_its_own_name_and_hands_the_channel_over_when_stopped(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    named = dataclasses.replace(runtime, settings=runtime.settings.model_copy(update={"replica_name": "serve-7"}))
    service = Service(named, [FakeAdapter()], host="127.0.0.1", port=0)
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)

    def delivering() -> str:  # `opsbot outbox stats`, the chat channel's last column
        rows = CliRunner().invoke(outbox_app, ["stats"]).output.splitlines()
        return next(row.split()[-1] for row in rows if row.startswith(CHANNEL))

    async def scenario() -> str:
        running = asyncio.create_task(service.run())
        await service.started.wait()
        await until(lambda: service.deliverers[0].leading, "serve-7 delivering the channel")
        shown = await asyncio.to_thread(delivering)
        service.stop()
        await running
        return shown

    assert asyncio.run(scenario()) == "serve-7"
    assert delivering() == "-"  # released: another replica would take the channel over at once
