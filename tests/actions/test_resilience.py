"""Guard and RateLimiter with the real pybreaker, tenacity and limits; the 'cloud' is a function that raises our
errors on a schedule. Sleeps are recorded instead of slept; the rate limiter runs on a fake clock."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from actions.resilience import Guard, RateLimiter
from core.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    ResourceNotFound,
    TransientProviderError,
)

EP = "aws:prod:us-east-1"
LABEL = "AWS prod us-east-1"


class Cloud:
    """Answers with the scheduled outcomes in order (an exception is raised), then "ok" forever."""

    def __init__(self, *outcomes: Exception | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def throttled(retry_after: float | None = None) -> TransientProviderError:
    return TransientProviderError("AWS is throttling requests", retry_after=retry_after)


def failing(n: int) -> Cloud:
    return Cloud(*[throttled() for _ in range(n)])


def guard(delays: list[float] | None = None, **kwargs: float) -> Guard:
    record = delays.append if delays is not None else (lambda _s: None)
    return Guard(sleep=record, **kwargs)  # type: ignore[arg-type]


def test_transient_errors_are_retried_with_full_jitter_until_success() -> None:
    delays: list[float] = []
    cloud = Cloud(throttled(), throttled(), throttled())
    assert guard(delays).call(EP, LABEL, cloud) == "ok"
    assert cloud.calls == 4
    assert len(delays) == 3
    for i, delay in enumerate(delays):
        assert 0 <= delay <= 0.5 * 2**i


def test_jitter_spreads_within_the_exponential_window_up_to_its_cap() -> None:
    per_attempt: list[list[float]] = [[] for _ in range(5)]
    for _ in range(60):
        delays: list[float] = []
        with pytest.raises(TransientProviderError):
            guard(delays, fail_max=1000, attempts=6, backoff_max=2.0).call(EP, LABEL, failing(10))
        for i, delay in enumerate(delays):
            per_attempt[i].append(delay)
    bounds = [0.5, 1.0, 2.0, 2.0, 2.0]
    for samples, bound in zip(per_attempt, bounds, strict=True):
        assert len(samples) == 60
        assert all(0 <= s <= bound for s in samples)
        assert max(samples) > bound / 2 and min(samples) < bound / 2  # random across the window, not fixed


def test_gives_up_after_the_last_attempt_with_the_clouds_error() -> None:
    delays: list[float] = []
    cloud = failing(10)
    with pytest.raises(TransientProviderError, match=r"^AWS is throttling requests$"):
        guard(delays, attempts=3).call(EP, LABEL, cloud)
    assert cloud.calls == 3
    assert len(delays) == 2


def test_retry_after_is_honoured_as_the_least_delay() -> None:
    delays: list[float] = []
    assert guard(delays).call(EP, LABEL, Cloud(throttled(retry_after=5.0))) == "ok"
    assert delays == [5.0]


def test_a_retry_after_of_minutes_is_handed_back_instead_of_sleeping() -> None:
    delays: list[float] = []
    cloud = Cloud(throttled(retry_after=600.0))
    with pytest.raises(TransientProviderError) as info:
        guard(delays).call(EP, LABEL, cloud)
    assert info.value.retry_after == 600.0
    assert (cloud.calls, delays) == (1, [])


@pytest.mark.parametrize(
    "error",
    [
        ProviderError("AWS refused: InvalidParameterValue"),
        ProviderAuthError("AWS: credentials refused for prod - check AWS_PROFILE"),
        ResourceNotFound("No resource web-prod in AWS prod us-east-1."),
    ],
)
def test_refusals_are_not_retried_and_do_not_count_against_the_endpoint(error: ProviderError) -> None:
    delays: list[float] = []
    g = guard(delays, fail_max=2)
    for _ in range(3):
        cloud = Cloud(error)
        with pytest.raises(type(error)):
            g.call(EP, LABEL, cloud)
        assert cloud.calls == 1
    assert delays == []
    assert g.state(EP) == "closed"
    health = g.health(EP)
    assert (health.failures, health.last_error) == (0, str(error))


def test_retry_false_calls_once() -> None:
    cloud = failing(1)
    with pytest.raises(TransientProviderError):
        guard().call(EP, LABEL, cloud, retry=False)
    assert cloud.calls == 1


def test_breaker_opens_after_fail_max_transient_failures_then_fails_fast(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    g = guard(fail_max=3, attempts=1)
    for _ in range(2):
        with pytest.raises(TransientProviderError) as info:
            g.call(EP, LABEL, failing(1))
        assert not isinstance(info.value, ProviderUnavailable)
    with pytest.raises(ProviderUnavailable, match=f"^{LABEL} is failing; calls paused for 30 s$"):
        g.call(EP, LABEL, failing(1))
    assert g.state(EP) == "open"
    assert [r.getMessage() for r in caplog.records] == [f"{LABEL}: circuit open after 3 failures"]
    health = g.health(EP)
    assert (health.state, health.failures, health.last_error) == ("open", 3, "AWS is throttling requests")
    assert health.opened_at is not None

    untouched = Cloud()
    with pytest.raises(ProviderUnavailable, match=r"calls paused for (29|30) s$") as info:
        g.call(EP, LABEL, untouched)
    assert untouched.calls == 0
    assert info.value.retry_after in (29, 30)


def test_retries_stop_as_soon_as_the_breaker_opens() -> None:
    delays: list[float] = []
    cloud = failing(10)
    with pytest.raises(ProviderUnavailable) as info:
        guard(delays, fail_max=2, attempts=4).call(EP, LABEL, cloud)
    assert isinstance(info.value.__cause__, TransientProviderError)
    assert (cloud.calls, len(delays)) == (2, 1)


def test_a_success_resets_the_failure_count() -> None:
    g = guard(fail_max=3, attempts=1)
    for _ in range(2):
        with pytest.raises(TransientProviderError):
            g.call(EP, LABEL, failing(1))
        assert g.call(EP, LABEL, Cloud()) == "ok"
    with pytest.raises(TransientProviderError):
        g.call(EP, LABEL, failing(1))
    assert (g.state(EP), g.health(EP).failures) == ("closed", 1)  # 4 failures in all, never 3 in a row


def _trip(g: Guard, endpoint: str = EP) -> None:
    """Fail calls until the circuit opens."""
    for _ in range(10):
        try:
            g.call(endpoint, LABEL, failing(100))
        except ProviderUnavailable:
            return
        except TransientProviderError:
            continue
    pytest.fail("the circuit did not open")


def test_half_open_after_reset_then_one_success_closes_it(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    g = guard(fail_max=2, attempts=1, reset_seconds=0.15)
    _trip(g)
    time.sleep(0.2)  # the reset time is over
    assert g.state(EP) == "half-open"
    assert g.call(EP, LABEL, Cloud()) == "ok"
    assert g.state(EP) == "closed"
    assert (g.health(EP).failures, g.health(EP).opened_at) == (0, None)
    assert [r.getMessage() for r in caplog.records][-2:] == [
        f"{LABEL}: circuit half-open; trying one call",
        f"{LABEL}: circuit closed again",
    ]


def test_a_failed_trial_opens_it_again(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    g = guard(fail_max=2, attempts=4, reset_seconds=0.15)
    _trip(g)
    time.sleep(0.2)  # the reset time is over
    trial = failing(1)
    with pytest.raises(ProviderUnavailable):
        g.call(EP, LABEL, trial)
    assert trial.calls == 1  # no retries once the trial failed
    assert g.state(EP) == "open"
    assert caplog.records[-1].getMessage() == f"{LABEL}: trial call failed; circuit open again"
    untouched = Cloud()
    with pytest.raises(ProviderUnavailable):
        g.call(EP, LABEL, untouched)
    assert untouched.calls == 0


def test_endpoints_are_independent() -> None:
    g = guard(fail_max=2, attempts=1)
    _trip(g, "aws:prod:us-east-1")
    assert g.call("aws:prod:eu-west-1", "AWS prod eu-west-1", Cloud()) == "ok"
    assert (g.state("aws:prod:us-east-1"), g.state("aws:prod:eu-west-1"), g.state("gcp:p:z")) == (
        "open",
        "closed",
        "closed",
    )


def test_refused_credentials_are_logged_once_until_the_endpoint_works_again(caplog: pytest.LogCaptureFixture) -> None:
    refused = ProviderAuthError("AWS: credentials refused for prod - check AWS_PROFILE")
    g = guard()
    for _ in range(5):
        with pytest.raises(ProviderAuthError):
            g.call(EP, LABEL, Cloud(refused))
    g.call(EP, LABEL, Cloud())
    with pytest.raises(ProviderAuthError):
        g.call(EP, LABEL, Cloud(refused))
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in lines] == [f"{LABEL}: {refused}"] * 2
    assert all(r.exc_info is None for r in lines)


def _run_threads(n: int, target: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)


def test_half_open_lets_exactly_one_of_many_concurrent_callers_through() -> None:
    g = guard(fail_max=2, attempts=1, reset_seconds=0.1)
    _trip(g)
    time.sleep(0.15)
    trial_started, release = threading.Event(), threading.Event()
    ran: list[int] = []

    def slow_trial() -> str:
        ran.append(1)
        trial_started.set()
        release.wait(5)
        return "ok"

    results: Counter[str] = Counter()
    lock = threading.Lock()

    def caller(_i: int) -> None:
        try:
            result = g.call(EP, LABEL, slow_trial)
        except ProviderUnavailable:
            result = "unavailable"
        with lock:
            results[result] += 1
            if results["unavailable"] == 19:
                release.set()

    _run_threads(20, caller)
    assert trial_started.is_set()
    assert (len(ran), results) == (1, Counter({"unavailable": 19, "ok": 1}))
    assert g.state(EP) == "closed"


def test_many_threads_on_shared_endpoints(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    g = guard(fail_max=5, attempts=2)
    endpoints = [f"aws:prod:region-{i}" for i in range(4)]
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(i: int) -> None:
        endpoint = endpoints[i % 4]
        broken = endpoint.endswith(("-0", "-1"))
        for _ in range(50):
            try:
                result = g.call(endpoint, endpoint, failing(2) if broken else Cloud())
            except ProviderUnavailable:
                result = "unavailable"
            except TransientProviderError:
                result = "failed"
            with lock:
                outcomes[result] += 1

    _run_threads(16, worker)
    assert outcomes["ok"] == 400  # healthy endpoints: every call answered
    # Broken ones: 5 failures open the circuit; a call whose 2 attempts both failed before that gets the
    # cloud's error (at most 2 such calls per endpoint), every later one fails fast without a call.
    assert outcomes["failed"] <= 4
    assert outcomes["ok"] + outcomes["failed"] + outcomes["unavailable"] == 800
    assert [g.state(e) for e in endpoints] == ["open", "open", "closed", "closed"]
    opened = sorted(r.getMessage() for r in caplog.records)
    assert len(opened) == 2  # one line per endpoint, however many threads saw it fail
    for i, line in enumerate(opened):
        assert re.fullmatch(rf"aws:prod:region-{i}: circuit open after [5-9] failures", line)


class FakeClock:
    """Stands in for time.time (which `limits` reads) and for the limiter's sleep."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "time", fake.time)
    return fake


@pytest.mark.parametrize(
    ("per_second", "burst", "allowed", "window"),
    [(20.0, None, 20, 1), (0.5, None, 1, 2), (20.0, 100, 100, 5), (2.5, 5, 5, 2), (20.0, 5, 20, 1)],
)
def test_rate_and_burst_become_a_moving_window(per_second: float, burst: int | None, allowed: int, window: int) -> None:
    item = RateLimiter(per_second, burst).item
    assert (item.amount, item.get_expiry()) == (allowed, window)


def test_a_burst_of_500_requests_is_spread_at_the_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(20.0, sleep=clock.sleep)
    start = clock.now
    sent_at = []
    for _ in range(500):
        limiter.wait(EP)
        sent_at.append(clock.now - start)
    per_second = Counter(int(t) for t in sent_at)
    assert per_second == Counter({s: 20 for s in range(25)})  # 20 in each second, never more
    # another endpoint has its own allowance
    before = clock.now
    for _ in range(20):
        limiter.wait("aws:prod:eu-west-1")
    assert clock.now == before


def test_a_wait_gives_up_after_its_cap_and_says_so_once(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(0.01, max_wait=30.0, sleep=clock.sleep)  # one request per 100 s
    limiter.wait(EP)
    start = clock.now
    limiter.wait(EP)
    limiter.wait(EP)
    assert clock.now - start == pytest.approx(60.0)  # each capped wait: 30 s, then the request goes out
    assert [r.getMessage() for r in caplog.records] == [
        f"{EP}: waited 30 s for the client-side rate limit; sending anyway"
    ]


def test_the_real_clock_holds_the_request_over_the_limit_and_only_that_endpoint() -> None:
    limiter = RateLimiter(10.0)
    for _ in range(10):
        limiter.wait(EP)
    held = threading.Thread(target=limiter.wait, args=(EP,))
    held.start()
    held.join(timeout=0.3)
    assert held.is_alive()  # the 11th request within the second waits for the window
    for _ in range(10):
        limiter.wait("aws:prod:eu-west-1")  # would hang here if endpoints shared the window
    held.join(timeout=5)
    assert not held.is_alive()


class Stop(Exception):
    pass


def test_many_threads_get_exactly_the_allowance() -> None:
    def refuse(_seconds: float) -> None:
        raise Stop  # a caller that would have had to wait: count it and end the thread

    limiter = RateLimiter(10.0, burst=40, sleep=refuse)  # 40 per 4 s
    barrier = threading.Barrier(100)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def caller(_i: int) -> None:
        barrier.wait()
        try:
            limiter.wait(EP)
            result = "sent"
        except Stop:
            result = "held"
        with lock:
            outcomes[result] += 1

    _run_threads(100, caller)
    assert outcomes == Counter({"sent": 40, "held": 60})
