"""The Redis connection: a real server when OPSBOT_REDIS_URL is set, else in-process fakeredis."""

from __future__ import annotations

import fakeredis
import redis

from core.settings import Settings


def connect(settings: Settings) -> redis.Redis:
    """Bytes-mode client (RQ needs bytes). Embedded mode shares one fake server per process."""
    if settings.redis_url is None:
        return fakeredis.FakeRedis(server=_fake_server())
    return redis.Redis.from_url(settings.redis_url.get_secret_value(), health_check_interval=30)


def is_embedded(settings: Settings) -> bool:
    return settings.redis_url is None


_FAKE_SERVER: fakeredis.FakeServer | None = None


def _fake_server() -> fakeredis.FakeServer:
    global _FAKE_SERVER
    if _FAKE_SERVER is None:
        _FAKE_SERVER = fakeredis.FakeServer()
    return _FAKE_SERVER
