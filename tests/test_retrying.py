"""opsbot's one retry policy (core.retrying) on the real tenacity: what is tried again, how often, and after
which pause. Pauses are recorded instead of slept, except where the deadline is what is being tested."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.channels import DeliveryFailed, RetryAfter
from core.errors import ProviderError, TransientProviderError
from core.retrying import RetryPolicy


class Flaky:
    """Raises the scheduled errors in order, then answers "ok" forever."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def coroutine(self) -> str:
        return self()


def transient(retry_after: float | None = None) -> TransientProviderError:
    return TransientProviderError("AWS is throttling requests", retry_after=retry_after)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientProviderError)


def run(policy: RetryPolicy, flaky: Flaky) -> tuple[str, list[float]]:
    pauses: list[float] = []
    return policy.retrying(is_transient, sleep=pauses.append)(flaky), pauses


def test_back_off_doubles_up_to_its_most_and_the_call_gets_through() -> None:
    flaky = Flaky(*[transient() for _ in range(6)])
    answer, pauses = run(RetryPolicy(first=0.5, most=4.0, jitter=False), flaky)
    assert (answer, flaky.calls) == ("ok", 7)
    assert pauses == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_full_jitter_is_random_up_to_the_back_off() -> None:
    per_attempt: list[list[float]] = [[], [], []]
    for _ in range(60):
        _answer, pauses = run(RetryPolicy(first=1.0, most=2.0), Flaky(transient(), transient(), transient()))
        for samples, pause in zip(per_attempt, pauses, strict=True):
            samples.append(pause)
    for samples, ceiling in zip(per_attempt, [1.0, 2.0, 2.0], strict=True):
        assert all(0 <= pause <= ceiling for pause in samples)
        assert min(samples) < ceiling / 2 < max(samples)  # spread across the window, not fixed


def test_the_servers_retry_after_is_the_pause_up_to_the_longest_allowed() -> None:
    policy = RetryPolicy(first=1.0, jitter=False, longest_retry_after=30.0)
    _answer, pauses = run(policy, Flaky(transient(7.0), transient(), transient(45.0), transient(-1.0)))
    assert pauses == [7.0, 2.0, 30.0, 0.0]  # the back-off counts every attempt; a negative Retry-After is now


def test_a_chat_platforms_retry_after_is_honoured_too() -> None:
    pauses: list[float] = []

    def worth(exc: BaseException) -> bool:
        return not isinstance(exc, DeliveryFailed)

    flaky = Flaky(RetryAfter(0.25), RuntimeError("reset by peer"))
    assert RetryPolicy(first=0.01, jitter=False).retrying(worth, sleep=pauses.append)(flaky) == "ok"
    assert pauses == [0.25, 0.02]


def test_it_gives_up_after_its_attempts_with_the_last_error_as_raised() -> None:
    flaky = Flaky(*[transient() for _ in range(5)])
    with pytest.raises(TransientProviderError, match=r"^AWS is throttling requests$"):
        run(RetryPolicy(attempts=3, first=0.1), flaky)
    assert flaky.calls == 3


def test_what_is_not_worth_retrying_is_raised_at_once() -> None:
    flaky = Flaky(ProviderError("AWS refused: InvalidParameterValue"))
    with pytest.raises(ProviderError, match="InvalidParameterValue"):
        run(RetryPolicy(attempts=5), flaky)
    assert flaky.calls == 1


def test_throttled_attempts_can_be_left_out_of_the_count() -> None:
    policy = RetryPolicy(attempts=2, first=0.1, jitter=False, throttles_count=False)
    flaky = Flaky(transient(1.0), transient(1.0), transient(), transient(1.0), transient(), transient())
    with pytest.raises(TransientProviderError):
        run(policy, flaky)
    assert flaky.calls == 5  # three said when to come back; the second plain failure is the last
    counting = Flaky(transient(1.0), transient(1.0), transient())
    with pytest.raises(TransientProviderError):
        run(RetryPolicy(attempts=2), counting)
    assert counting.calls == 2


def test_each_call_is_counted_on_its_own() -> None:
    retrying = RetryPolicy(attempts=2, first=0.0, throttles_count=False).retrying(is_transient, sleep=lambda _s: None)
    for _ in range(3):  # throttled attempts of an earlier call do not make room in this one
        flaky = Flaky(transient(0.0), transient(), transient())
        with pytest.raises(TransientProviderError):
            retrying(flaky)
        assert flaky.calls == 3


def test_no_pause_runs_past_the_deadline() -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    flaky = Flaky(*[transient() for _ in range(100)])
    with pytest.raises(TransientProviderError):
        RetryPolicy(deadline=0.2, first=0.05, most=0.05, jitter=False).retrying(is_transient, sleep=sleep)(flaky)
    assert 1 <= len(slept) <= 3  # a fourth pause would end at or after 0.2 s
    assert flaky.calls == len(slept) + 1


def test_without_attempts_or_deadline_it_keeps_trying_at_its_most() -> None:
    policy = RetryPolicy(first=1.0, most=60.0, jitter=False)
    assert policy.backoff(1) == 1.0
    assert policy.backoff(7) == 60.0
    assert policy.backoff(100_000) == 60.0  # a loop that never stops does not overflow


def test_async_retries_with_the_same_policy() -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    flaky = Flaky(transient(), transient(3.0))
    retrying = RetryPolicy(attempts=3, first=0.5, jitter=False).async_retrying(is_transient, sleep=sleep)
    assert asyncio.run(retrying(flaky.coroutine)) == "ok"
    assert (flaky.calls, pauses) == (3, [0.5, 3.0])


def test_a_cancelled_attempt_stays_cancelled() -> None:
    flaky = Flaky(asyncio.CancelledError())

    def worth(exc: BaseException) -> bool:
        return isinstance(exc, Exception)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(RetryPolicy(attempts=3).async_retrying(worth)(flaky.coroutine))
    assert flaky.calls == 1


@pytest.mark.parametrize(
    "values",
    [{"attempts": 0}, {"first": -1.0}, {"first": 2.0, "most": 1.0}, {"deadline": 0.0}],
)
def test_nonsense_policies_are_refused(values: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="a retry policy needs"):
        RetryPolicy(**values)  # type: ignore[arg-type]
