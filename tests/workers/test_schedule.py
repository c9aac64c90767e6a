"""The one timer mechanism (`core.schedule`): due times in Redis, claimed once, and a ticker that sleeps until the
next due time but wakes at once when a time is set or moved - on a clock the test moves."""

from __future__ import annotations

import threading

import redis

from core.schedule import Schedule, Ticker
from tests.clock import ManualClock
from tests.eventually import eventually


def _schedule(connection: redis.Redis, clock: ManualClock) -> Schedule:
    return Schedule(connection, "test:due", "test:wake", clock=clock)


def _blocked(connection: redis.Redis) -> bool:
    """A client of this test's database waits in BLPOP (the ticker, until the next due time: an hour)."""
    db = connection.connection_pool.connection_kwargs.get("db", 0)
    return any(c.get("cmd") == "blpop" and str(c.get("db")) == str(db) for c in connection.client_list())


def test_a_member_is_claimed_once_and_again_when_its_lease_ends(redis_conn: redis.Redis) -> None:
    clock = ManualClock()
    schedule = _schedule(redis_conn, clock)
    schedule.set({"a": clock.now + 10, "b": clock.now + 20})
    assert schedule.claim(60) == []
    clock.advance(10)
    assert schedule.claim(60) == ["a"]
    assert schedule.claim(60) == []  # another process finds it taken
    assert schedule.next_due() == clock.now + 10  # b
    clock.advance(60)
    assert sorted(schedule.claim(60)) == ["a", "b"]  # a's runner died: due again after its lease


def test_move_and_remove_touch_only_members_that_are_there(redis_conn: redis.Redis) -> None:
    clock = ManualClock()
    schedule = _schedule(redis_conn, clock)
    assert not schedule.move("gone", clock.now)
    schedule.set({"a": clock.now + 100})
    schedule.set({"a": clock.now + 5}, only_new=True)
    assert schedule.due_at("a") == clock.now + 100
    assert schedule.move("a", clock.now)
    assert schedule.remove("a") and not schedule.remove("a")
    assert schedule.count() == 0


def test_the_ticker_wakes_at_once_for_a_nearer_time_and_sleeps_until_due(
    redis_url: str, redis_conn: redis.Redis
) -> None:
    clock = ManualClock()
    unhurried = redis.Redis.from_url(redis_url, socket_timeout=None)  # one blocking read may take the hour
    schedule = Schedule(unhurried, "test:due", "test:wake", clock=clock, slice_seconds=3600)
    ran: list[str] = []
    lock = threading.Lock()

    def work() -> None:  # one-shot timers: each runs once
        with lock:
            for member in schedule.claim(60):
                ran.append(member)
                schedule.remove(member)

    schedule.set({"later": clock.now + 3600})
    ticker = Ticker("test-ticker", schedule, work, longest=3600)  # no time-out comes to the rescue
    ticker.start()
    try:
        eventually(lambda: _blocked(redis_conn), what="the ticker waiting")
        schedule.set({"now": clock.now})
        eventually(lambda: ran == ["now"], what="the nearer member run at once")
        clock.advance(3600)
        schedule.wake()  # the test's clock moved: look again
        eventually(lambda: ran == ["now", "later"], what="the later member run when due")
    finally:
        ticker.stop()
        unhurried.close()


def test_a_member_still_due_after_the_work_is_waited_on_not_spun_on(redis_conn: redis.Redis) -> None:
    clock = ManualClock()
    schedule = _schedule(redis_conn, clock)
    schedule.set({"stuck": clock.now - 1})  # work that cannot settle it leaves it due; set() pushed a wake-up
    schedule.wait(5.0)
    assert redis_conn.llen("test:wake") == 1  # the default returns at once for the next batch: nothing was read
    schedule.wait(5.0, overdue_pause=0.05)
    assert redis_conn.llen("test:wake") == 0  # with a pause it blocked (and was woken by the waiting wake-up)
