"""The Redis connection: a real server when OPSBOT_REDIS_URL is set, else in-process fakeredis.

`redis://`, `rediss://` (TLS) and `unix://` URLs go to redis-py's from_url. A `redis+sentinel://` URL asks the
sentinels for the master of its service and follows it through a failover (redis-py's `Sentinel.master_for`):
a connection that meets the demoted master (READONLY) is closed and the next one asks the sentinels again, and
each command is retried with back-off for about as long as a failover takes. RQ gets the same client, so the
workers follow the master too. `replicated()` is the barrier intake passes before it acknowledges an alert.
What is and is not guaranteed through a failover: docs/redis.md."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from typing import Any, cast

import fakeredis
import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.driver_info import DriverInfo
from redis.retry import Retry
from redis.sentinel import MasterNotFoundError, Sentinel, SentinelConnectionPool

from core.setting_values import SENTINEL_SCHEME, SentinelUrl, sentinel_url
from core.settings import Settings

log = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 30
# A manual or automatic failover leaves no master for one to a few seconds (down-after-milliseconds plus the
# election): 0.1, 0.2, 0.4, 0.8, then 1 s apart, 8 tries in all, is about 5.5 s of patience before a
# ConnectionError reaches the caller (intake's 503, a job's retry).
FAILOVER_RETRIES = 8
# A host that went away answers nothing, not even a refusal: without a bound a connection waits for the kernel's
# TCP time-out (minutes) before the next try can ask the sentinels. Sentinels answer every question this fast too.
CONNECT_SECONDS = 2.0
_BARRIER_KEY = "opsbot:replicated"
WATCH_PAUSE_SECONDS = 5.0  # how often the master watch looks whether its client is gone


def connect(settings: Settings) -> redis.Redis:
    """Bytes-mode client (RQ needs bytes). Embedded mode shares one fake server per process."""
    if settings.redis_url is None:
        return fakeredis.FakeRedis(server=_fake_server())
    url = settings.redis_url.get_secret_value()
    if url.lower().startswith(SENTINEL_SCHEME + "://"):
        return _through_sentinels(sentinel_url(url))
    return redis.Redis.from_url(url, health_check_interval=HEALTH_CHECK_SECONDS, driver_info=_DRIVER)


def is_embedded(settings: Settings) -> bool:
    return settings.redis_url is None


def _through_sentinels(parts: SentinelUrl) -> redis.Redis:
    timeouts: dict[str, Any] = {"socket_connect_timeout": CONNECT_SECONDS}
    if parts.socket_timeout is not None:
        timeouts["socket_timeout"] = parts.socket_timeout
    asking = {"socket_connect_timeout": CONNECT_SECONDS, "socket_timeout": parts.socket_timeout or CONNECT_SECONDS}
    sentinels = _Sentinels(list(parts.sentinels), sentinel_kwargs={"password": parts.sentinel_password, **asking},
                           **timeouts)  # fmt: skip
    client = sentinels.master_for(
        parts.service,
        db=parts.db,
        username=parts.username,
        password=parts.password,
        health_check_interval=HEALTH_CHECK_SECONDS,
        driver_info=_DRIVER,
        retry=_failover_retry(),
        connection_pool_class=_SentinelPool,
    )
    pool = cast(_SentinelPool, client.connection_pool)
    pool.wait_replicas, pool.wait_timeout = parts.wait_replicas, parts.wait_timeout
    for sentinel in sentinels.sentinels:
        _MasterWatch(sentinel, parts.service, pool).start()
    return cast(redis.Redis, client)


def _failover_retry() -> Retry:
    """Connection and timeout errors are retried with back-off; a refused password is not (it will not change)."""
    backoff = ExponentialWithJitterBackoff(base=0.1, cap=1.0)
    return Retry(backoff, FAILOVER_RETRIES, is_retryable=lambda error: not isinstance(error, redis.AuthenticationError))


class _Sentinels(Sentinel):
    """Sentinels asked all at once: the master is the one named with the newest configuration epoch. redis-py
    takes the first sentinel that names any master, and a sentinel learns of a failover up to 2 s after the
    one that ran it (hello messages): until then it names the old master, which is still writable until the
    sentinels reconfigure it - up to 10 s after a manual failover - and whatever is written there then is lost."""

    def discover_master(self, service_name: str) -> tuple[str, int]:
        newest: tuple[int, str, int] | None = None
        for sentinel in self.sentinels:
            try:
                state = cast(dict[str, dict[str, Any]], sentinel.sentinel_masters()).get(service_name)
            except (redis.ConnectionError, redis.ResponseError, redis.TimeoutError):
                continue
            if state and state["is_master"] and not (state["is_sdown"] or state["is_odown"]):
                epoch = int(state.get("config-epoch", 0))
                if newest is None or epoch > newest[0]:
                    newest = (epoch, state["ip"], int(state["port"]))
        if newest is None:
            raise MasterNotFoundError(f"No master found for {service_name!r}")
        return newest[1], newest[2]


class _SentinelPool(SentinelConnectionPool):
    """redis-py's pool for a Sentinel-managed master, carrying how many replicas `replicated()` waits for."""

    wait_replicas: int | None = None
    wait_timeout = 1.0


class _MasterWatch(threading.Thread):
    """Listens to one sentinel's +switch-master and re-asks the sentinels for the master at once, so the pool
    stops handing out connections to the demoted master (redis-py only asks when it opens a connection, and a
    pooled connection to an old master that is still writable would go on writing there). One per sentinel:
    the sentinel that ran the failover announces it first, the others up to 2 s later. Ends with its client."""

    def __init__(self, sentinel: redis.Redis, service: str, pool: SentinelConnectionPool) -> None:
        super().__init__(name=f"redis-master-watch-{service}", daemon=True)
        self._sentinel = sentinel
        self._service = service.encode()
        self._pool = weakref.ref(pool)

    def run(self) -> None:
        while self._pool() is not None:
            try:
                self._follow()
            except (redis.RedisError, OSError):
                time.sleep(WATCH_PAUSE_SECONDS)  # this sentinel is gone; the others' watches go on meanwhile

    def _follow(self) -> None:
        with self._sentinel.pubsub(ignore_subscribe_messages=True) as pubsub:
            pubsub.subscribe("+switch-master")
            self._rediscover()  # a switch missed while not listening
            while self._pool() is not None:
                message = pubsub.get_message(timeout=WATCH_PAUSE_SECONDS)  # blocks until a message or the time
                if message is not None and bytes(message["data"]).split(b" ", 1)[0] == self._service:
                    self._rediscover()

    def _rediscover(self) -> None:
        pool = self._pool()
        if pool is None:
            return
        with contextlib.suppress(redis.ConnectionError):  # no master named right now: the next connection asks
            pool.get_master_address()  # type: ignore[no-untyped-call]  # when it moved: idle connections closed, busy ones closed when returned


def replicated(connection: redis.Redis) -> bool:
    """True once what this process has written so far is on every replica the sentinels could promote (or on
    `wait_replicas` of them, when the URL says a number), so a failover cannot lose it; always True without
    Sentinel (nothing to fail over to). Redis replicates one ordered stream, so one marker write acknowledged
    (WAIT, on the marker's own connection) proves every write before it.

    Every promotable replica, not one: a replica that acknowledged may be re-synchronised from another that did
    not and is promoted. And no failover may be under way, as every sentinel sees it: during one the sentinels
    first detach the replica they promote and only then move the others, so a write the old master takes
    meanwhile is acknowledged by replicas that are about to be re-synchronised, and lost.

    False means: not safe yet (the caller answers "retry"). Then the pool re-asks the sentinels for the master,
    so the retry goes to the new one."""
    pool = connection.connection_pool
    if not isinstance(pool, _SentinelPool):
        return True
    needed = pool.wait_replicas if pool.wait_replicas is not None else max(1, _promotable(pool))
    if needed <= 0:
        return True
    marker = pool.get_connection()
    try:
        marker.send_command("SET", _BARRIER_KEY, "1", "PX", 60_000)  # type: ignore[no-untyped-call]
        marker.read_response()
        marker.send_command("WAIT", needed, max(1, int(pool.wait_timeout * 1000)))  # type: ignore[no-untyped-call]
        acknowledged = int(marker.read_response())
        server = (marker.host, marker.port)
    finally:
        pool.release(marker)
    if acknowledged >= needed and _settled(pool, server):
        return True
    log.warning("Redis: %d of %d replicas acknowledged in %.1f s, or a failover is under way", acknowledged,
                needed, pool.wait_timeout)  # fmt: skip
    pool.get_master_address()  # type: ignore[no-untyped-call]  # a master the sentinels moved away from: idle connections to it are closed
    return False


def _settled(pool: SentinelConnectionPool, server: tuple[str, int]) -> bool:
    """No answering sentinel is running a failover of the service or names another master than `server`. (A
    sentinel that does not answer cannot take part in a failover either.)"""
    for sentinel in pool.sentinel_manager.sentinels:
        try:
            state = cast(dict[str, Any], sentinel.sentinel_master(pool.service_name))
        except (redis.ConnectionError, redis.ResponseError, redis.TimeoutError):
            continue
        if "failover_in_progress" in state["flags"] or (state["ip"], int(state["port"])) != server:
            return False
    return True


def _promotable(pool: SentinelConnectionPool) -> int:
    """How many replicas of the master the first answering sentinel could promote."""
    for sentinel in pool.sentinel_manager.sentinels:
        try:
            replicas = sentinel.sentinel_slaves(pool.service_name)
        except (redis.ConnectionError, redis.ResponseError, redis.TimeoutError):
            continue
        return sum(1 for replica in replicas if _could_be_promoted(replica))
    raise MasterNotFoundError(f"No sentinel answers for {pool.service_name!r}")


def _could_be_promoted(replica: dict[str, Any]) -> bool:
    down = replica.get("is_sdown") or replica.get("is_odown") or replica.get("is_disconnected")
    return not down and replica.get("role-reported") == "slave" and replica.get("slave-priority", 1) != 0


# Resolved once: redis-py otherwise reads package metadata (~4 ms) for every new connection, which a
# forking worker's work-horse opens for each job.
_DRIVER = DriverInfo()
_FAKE_SERVER: fakeredis.FakeServer | None = None


def _fake_server() -> fakeredis.FakeServer:
    global _FAKE_SERVER
    if _FAKE_SERVER is None:
        _FAKE_SERVER = fakeredis.FakeServer()
    return _FAKE_SERVER
