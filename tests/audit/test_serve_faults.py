"""The real `opsbot serve` process, its audit in trouble: a torn tail at start-up and again in the middle of a
storm, and a disk that is full. Every alert is still answered 2xx, posted to Slack and escalated by SMS; the torn
bytes are moved aside and the log verifies; with the disk full the incident channel is told once, /metrics counts
the failures, and a change to infrastructure is refused in one line."""

from __future__ import annotations

import fcntl
import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import redis
from slack_sdk.signature import SignatureVerifier

from audit.log import AuditEvent, AuditLog, read_records
from audit.torn import quarantined
from audit.verify import verify_audit
from fakes.slack_api import FakeSlackApi
from fakes.twilio_api import FakeTwilioAPI
from tests.alerting.conftest import (
    ALICE_PHONE,
    INCIDENT,
    PUBLIC,
    TOKEN,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    alerting_file,
    policy_with_phones,
)
from tests.eventually import eventually
from tests.serve_process import OpsbotServe, Running, stop
from tests.slack.conftest import BOT_TOKEN, CHANNEL, SECRET, mention

KEY = "serve-test-audit-key-0123456789"


class Serve:
    """A running `opsbot serve` and what a monitoring system and a Slack user send it."""

    def __init__(self, running: Running) -> None:
        self.process = running.process
        self.http = httpx.Client(base_url=running.url, timeout=10)

    def fire(self, fingerprint: str) -> httpx.Response:
        body = {"fingerprint": fingerprint, "status": "firing", "severity": "critical",
                "summary": f"{fingerprint} 5xx above 5%", "resource": "web-prod", "environment": "prod"}  # fmt: skip
        return self.http.post("/alerts/generic", content=json.dumps(body), headers={"Authorization": f"Bearer {TOKEN}"})

    def say(self, text: str) -> httpx.Response:
        raw = json.dumps(mention(text))
        ts = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=raw)
        assert signature is not None  # None only without a timestamp
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": "application/json"}
        return self.http.post("/slack/events", content=raw, headers=headers)


@pytest.fixture
def serve(
    tmp_path: Path, redis_url: str, redis_conn: redis.Redis, fake_slack: FakeSlackApi, twilio: FakeTwilioAPI,
    opsbot_serve: OpsbotServe,
) -> Iterator[Callable[[Path], Serve]]:  # fmt: skip
    """Starts `opsbot serve` on `data_dir`, as an operator would: every setting from the environment."""
    started: list[Serve] = []

    def _start(data_dir: Path) -> Serve:
        running = opsbot_serve.start({
            "OPSBOT_REDIS_URL": redis_url, "OPSBOT_DATA_DIR": str(data_dir),
            "OPSBOT_SLACK_BOT_TOKEN": BOT_TOKEN, "OPSBOT_SLACK_SIGNING_SECRET": SECRET,
            "OPSBOT_SLACK_API_URL": fake_slack.url, "OPSBOT_POLICY": str(policy_with_phones(tmp_path)),
            "OPSBOT_ALERTING": str(alerting_file(tmp_path)),
            "OPSBOT_ALERT_SOURCES": json.dumps({"generic": {"token": TOKEN}}),
            "OPSBOT_TWILIO_ACCOUNT_SID": TWILIO_SID, "OPSBOT_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "OPSBOT_TWILIO_FROM": TWILIO_FROM, "OPSBOT_TWILIO_API_URL": twilio.url, "OPSBOT_PUBLIC_URL": PUBLIC,
            "OPSBOT_INCIDENT_CHANNELS": json.dumps([f"slack:{INCIDENT}"]), "OPSBOT_SIM_RESOURCES": "2000",
            "OPSBOT_SIM_STEP_SECONDS": "0.01", "OPSBOT_AUDIT_KEY": KEY,
        })  # fmt: skip
        started.append(Serve(running))
        return started[-1]

    yield _start
    for running in started:
        running.http.close()


def _tear(path: Path, torn: bytes) -> None:
    """What a writer that died half-way leaves (it held the lock, as a real append does)."""
    with path.open("ab") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        fh.write(torn)
        fh.flush()
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _storm(serve: Serve, names: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(serve.fire, names))
    assert [a.status_code for a in answers] == [200] * len(names), [a.text for a in answers]


def _shows(text: str, number: int) -> bool:
    """A card of its own, or a line of a digest ("6 new alerts:\n#5 CRIT ...") when a burst came in."""
    return f"ALERT {number} " in text or f"\n#{number} " in text


def _every_alert_carded_and_paged(slack: FakeSlackApi, twilio: FakeTwilioAPI, count: int) -> None:
    def carded() -> int:
        texts = {m.shown for m in slack.messages if m.channel == INCIDENT}
        named = {n for n in range(1, count + 1) if any(_shows(text, n) for text in texts)}
        more = sum(int(m.group(1)) for text in texts for m in re.finditer(r"\nand (\d+) more", text))
        return len(named) + more

    eventually(
        lambda: carded() >= count, 60, "a card (or a digest line) per alert",
        seen=lambda: [m.shown for m in slack.messages if m.channel == INCIDENT],
    )  # fmt: skip
    eventually(lambda: len({s.body for s in twilio.sms_sent if s.to == ALICE_PHONE}) >= count, 60, "an SMS per alert")


def test_a_torn_tail_at_start_up_and_in_a_storm_holds_no_alert_back(
    serve: Callable[[Path], Serve], fake_slack: FakeSlackApi, twilio: FakeTwilioAPI, tmp_path: Path,
    redis_conn: redis.Redis,
) -> None:  # fmt: skip
    data = tmp_path / "data"
    before = AuditLog(data)
    for i in range(3):
        before.append(AuditEvent.RECEIVED, actor="alice", where="slack:C1", what=f"status {i}")
    first_tear = b'{"seq":4,"at":1764990000.5,"event":"alert_rec'
    _tear(before.path, first_tear)
    running = serve(data)
    _storm(running, [f"torn-{i}" for i in range(5)])
    second_tear = b"\x00" * 512  # a crash with a full page of zeroes, in the middle of the storm
    _tear(before.path, second_tear)
    _storm(running, [f"torn-{i}" for i in range(5, 10)])
    _every_alert_carded_and_paged(fake_slack, twilio, 10)
    assert quarantined(data) == [first_tear, second_tear]
    records = read_records(before.path)
    assert [r.event for r in records].count(AuditEvent.REPAIRED) == 2
    assert len([r for r in records if r.event is AuditEvent.ALERT_RECEIVED]) == 10
    report = verify_audit(data, connection=redis_conn, key=KEY.encode())
    assert report.ok, report.lines()
    assert [r.size for r in report.repairs] == [len(first_tear), len(second_tear)]


def test_a_full_disk_stops_no_alert_and_refuses_a_change_in_one_line(
    serve: Callable[[Path], Serve], fake_slack: FakeSlackApi, twilio: FakeTwilioAPI, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "audit.jsonl").symlink_to("/dev/full")  # every write: ENOSPC, for root too
    running = serve(data)
    _storm(running, [f"full-{i}" for i in range(6)])
    _every_alert_carded_and_paged(fake_slack, twilio, 6)
    told = [m for m in fake_slack.messages if m.channel == INCIDENT and "cannot write its audit log" in m.shown]
    assert len(told) == 1
    assert "(the disk is full)" in told[0].shown and "Alerts and paging go on" in told[0].shown
    metrics = running.http.get("/metrics").text
    failures = next(line for line in metrics.splitlines() if line.startswith("opsbot_audit_write_failures_total"))
    assert float(failures.split()[-1]) >= 6

    assert running.say("scale web-prod to 20").status_code == 200
    answer = fake_slack.message_where(lambda m: m.channel == CHANNEL, timeout=30)
    assert "\n" not in answer.shown.strip() and not answer.buttons  # one line, and nothing to confirm
    assert "nothing was run" in answer.shown or "audit log cannot be written" in answer.shown
    stderr = stop(running.process)
    assert stderr.count("audit log writes failing: the disk is full") == 1  # one line per outage, not per alert
