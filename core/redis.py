"""The Redis connection: a real server when OPSBOT_REDIS_URL is set, else in-process fakeredis."""

from __future__ import annotations

import fakeredis
import redis
from redis.driver_info import DriverInfo

from core.settings import Settings


def connect(settings: Settings) -> redis.Redis:
    """Bytes-mode client (RQ needs bytes). Embedded mode shares one fake server per process."""
    if settings.redis_url is None:
        return fakeredis.FakeRedis(server=_fake_server())
    url = settings.redis_url.get_secret_value()
    return redis.Redis.from_url(url, health_check_interval=30, driver_info=_DRIVER)


def is_embedded(settings: Settings) -> bool:
    return settings.redis_url is None


# Resolved once: redis-py otherwise reads package metadata (~4 ms) for every new connection, which a
# forking worker's work-horse opens for each job.
_DRIVER = DriverInfo()
_FAKE_SERVER: fakeredis.FakeServer | None = None


def _fake_server() -> fakeredis.FakeServer:
    global _FAKE_SERVER
    if _FAKE_SERVER is None:
        _FAKE_SERVER = fakeredis.FakeServer()
    return _FAKE_SERVER
