"""RQ on a Sentinel-managed master: the same worker (forking a work-horse per job, as `opsbot worker` does) and
the same enqueuing client run a job before a failover and another after it, both on the master of the moment."""

from __future__ import annotations

import redis
from rq import Worker
from rq.job import JobStatus

from fakes.redis_ha import SentinelRedis
from tests.redis_ha.conftest import following
from workers.queues import DEFAULT, SERIALIZER, queue


class _QuietWorker(Worker):
    """RQ's worker without its pub/sub thread (remote stop commands, not used here), whose stop at the end of a
    burst can wait out its 60 s poll when the unsubscription lands between two polls."""

    def subscribe(self) -> None:
        pass


def test_a_worker_through_the_sentinels_runs_jobs_before_and_after_a_failover(
    cluster: SentinelRedis, client: redis.Redis
) -> None:
    jobs = queue(DEFAULT, client)
    worker = _QuietWorker([jobs], connection=client, serializer=SERIALIZER)

    first = jobs.enqueue("tests.redis_ha.jobs.remember", "job:before", "ran before")
    assert worker.work(burst=True)
    new = cluster.failover()
    following(cluster, client, new)
    second = jobs.enqueue("tests.redis_ha.jobs.remember", "job:after", "ran after")
    assert worker.work(burst=True)

    assert first.get_status(refresh=True) is JobStatus.FINISHED
    assert second.get_status(refresh=True) is JobStatus.FINISHED
    master = cluster.server(new)
    assert (master.get("job:before"), master.get("job:after")) == (b"ran before", b"ran after")
    assert master.llen(f"rq:queue:{DEFAULT}") == 0
