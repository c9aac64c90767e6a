"""core.leases: one holder at a time, renewed by its holder, passed on when it runs out or is released."""

from __future__ import annotations

import os

import redis

from core.leases import Lease, replica_name
from core.settings import Settings
from tests.clock import ManualClock


def test_one_holder_at_a_time_and_the_holder_renews(redis_conn: redis.Redis) -> None:
    first = Lease(redis_conn, "deliver:slack", "serve-a", ttl_seconds=30)
    second = Lease(redis_conn, "deliver:slack", "serve-b", ttl_seconds=30)
    assert first.take()
    assert not second.take()
    assert not second.held()
    assert first.take()  # renewed
    assert first.held()
    assert first.current_holder() == "serve-a"


def test_a_released_lease_passes_at_once(redis_conn: redis.Redis) -> None:
    first = Lease(redis_conn, "poll:telegram", "serve-a", ttl_seconds=30)
    second = Lease(redis_conn, "poll:telegram", "serve-b", ttl_seconds=30)
    assert first.take()
    first.release()
    assert not first.held()
    assert second.take()
    first.release()  # no longer ours: leaves the new holder alone
    assert second.current_holder() == "serve-b"


def test_a_holder_that_stops_renewing_loses_it_to_another(redis_conn: redis.Redis) -> None:
    first = Lease(redis_conn, "poll:telegram", "serve-a", ttl_seconds=0.05)
    second = Lease(redis_conn, "poll:telegram", "serve-b", ttl_seconds=5)
    assert first.take()
    redis_conn.pexpire(first.key, 1)  # as Redis would after the time to live
    while redis_conn.exists(first.key):
        pass
    assert second.take()
    assert not first.take()
    assert not first.held()


def test_held_runs_out_by_the_local_clock_without_asking_redis(redis_conn: redis.Redis) -> None:
    clock = ManualClock()
    lease = Lease(redis_conn, "deliver:slack", "serve-a", ttl_seconds=6, clock=clock)
    assert lease.take()
    clock.advance(5.9)
    assert lease.held()
    clock.advance(0.2)
    assert not lease.held()  # another may hold it by now: the holder stops acting
    assert lease.renew_every == 2


def test_a_replica_is_named_by_its_setting_or_its_host_and_process() -> None:
    assert replica_name(Settings(replica_name="serve-1")) == "serve-1"
    unnamed = replica_name(Settings())
    assert unnamed.endswith(f"-{os.getpid()}")
    assert unnamed != "serve"
