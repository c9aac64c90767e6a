"""Finds jobs whose worker died and has them reported.

RQ 3.0 does the bookkeeping: `StartedJobRegistry.cleanup()` takes every entry whose score (the time
the job may be presumed dead, kept fresh by `workers.lease.Lease`) has passed, calls the job's
failure callback with `AbandonedJobError` (our `on_job_failure`: audit ABANDONED, "the worker
stopped mid-job" in the conversation) and moves the job to the FailedJobRegistry. But RQ only runs
that cleanup in a worker's maintenance pass, every 10 minutes by default, and with a SIGALRM death
penalty that fails outside the main thread. So the worker loops (workers.runner) call this every
REAP_INTERVAL_SECONDS, with a thread-safe death penalty; running it from several processes at once
is safe because each job's end is reported once (workers.outcomes)."""

from __future__ import annotations

from typing import Final

import redis
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.timeouts import TimerDeathPenalty

from workers.queues import PRIORITY, SERIALIZER

REAP_INTERVAL_SECONDS: Final = 5


def reap_abandoned(connection: redis.Redis) -> int:
    """Report the jobs of dead workers on all our queues; returns how many were found."""
    found = 0
    for name in PRIORITY:
        registry = StartedJobRegistry(
            name, connection=connection, serializer=SERIALIZER, death_penalty_class=TimerDeathPenalty
        )
        expired = registry.get_expired_job_ids()
        if not expired:
            continue
        found += sum(1 for job_id in expired if _still_started(connection, job_id))
        registry.cleanup()
    return found


def _still_started(connection: redis.Redis, job_id: str) -> bool:
    # Entries left behind by a job that did finish are tidied by cleanup() but are not abandoned jobs.
    status = connection.hget(Job.key_for(job_id), "status")
    return isinstance(status, bytes) and status.decode() == JobStatus.STARTED.value
