"""Several `opsbot serve --no-worker` replicas and `opsbot worker` processes on one Redis database and the loopback
Slack fake, as a deployment runs them: every replica has its own OPSBOT_REPLICA_NAME and its own port (the load
balancer in front of them is the test, which spreads Slack's events over them and sends Slack's retries to another
replica than the first delivery went to). The events are signed as Slack signs them, with a fresh timestamp for each
delivery, retries included."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from slack_sdk.signature import SignatureVerifier

from bot.delivery import GROUP
from core.leases import PREFIX
from core.outbox import stream_key
from fakes.slack_api import FakeSlackApi
from tests.serve_process import OPSBOT, OpsbotServe, Running, slack_environment, stop
from tests.slack.conftest import SECRET, policy_file

DELIVERY_LEASE = PREFIX + "deliver:slack"  # who delivers the Slack outbox now (bot/delivery.py)


def environment(tmp_path: Path, redis_url: str, fake_slack: FakeSlackApi) -> dict[str, str]:
    """What every process of the deployment shares: Redis, the data directory, Slack, the policy."""
    return slack_environment(tmp_path, redis_url, fake_slack.url, _unlimited_policy(tmp_path))


def _unlimited_policy(tmp_path: Path) -> Path:
    """The shipped policy with alice known by Slack's sample user id, minus its message rate limit: one person
    here sends a thousand commands in seconds."""
    path = policy_file(tmp_path)
    policy = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy.pop("rate_limits", None)
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Replica:
    name: str  # its OPSBOT_REPLICA_NAME
    running: Running

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def process(self) -> subprocess.Popen[str]:
        return self.running.process


class Cluster:
    """The processes of one test; `stop_all()` stops whatever is still running."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self._tmp = tmp_path
        self.env = env
        self._serve = OpsbotServe()
        self.replicas: list[Replica] = []
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_replica(self, name: str) -> Replica:
        replica = Replica(name, self._serve.start({**self.env, "OPSBOT_REPLICA_NAME": name}, "--no-worker"))
        self.replicas.append(replica)
        return replica

    def start_worker(self) -> subprocess.Popen[bytes]:
        # Its stderr to a file, never a pipe nobody reads (a full pipe would stop it); the child keeps its own copy.
        with (self._tmp / f"worker-{len(self.workers)}.log").open("wb") as log:
            worker = subprocess.Popen([OPSBOT, "worker"], env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        self.workers.append(worker)
        return worker

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)

    def stop_all(self) -> None:
        self._serve.stop_all()
        for worker in self.workers:
            if worker.poll() is None:
                stop(worker)


def delivering(connection: redis.Redis) -> str | None:
    """The replica holding the Slack delivery lease now, if any."""
    holder = connection.get(DELIVERY_LEASE)
    return holder.decode() if isinstance(holder, bytes) else None


def pending(connection: redis.Redis) -> dict[str, int]:
    """Entries handed out to a consumer of the delivery group and not acknowledged, per Slack outbox stream."""
    counts = {}
    for urgent in (False, True):
        key = stream_key("slack", urgent=urgent)
        try:
            waiting = int(connection.xpending(key, GROUP)["pending"])
        except redis.ResponseError:  # no stream or no group: nothing can be pending
            waiting = 0
        counts["urgent" if urgent else "normal"] = waiting
    return counts


def posted_texts(fake: FakeSlackApi, channel: str) -> list[str]:
    """The messages the fake took into `channel`, in the order it took them (429s are not in it)."""
    return [m.text for m in list(fake.messages) if m.channel == channel]


def first_post_after(fake: FakeSlackApi, moment: float) -> float | None:
    """When the fake first took a chat.postMessage after `moment` (monotonic), if it has."""
    refused = {id(call) for call, _ in list(fake.throttled)}
    taken = [c.at for c in fake.calls_to("chat.postMessage") if c.at > moment and id(c) not in refused]
    return min(taken, default=None)


@pytest.fixture
def cluster(tmp_path: Path, redis_url: str, redis_conn: redis.Redis, fake_slack: FakeSlackApi) -> Iterator[Cluster]:
    """The processes of one deployment, stopped at the end of the test."""
    processes = Cluster(tmp_path, environment(tmp_path, redis_url, fake_slack))
    yield processes
    processes.stop_all()


class SlackEvents:
    """Slack's side of the Events API: each event POSTed, signed, to the replica the test picks."""

    def __init__(self) -> None:
        self.http = httpx.Client(timeout=30)
        self.retries = 0

    def send(self, replica: Replica, body: dict[str, Any], *, retry: int = 0) -> None:
        """Deliver `body`; `retry` > 0 marks it as Slack's retry number `retry` (reason: http_timeout)."""
        raw = json.dumps(body)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=raw) or "",
        }  # fmt: skip
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            self.retries += 1
        answer = self.http.post(replica.url + "/slack/events", content=raw, headers=headers)
        assert answer.status_code == 200, (answer.status_code, answer.text)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def slack_events() -> Iterator[SlackEvents]:
    events = SlackEvents()
    yield events
    events.close()
