"""`opsbot alert test` and `/alert` in the shell: a sample alert through the real intake, as a user sees it."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from audit.log import AuditEvent, AuditLog
from bot.cli import app
from bot.console import ConsoleChannel
from bot.runtime import Runtime
from core.outbox import Outbox
from core.settings import Settings
from tests.eventually import eventually

runner = CliRunner()
OPSBOT = str(Path(sys.executable).parent / "opsbot")
CARD = "FIRING\nALERT {n} CRIT web-prod: 5xx above 5%\nprod · AWS · since "


def test_alert_test_posts_a_card_with_buttons_to_every_incident_channel(
    redis_url: str, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)
    monkeypatch.setenv("OPSBOT_INCIDENT_CHANNELS", '["slack:C0INCIDENT", "telegram:-1001234567890"]')
    done = runner.invoke(app, ["alert", "test"])
    assert done.exit_code == 0, done.output
    first, second = done.output.splitlines()
    assert first == "Test alert 1 (CRIT web-prod: 5xx above 5%) posted to slack:C0INCIDENT, telegram:-1001234567890."
    assert second.startswith("It pages by escalation 'default' until someone acknowledges it (ack 1); ")
    assert "Twilio is not configured" in second
    outbox = Outbox(redis_conn)
    for channel, conversation in (("slack", "C0INCIDENT"), ("telegram", "-1001234567890")):
        [(_, card)] = outbox.read(channel, "0-0")
        assert card.ref.conversation_id == conversation
        assert card.text.startswith(CARD.format(n=1)) and "Test alert sent with opsbot alert test" in card.text
        assert [b.label for b in card.buttons] == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]
    again = runner.invoke(app, ["alert", "test"])
    assert again.output.startswith("Test alert 2 ")  # each test is a new alert, not a repeat of the last


def test_alert_test_that_reaches_no_channel_says_so_and_fails(
    redis_url: str, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)
    done = runner.invoke(app, ["alert", "test"])
    assert done.exit_code == 1
    assert "posted nowhere: route 'critical' names no channels and OPSBOT_INCIDENT_CHANNELS is empty" in done.output


def test_alert_test_without_redis_is_one_line() -> None:
    done = runner.invoke(app, ["alert", "test"])
    assert done.exit_code == 2
    assert done.output == (
        "opsbot: alert test needs the Redis of opsbot serve (OPSBOT_REDIS_URL); "
        "in the demo, type /alert in opsbot shell\n"
    )


def test_shell_alert_shows_the_card_and_pressing_acknowledge_settles_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    env["OPSBOT_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [OPSBOT, "shell", "--json"], input="/alert\n/press 1\n", capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    card = lines[0]
    assert card["text"].startswith(CARD.format(n=1))
    assert [b["label"] for b in card["buttons"]] == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]
    assert lines[1]["text"] == "Test alert 1 (CRIT web-prod: 5xx above 5%) posted to console:shell."
    assert "SMS and calls are shown here, not sent (no Twilio)" in lines[2]["text"]
    acked = next(line for line in lines if line["edit_of"] == card["id"])
    assert acked["text"].startswith("ACKED by alice via console at ")
    assert [b["label"] for b in acked["buttons"]] == ["Resolve", "Graph"]
    assert "Alert 1 acknowledged: escalation stopped." in [line["text"] for line in lines[3:]]


def _until(out: io.StringIO, wanted: str) -> str:
    """The shell's output once `wanted` shows in it (the ticker and the outbox follower run in threads)."""
    return eventually(lambda: out.getvalue() if wanted in out.getvalue() else "", what=f"{wanted!r} in the shell")


def test_embedded_demo_shows_whom_it_would_page_and_tells_them_of_the_ack(tmp_path: Path) -> None:
    runtime = Runtime.build(Settings(data_dir=tmp_path / "data", sim_resources=100, sim_step_seconds=0.01))
    out = io.StringIO()
    channel = ConsoleChannel(runtime, user="alice", out=out)
    seen: dict[str, str] = {}

    def script() -> Iterator[str]:
        yield "/alert"
        yield "escalate 1"  # the reminder in chat is the first step; the next one pages the person on call
        seen["sms"] = _until(out, "would SMS")
        yield "escalate 1"
        seen["call"] = _until(out, "would call")
        yield "/as carol"
        yield "ack 1"
        seen["told"] = _until(out, "acked by carol")

    try:
        channel.run(script())
    finally:
        runtime.close()
    sms = re.search(r"would SMS (alice|bob) at \+1555010000[12] \(no Twilio configured\): ALERT 1 CRIT", seen["sms"])
    assert sms is not None, seen["sms"]
    person = sms.group(1)
    assert f"would call {person} at +155501000" in seen["call"]
    assert "pressing 1 would acknowledge alert 1; here type ack 1" in seen["call"]
    assert re.search(rf"would SMS {person} at \+1555010000\d \(no Twilio configured\): 1 acked by carol", seen["told"])
    assert "Alert 1 acknowledged: escalation stopped." in seen["told"]
    notified = [r for r in AuditLog(tmp_path / "data").records() if r.event is AuditEvent.ALERT_NOTIFIED]
    assert any(r.outcome.startswith("sent simulated-") for r in notified)


@pytest.mark.parametrize(
    ("escalation", "says"),
    [
        (None, "It pages nobody: route 'everything' has no escalation."),
        ("chat", "It pages by escalation 'chat' until someone acknowledges it (ack 1); it pages in chat only."),
    ],
)
def test_alert_test_says_how_the_alert_pages(
    redis_url: str, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    escalation: str | None, says: str,
) -> None:  # fmt: skip
    route: dict[str, object] = {"name": "everything", "channels": ["slack:C0INCIDENT"]}
    if escalation is not None:
        route["escalation"] = escalation
    alerting = {
        "routes": [route],
        "escalations": {"chat": {"steps": [{"notify": "channel"}, {"after": "5m", "notify": "channel"}]}},
    }
    path = tmp_path / "alerting.yaml"
    path.write_text(json.dumps(alerting), encoding="utf-8")  # JSON is YAML
    monkeypatch.setenv("OPSBOT_REDIS_URL", redis_url)
    monkeypatch.setenv("OPSBOT_ALERTING", str(path))
    done = runner.invoke(app, ["alert", "test"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1] == says
