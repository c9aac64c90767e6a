"""rediss:// through core.redis.connect: TLS to a redis-server that speaks nothing else, its certificate checked
against the CA the URL names; without that CA the connection is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from core.redis import connect
from core.settings import Settings
from fakes.redis_ha import TlsRedis


def test_a_rediss_url_connects_with_tls_and_checks_the_certificate(tmp_path: Path) -> None:
    with TlsRedis() as server:
        client = connect(Settings(redis_url=server.url, data_dir=tmp_path / "data"))
        client.set("over", "tls")
        assert client.get("over") == b"tls"
        client.close()

        unverified = server.url.split("?")[0]  # the system's CAs do not know the test CA
        stranger = connect(Settings(redis_url=unverified, data_dir=tmp_path / "data"))
        with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
            stranger.ping()
        stranger.close()
