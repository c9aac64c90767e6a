"""The channel's overall pace kept in Redis (bot.pacing.SharedTokenBucket): replicas taking tokens from one bucket
get no more between them than one would alone, on a clock the test moves."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from bot.channels import Rate
from bot.pacing import SharedTokenBucket
from tests.clock import ManualClock


def test_two_replicas_share_one_burst_and_one_rate(redis_conn: redis.Redis) -> None:
    clock = ManualClock(1_000_000.0)
    rate = Rate(per_second=10, burst=3)

    async def scenario() -> list[int]:
        with ThreadPoolExecutor(max_workers=1) as io:
            first, second = (SharedTokenBucket(rate, redis_conn, "chat", io, clock=clock) for _ in range(2))
            sent_per_window = []
            for _ in range(5):  # five windows of a tenth of a second: how many sends either replica may start
                sent = 0
                for bucket in (first, second) * 10:
                    if await bucket.try_take() == 0:
                        sent += 1
                sent_per_window.append(sent)
                clock.advance(0.1001)  # a token and a little: the rounding of stored times never hides it
            return sent_per_window

    # The burst once, then 10 a second between them - not a burst and a rate each ([6, 2, 2, 2, 2]).
    assert asyncio.run(scenario()) == [3, 1, 1, 1, 1]


def test_a_refused_take_says_how_long_until_the_next_token(redis_conn: redis.Redis) -> None:
    clock = ManualClock(1_000_000.0)

    async def scenario() -> tuple[float, float, float]:
        with ThreadPoolExecutor(max_workers=1) as io:
            first, second = (SharedTokenBucket(Rate(per_second=4, burst=1), redis_conn, "chat", io, clock=clock)
                             for _ in range(2))  # fmt: skip
            taken = await first.try_take()
            refused = await second.try_take()
            clock.advance(refused)
            return taken, refused, await second.try_take()

    taken, refused, later = asyncio.run(scenario())
    assert (taken, later) == (0.0, 0.0)
    assert refused == pytest.approx(0.25)
