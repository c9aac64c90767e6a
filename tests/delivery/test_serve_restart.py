"""The real `opsbot serve`, killed (SIGKILL) with a backlog of alert cards for two incident channels, then started
again: every card reaches the fake Slack (which keeps Slack's pace, and refuses everything with 429 around the
kill, so that no message is half-way then) exactly once - as a card, or counted in a digest - each is reported to
its escalation (audited as delivered), and `opsbot outbox stats` shows nothing pending and nothing dead."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from typer.testing import CliRunner

from audit.log import AuditEvent, AuditLog
from bot.cli_outbox import outbox_app
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from tests.slack.conftest import BOT_TOKEN, SECRET, policy_file

OPSBOT = str(Path(sys.executable).parent / "opsbot")
CHANNELS = ("C0INCIDENT1", "C0INCIDENT2")
PER_CHANNEL = 1_000
DIGEST = re.compile(r"^(\d+) new alerts?:")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.02)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    fake = FakeSlackApi().start()
    fake.limit_channels(per_second=1.0, burst=4)  # Slack's own pace per channel
    yield fake
    fake.stop()


@pytest.fixture
def environment(tmp_path: Path, redis_url: str, slack: FakeSlackApi) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_") or k.startswith("OPSBOT_TEST_")}
    return env | {
        "OPSBOT_REDIS_URL": redis_url, "OPSBOT_DATA_DIR": str(tmp_path / "data"),
        "OPSBOT_SLACK_BOT_TOKEN": BOT_TOKEN, "OPSBOT_SLACK_SIGNING_SECRET": SECRET, "OPSBOT_SLACK_API_URL": slack.url,
        "OPSBOT_POLICY": str(policy_file(tmp_path)), "OPSBOT_SIM_RESOURCES": "200",
    }  # fmt: skip


@pytest.fixture
def serve(environment: dict[str, str]) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def _start() -> subprocess.Popen[str]:
        port = _free_port()
        env = environment | {"OPSBOT_HTTP_PORT": str(port)}
        process = subprocess.Popen([OPSBOT, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)  # fmt: skip
        started.append(process)
        _until(lambda: process.poll() is not None or _ready(f"http://127.0.0.1:{port}"), "opsbot serve ready")
        assert process.poll() is None, process.communicate()[1]
        return process

    yield _start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _received(slack: FakeSlackApi) -> int:
    total = 0
    for message in slack.messages:
        found = DIGEST.match(message.text)
        total += int(found.group(1)) if found else 1
    return total


def test_a_killed_serve_leaves_nothing_behind_for_the_next(
    serve: Callable[[], subprocess.Popen[str]], slack: FakeSlackApi, redis_conn: redis.Redis,
    environment: dict[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    first = serve()
    outbox = Outbox(redis_conn)
    cards = [
        Reply(ref=ConversationRef(channel="slack", conversation_id=channel), key=f"alert-{n}.n-{channel}",
              text=f"FIRING\nALERT {n} CRIT svc-{n}: problem {n}")
        for n in range(1, PER_CHANNEL + 1) for channel in CHANNELS
    ]  # fmt: skip
    for card in cards:  # as the workers publish them in a storm
        outbox.publish(card)
    _until(lambda: len(slack.messages) >= 8, "the first cards")  # each channel's burst
    # Slack stops taking messages (429, come back in a minute), so that nothing is on its way at the kill.
    slack.fail_next("chat.postMessage", 100_000, retry_after=60)
    time.sleep(0.5)
    first.kill()
    first.communicate()
    assert _received(slack) < len(cards)
    slack.fail_next("chat.postMessage", 0)

    second = serve()
    _until(lambda: _received(slack) >= len(cards), "every card delivered")
    time.sleep(0.5)
    assert _received(slack) == len(cards)  # exactly once

    def reported() -> set[str]:
        records = AuditLog(tmp_path / "data").records()
        return {r.what.rpartition(" ")[2] for r in records if r.event is AuditEvent.ALERT_DELIVERY and r.params["ok"]}

    _until(lambda: reported() >= {c.key for c in cards}, "every card reported to its escalation")
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=60)

    stats = CliRunner().invoke(outbox_app, ["stats"], env=environment)  # `opsbot outbox stats`
    rows = {line.split()[0]: line.split()[1:] for line in stats.output.splitlines()[1:]}
    assert rows["slack"] == ["0", "0", "0"]  # nothing pending, nothing dead
