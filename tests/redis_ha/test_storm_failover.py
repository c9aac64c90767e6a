"""A whole opsbot (the HTTP intake, the escalation timers, the Twilio pager, an in-process RQ worker) on a Redis
master with two replicas and three sentinels, failed over in the middle of a storm of 2,000 alerts while alerts
page by SMS and call and action jobs run: every alert the senders were answered 2xx for is stored once, every
page of every escalation is sent exactly once, and every job's action runs exactly once.

The escalation runs on a clock the test moves (a lease lost with the failover runs out when the test says, not a
minute later); the storm's alerts go to a console conversation nobody delivers, so that the run measures the
store, the timers and the queue rather than the fake Slack."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis

from alerts.model import Incoming, Severity
from audit.log import AuditEvent, AuditLog
from core.retrying import RetryPolicy
from fakes.redis_ha import SentinelRedis
from fakes.twilio_api import FakeTwilioAPI
from tests.alerting.conftest import (  # noqa: F401  (fixtures used through pytest)
    INCIDENT,
    TOKEN,
    AlertStackFactory,
    make_alert_stack,
    twilio,
)
from tests.alerting.escalation_clock import EscalationClock
from tests.clock import ManualClock
from tests.eventually import eventually
from tests.redis_ha.conftest import stored_fingerprints
from tests.redis_ha.senders import Senders
from tests.slack.conftest import fake_slack, make_stack  # noqa: F401  (fixtures used through pytest)
from tests.workers.helpers import scale_job
from workers.context import current_context
from workers.escalation.timers import LEASE_SECONDS, Timers
from workers.jobs import enqueue_action, job_id_for

STORM = 2_000
SENDERS = 8
PAGING = 12  # alerts that page, fired one after another across the failover
JOBS = 16
STEPS = 4  # each paging alert's escalation: SMS, call, SMS, call
FAILOVER_AFTER = 600  # storm alerts acknowledged before the failover is ordered

ALERTING: dict[str, Any] = {
    "timezone": "UTC",
    "routes": [
        {"name": "pages", "match": {"severity": ["critical"]}, "channels": [f"slack:{INCIDENT}"],
         "escalation": "phone"},
        {"name": "storm", "channels": ["console:storm"]},
    ],
    "escalations": {
        "phone": {"steps": [
            {"notify": "sms"},
            {"after": "1s", "notify": "call"},
            {"after": "1s", "notify": "sms"},
            {"after": "1s", "notify": "call"},
        ]},
    },
    "schedules": {
        "primary": {"timezone": "UTC", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
                    "people": ["alice"], "manager": "carol"},
    },
}  # fmt: skip


class Driver(threading.Thread):
    """Moves the escalation's clock half a second every 50 ms and wakes its timers, until stopped."""

    def __init__(self, clock: ManualClock, wake: Any) -> None:
        super().__init__(name="escalation-clock", daemon=True)
        self.clock, self._wake, self.stopping = clock, wake, threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.05):
            self.clock.advance(0.5)
            with contextlib.suppress(redis.RedisError):  # failing over: the ticker looks again on its own
                self._wake()


@pytest.mark.serial  # three redis-sentinel, three redis-server and 2,000 requests load both cores
def test_a_failover_during_a_storm_loses_no_alert_and_repeats_no_page_and_no_job(
    cluster: SentinelRedis,
    make_alert_stack: AlertStackFactory,  # noqa: F811
    twilio: FakeTwilioAPI,  # noqa: F811
) -> None:
    alerts = make_alert_stack(ALERTING, redis_url=cluster.url + "?wait_timeout=0.3")
    escalator = alerts.stack.runtime.alerting.escalator
    clock = ManualClock()
    escalator.clock = clock
    driver = Driver(clock, escalator.timers.wake)
    driver.start()
    context = current_context()  # the in-process worker's: the stack's Redis, audit and simulated cloud
    jobs = [scale_job(context.provider, to=13 + n % 8, key=f"storm-job-{n}") for n in range(JOBS)]
    storm = [f"storm-{n}" for n in range(STORM)]
    paging = [f"page-{n}" for n in range(PAGING)]

    def page_and_queue() -> None:
        """A paging alert and a job or two every 0.25 s, from just before the failover until after it."""
        for n, fingerprint in enumerate(paging):
            senders.send(fingerprint, "critical")
            for job in jobs[n * JOBS // PAGING : (n + 1) * JOBS // PAGING]:
                enqueue_action(context, job)
            time.sleep(0.25)

    with (
        httpx.Client(timeout=30) as http,
        ThreadPoolExecutor(max_workers=SENDERS) as pool,
        ThreadPoolExecutor(max_workers=1) as pager,  # beside the storm's queue, not behind it
    ):
        senders = Senders(alerts.url, http, TOKEN)
        sent = [pool.submit(senders.send, fingerprint) for fingerprint in storm]
        eventually(lambda: len(senders.acknowledged) >= FAILOVER_AFTER // 2, 60, "the storm under way")
        paged = pager.submit(page_and_queue)
        eventually(lambda: len(senders.acknowledged) >= FAILOVER_AFTER, 60, "the storm half-way")
        new = cluster.failover()
        for future in [*sent, paged]:
            future.result(timeout=120)

    # Every step of every escalation due (a claim lost with the failover runs out after its lease), then done.
    clock.advance(LEASE_SECONDS + 1)
    eventually(lambda: escalator.timers.running() == 0, 60, "every escalation over")
    driver.stopping.set()
    data_dir = alerts.stack.settings.data_dir
    job_ids = [job_id_for(job.idempotency_key) for job in jobs]
    eventually(lambda: _ended(data_dir, job_ids), 60, "every job ended")

    stored = stored_fingerprints(cluster.server(new))
    everything = set(storm) | set(paging)
    assert senders.acknowledged == everything
    missing = sorted(everything - set(stored))
    twice = sorted(f for f, count in Counter(stored).items() if count > 1)
    assert (missing, twice) == ([], []), (
        f"{len(missing)} acknowledged alerts lost, {len(twice)} stored twice ({senders.unavailable} answers were 503)"
    )

    pages = Counter(_token(callback) for callback in _callbacks(twilio))
    numbers = sorted({token.partition(".")[0] for token in pages})
    assert len(numbers) == PAGING, f"pages for {len(numbers)} of {PAGING} paging alerts: {sorted(pages)}"
    expected = {f"{number}.{step}" for number in numbers for step in range(1, STEPS + 1)}
    assert {t: c for t, c in pages.items() if c != 1} == {}, "pages sent more than once"
    assert set(pages) == expected, f"pages missing: {sorted(expected - set(pages))}"

    started = Counter(r.params.get("job_id") for r in AuditLog(data_dir).records() if r.event is AuditEvent.STARTED)
    assert {job_id: started[job_id] for job_id in job_ids} == dict.fromkeys(job_ids, 1), "a job ran twice or never"


def test_a_page_waits_while_the_replicas_cannot_confirm_it_and_is_sent_once_when_they_can(
    cluster: SentinelRedis,
    make_alert_stack: AlertStackFactory,  # noqa: F811
    twilio: FakeTwilioAPI,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Three replicas asked for, two running: Redis never confirms a write (intake would answer 503: the alert is
    # given to the escalation directly).
    alerts = make_alert_stack(ALERTING, redis_url=cluster.url + "?wait_replicas=3&wait_timeout=0.1")
    escalator = alerts.stack.runtime.alerting.escalator
    escalator.timers.patience = RetryPolicy(attempts=2, first=0.1, most=0.1)
    clock = EscalationClock()
    clock.drive(escalator)
    escalator.ingest([Incoming(source="generic", fingerprint="db-down", severity=Severity.CRITICAL,
                               summary="db down", resource="web-prod")])  # fmt: skip
    escalator.timers.wake()
    eventually(lambda: "page 1.1 postponed until Redis settles" in caplog.text, 30, "the SMS step postponed")
    assert twilio.sms_sent == [] and _leased(escalator.timers, clock)  # its claim runs out first
    assert escalator.run_due() == 0
    assert not alerts.stack.runtime.connection.exists("opsbot:esc:paged:1.1")  # taken back: a later run may page

    pool = cast(Any, alerts.stack.runtime.connection.connection_pool)
    pool.wait_replicas = None  # the replicas there are now confirm the writes
    clock.advance(LEASE_SECONDS + 1)
    escalator.timers.wake()
    twilio.wait_for(lambda fake: len(fake.sms_sent) == 1)
    for _ in range(STEPS - 1):  # the rest of the escalation, a second apart
        clock.later(1)
    eventually(lambda: escalator.timers.running() == 0, 30, "the escalation over")
    assert sorted(_token(c) for c in _callbacks(twilio)) == ["1.1", "1.2", "1.3", "1.4"]  # each page once


def _leased(timers: Timers, clock: ManualClock) -> bool:
    due = timers.next_due()
    return due is not None and due > clock.now


def _callbacks(fake: FakeTwilioAPI) -> list[str]:
    return [s.status_callback or "" for s in fake.sms_sent] + [c.status_callback or "" for c in fake.calls_placed]


def _token(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["token"][0]


def _ended(data_dir: Any, job_ids: list[str]) -> bool:
    ends = {AuditEvent.SUCCEEDED, AuditEvent.FAILED, AuditEvent.ABANDONED, AuditEvent.EXPIRED}
    ended = {r.params.get("job_id") for r in AuditLog(data_dir).records() if r.event in ends}
    return set(job_ids) <= ended
