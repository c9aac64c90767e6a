"""core.redis.connect on a redis+sentinel:// URL: it reaches the master the sentinels name, and the same client
object goes on writing - to the new master - after a failover."""

from __future__ import annotations

from pathlib import Path

import redis

from core.redis import connect, replicated
from fakes.redis_ha import SentinelRedis
from tests.redis_ha.conftest import following, through_sentinels


def test_the_client_reaches_the_master_the_sentinels_name(cluster: SentinelRedis, client: redis.Redis) -> None:
    client.set("opsbot:test", "written through the sentinels")
    assert cluster.server(cluster.master()).get("opsbot:test") == b"written through the sentinels"
    assert client.role()[0] == b"master"
    assert replicated(client)  # the replica acknowledged it


def test_after_a_failover_the_same_client_writes_to_the_new_master(cluster: SentinelRedis, client: redis.Redis) -> None:
    client.set("before", "1")
    old = cluster.master()
    new = cluster.failover()
    assert new != old
    following(cluster, client, new)
    client.set("after", "2")
    master = cluster.server(new)
    assert master.get("after") == b"2"
    assert master.get("before") == b"1"
    assert client.role()[0] == b"master"


def test_a_password_protected_cluster(tmp_path: Path) -> None:
    with SentinelRedis(password="p@ss word") as cluster:
        client = connect(through_sentinels(cluster.url, tmp_path))
        client.set("k", "v")
        assert cluster.server(cluster.master()).get("k") == b"v"
        client.close()
        wrong = cluster.url.replace("p%40ss%20word", "guessed")
        refused = connect(through_sentinels(wrong, tmp_path))
        try:
            refused.ping()
        except redis.AuthenticationError:
            pass
        else:
            raise AssertionError("a wrong password was accepted")
        finally:
            refused.close()


def test_without_enough_replicas_nothing_counts_as_replicated(cluster: SentinelRedis, tmp_path: Path) -> None:
    """Three replicas asked for, two running: the barrier says no (and gives up after wait_timeout)."""
    client = connect(through_sentinels(cluster.url + "?wait_replicas=3&wait_timeout=0.2", tmp_path))
    client.set("k", "v")
    assert not replicated(client)
    client.close()
    relaxed = connect(through_sentinels(cluster.url + "?wait_replicas=0", tmp_path))
    assert replicated(relaxed)
    relaxed.close()


def test_a_write_made_while_the_master_dies_lands_on_the_new_master(
    cluster: SentinelRedis, client: redis.Redis
) -> None:
    """SIGKILL the master: the client's next command fails to connect, re-asks the sentinels and retries with
    back-off until they have promoted a replica - the caller sees only a slower answer."""
    client.set("before", "1")
    assert replicated(client)
    old = cluster.master()
    cluster.crash_master(wait=False)
    assert client.set("during", "2")
    new = cluster.master()
    assert new != old
    master = cluster.server(new)
    assert (master.get("before"), master.get("during")) == (b"1", b"2")
