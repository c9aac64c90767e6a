"""The confirmation sweeper of every chat process: it settles what expired while nobody asks it to."""

from __future__ import annotations

import time

import redis

from bot.runtime import ExpirySweeper
from conversation.confirmations import OPEN
from tests.eventually import eventually


def test_the_sweeper_settles_confirmations_as_they_expire(redis_conn: redis.Redis) -> None:
    swept: list[int] = []

    def sweep() -> None:  # as Conversation.sweep_expired does: what is overdue leaves the open set
        swept.append(int(redis_conn.zremrangebyscore(OPEN, "-inf", time.time())))

    redis_conn.zadd(OPEN, {"K7Q2M9": time.time() - 1, "P3R4S5": time.time() + 0.2})
    sweeper = ExpirySweeper(sweep, redis_conn, every_seconds=3600)
    sweeper.start()
    try:
        eventually(lambda: redis_conn.zcard(OPEN) == 0, what="both confirmations swept")
    finally:
        sweeper.stop()
    assert sum(swept) == 2 and swept[0] == 1  # the expired one at once, the other when its time came
