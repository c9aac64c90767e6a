"""The Redis rate limiter: a moving window shared by every process on the same server. A hit exactly one window
old still counts (limits' window is closed at both ends); a moment later it has left."""

from __future__ import annotations

import threading

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from policies.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_limit_then_wait_until_the_oldest_hit_leaves_the_window(redis_conn: redis.Redis) -> None:
    clock = Clock()
    limiter = RateLimiter(redis_conn, clock=clock)
    assert limiter.hit("k", 3, 10) is None
    clock.now += 4
    assert limiter.hit("k", 3, 10) is None
    assert limiter.hit("k", 3, 10) is None
    assert limiter.hit("k", 3, 10) == 6.0
    clock.now += 5.5
    assert limiter.hit("k", 3, 10) == 0.5
    clock.now += 1.0  # the first hit has left the window
    assert limiter.hit("k", 3, 10) is None
    assert limiter.hit("k", 3, 10) == 3.5  # the next to leave is the one at +4


def test_refused_hits_do_not_lengthen_the_wait(redis_conn: redis.Redis) -> None:
    clock = Clock()
    limiter = RateLimiter(redis_conn, clock=clock)
    assert limiter.hit("k", 1, 60) is None
    for _ in range(5):
        clock.now += 10
        limiter.hit("k", 1, 60)
    clock.now += 10.5  # just past one window after the only hit counted
    assert limiter.hit("k", 1, 60) is None


def test_keys_are_independent(redis_conn: redis.Redis) -> None:
    limiter = RateLimiter(redis_conn, clock=Clock())
    assert limiter.hit("alice", 1, 60) is None
    assert limiter.hit("alice", 1, 60) is not None
    assert limiter.hit("bob", 1, 60) is None


def test_lowered_limit_waits_for_enough_hits_to_leave(redis_conn: redis.Redis) -> None:
    clock = Clock()
    limiter = RateLimiter(redis_conn, clock=clock)
    for step in range(4):
        clock.now = 1_800_000_000.0 + step
        assert limiter.hit("k", 10, 60) is None
    # four hits at +0..+3; with a limit of 2, three must leave before one more fits: the third leaves at +62
    assert limiter.hit("k", 2, 60) == 59.0


def test_two_connections_share_one_count(redis_conn: redis.Redis, redis_url: str) -> None:
    other = redis.Redis.from_url(redis_url)
    try:
        clock = Clock()
        first, second = RateLimiter(redis_conn, clock=clock), RateLimiter(other, clock=clock)
        assert first.hit("k", 2, 60) is None
        assert second.hit("k", 2, 60) is None
        assert first.hit("k", 2, 60) is not None
        assert second.hit("k", 2, 60) is not None
    finally:
        other.close()


def test_concurrent_hits_never_exceed_the_limit(redis_url: str, redis_conn: redis.Redis) -> None:
    allowed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = redis.Redis.from_url(redis_url)
        limiter = RateLimiter(conn)  # server time, as in production
        mine = sum(1 for _ in range(25) if limiter.hit("shared", 30, 60) is None)
        conn.close()
        with lock:
            allowed.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 30


def test_server_time_window(redis_conn: redis.Redis) -> None:
    limiter = RateLimiter(redis_conn)
    assert limiter.hit("k", 1, 3600) is None
    wait = limiter.hit("k", 1, 3600)
    assert wait is not None
    assert 3590 < wait <= 3600


def test_nonsense_limits_are_refused(redis_conn: redis.Redis) -> None:
    with pytest.raises(ValueError, match="limit >= 1"):
        RateLimiter(redis_conn).hit("k", 0, 60)


def test_unreachable_redis_allows_the_hit() -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    assert RateLimiter(dead).hit("k", 1, 60) is None
    assert RateLimiter(dead).hit("k", 1, 60) is None


def test_peek_answers_like_a_hit_but_counts_nothing(redis_conn: redis.Redis) -> None:
    clock = Clock()
    limiter = RateLimiter(redis_conn, clock=clock)
    for _ in range(5):
        assert limiter.peek("k", 2, 60) is None
    assert limiter.hit("k", 2, 60) is None
    clock.now += 10
    assert limiter.hit("k", 2, 60) is None
    assert limiter.peek("k", 2, 60) == 50.0
    clock.now += 50.5
    assert limiter.peek("k", 2, 60) is None
