"""The real-Alertmanager harness: what it sends to a loopback webhook receiver, and that it cleans up."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes import alertmanager
from fakes.alertmanager import MISSING, Alertmanager
from tests.loopback_http import Answer, LoopbackHttp, Request

TOKEN = "am-test-token-7f3c"
WAIT = 15.0  # a bound on waiting for a delivery, not a speed assertion
ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Delivery:
    path: str
    authorization: str | None
    body: dict[str, Any]


class Receiver:
    """A loopback webhook endpoint recording each POST (path, Authorization header, JSON body)."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        self.server = LoopbackHttp(self._record)
        self.url = f"{self.server.url}/alerts/alertmanager"

    def _record(self, request: Request) -> Answer:
        with self._changed:
            self.deliveries.append(
                Delivery(request.path, request.headers.get("Authorization"), json.loads(request.body))
            )
            self._changed.notify_all()
        return Answer(200)

    def wait_for(self, count: int, am: Alertmanager) -> list[Delivery]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.deliveries) >= count, WAIT):
                got = [d.body.get("status") for d in self.deliveries]
                pytest.fail(f"expected {count} webhooks, got {got}; Alertmanager log:\n{am.stderr_tail()}")
            return list(self.deliveries)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    with started.server:
        yield started


def running_with(config_file: Path) -> list[int]:
    """Pids of live processes whose command line names this config file."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(config_file).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return pids


def alerts_by_name(deliveries: list[Delivery]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(d.body["status"], a["labels"]["alertname"]): a for d in deliveries for a in d.body["alerts"]}


def test_two_firing_then_one_resolved_arrive_as_webhook_v4(receiver: Receiver, tmp_path: Path) -> None:
    with Alertmanager(receiver.url, bearer_token=TOKEN, tmp_path=tmp_path, group_interval="10ms") as am:
        am.fire(
            {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
            {"summary": "Disk 97% full on db-1"},
            generator_url="http://prometheus.example/graph?g0.expr=disk",
        )
        am.fire({"alertname": "HighLatency", "instance": "web-2", "severity": "critical"})
        firing = receiver.wait_for(2, am)
        am.resolve({"alertname": "DiskFull", "instance": "db-1", "severity": "critical"})
        deliveries = receiver.wait_for(3, am)
        log = am.stderr_tail(10_000)

    for d in deliveries:
        assert d.path == "/alerts/alertmanager"
        assert d.authorization == f"Bearer {TOKEN}"
        assert d.body["version"] == "4"
        assert d.body["receiver"] == "opsbot"
        assert d.body["externalURL"] == am.url
        assert d.body["truncatedAlerts"] == 0
        assert len(d.body["alerts"]) == 1  # group_by ['...']: one alert per group
        assert d.body["groupLabels"] == d.body["alerts"][0]["labels"]
    assert [d.body["status"] for d in firing] == ["firing", "firing"]
    assert deliveries[2].body["status"] == "resolved"

    alerts = alerts_by_name(deliveries)
    assert set(alerts) == {("firing", "DiskFull"), ("firing", "HighLatency"), ("resolved", "DiskFull")}
    fired, resolved = alerts["firing", "DiskFull"], alerts["resolved", "DiskFull"]
    assert fired["status"] == "firing"
    assert fired["labels"] == {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"}
    assert fired["annotations"] == {"summary": "Disk 97% full on db-1"}
    assert fired["generatorURL"] == "http://prometheus.example/graph?g0.expr=disk"
    assert fired["endsAt"] == ZERO_TIME
    assert len(fired["fingerprint"]) == 16
    int(fired["fingerprint"], 16)
    assert resolved["status"] == "resolved"
    assert resolved["fingerprint"] == fired["fingerprint"]
    assert resolved["startsAt"] == fired["startsAt"]
    assert resolved["annotations"] == fired["annotations"]  # resent with the resolve, as Prometheus does
    assert resolved["endsAt"] != ZERO_TIME
    assert resolved["endsAt"] > resolved["startsAt"]
    assert alerts["firing", "HighLatency"]["fingerprint"] != fired["fingerprint"]
    assert TOKEN not in log


def test_without_a_token_no_authorization_header_is_sent(receiver: Receiver, tmp_path: Path) -> None:
    with Alertmanager(receiver.url, bearer_token=None, tmp_path=tmp_path) as am:
        am.fire({"alertname": "NoAuth"})
        (delivery,) = receiver.wait_for(1, am)
    assert delivery.authorization is None
    assert delivery.body["status"] == "firing"


def test_refiring_an_alert_is_not_sent_twice(receiver: Receiver, tmp_path: Path) -> None:
    labels = {"alertname": "Flapping", "instance": "lb-1"}
    with Alertmanager(receiver.url, bearer_token=TOKEN, tmp_path=tmp_path, group_interval="10ms") as am:
        am.fire(labels)
        receiver.wait_for(1, am)
        am.fire(labels)  # as Prometheus re-sends a still-firing alert
        am.resolve(labels)
        deliveries = receiver.wait_for(2, am)
    assert [d.body["status"] for d in deliveries] == ["firing", "resolved"]
    first, last = (d.body["alerts"][0] for d in deliveries)
    assert last["startsAt"] == first["startsAt"]


def test_group_by_puts_alerts_of_one_group_in_one_webhook(receiver: Receiver, tmp_path: Path) -> None:
    with Alertmanager(
        receiver.url, bearer_token=TOKEN, tmp_path=tmp_path, group_by=["alertname"], group_wait="1s"
    ) as am:
        am.fire({"alertname": "NodeDown", "instance": "node-1"})
        am.fire({"alertname": "NodeDown", "instance": "node-2"})
        (delivery,) = receiver.wait_for(1, am)
    assert delivery.body["groupLabels"] == {"alertname": "NodeDown"}
    assert delivery.body["commonLabels"] == {"alertname": "NodeDown"}
    assert sorted(a["labels"]["instance"] for a in delivery.body["alerts"]) == ["node-1", "node-2"]
    assert delivery.body["groupKey"] == '{}:{alertname="NodeDown"}'


@pytest.mark.parametrize(
    ("labels", "reason"),
    [({}, "at least one label pair required"), ({"bad-name": "x"}, 'invalid label set: invalid name "bad-name"')],
)
def test_an_alert_alertmanager_refuses_raises_its_reason(
    receiver: Receiver, tmp_path: Path, labels: dict[str, str], reason: str
) -> None:
    refused = pytest.raises(RuntimeError, match=r"refused the alert: 400 " + re.escape(reason) + "$")
    with Alertmanager(receiver.url, bearer_token=TOKEN, tmp_path=tmp_path) as am, refused:
        am.fire(labels)
    assert receiver.deliveries == []


def test_a_missing_binary_fails_naming_the_debian_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=f"^{MISSING}$"):
        Alertmanager("http://127.0.0.1:9/", bearer_token=None, tmp_path=tmp_path)


def test_a_config_the_binary_rejects_fails_with_its_log_and_leaves_nothing(tmp_path: Path) -> None:
    am = Alertmanager("http://127.0.0.1:9/", bearer_token=None, tmp_path=tmp_path, group_interval="0s")
    with pytest.raises(RuntimeError, match=r"exited with code 1 before it was ready:\n(.|\n)*cannot be zero"):
        am.start()
    assert running_with(am.config_file) == []


def test_the_process_is_stopped_when_the_test_body_raises(receiver: Receiver, tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError), Alertmanager(receiver.url, bearer_token=TOKEN, tmp_path=tmp_path) as am:
        assert running_with(am.config_file) == [am.pid]
        assert httpx.get(f"{am.url}/-/healthy").status_code == 200
        _ = 1 / 0
    assert running_with(am.config_file) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{am.url}/-/healthy")


def test_fire_before_start_says_so(tmp_path: Path) -> None:
    am = Alertmanager("http://127.0.0.1:9/", bearer_token=None, tmp_path=tmp_path)
    with pytest.raises(RuntimeError, match="not running"):
        am.fire({"alertname": "Early"})


def test_a_port_taken_before_the_bind_is_replaced(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = alertmanager.free_port
        monkeypatch.setattr(alertmanager, "free_port", lambda: next(ports, None) or real_free_port())
        with Alertmanager(receiver.url, bearer_token=TOKEN, tmp_path=tmp_path) as am:
            assert am.port != taken
            am.fire({"alertname": "AfterRetry"})
            (delivery,) = receiver.wait_for(1, am)
    assert delivery.body["externalURL"] == am.url
    assert "address already in use" in am.stderr_tail(1000)
