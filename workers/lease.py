"""A running job proves it is alive by renewing its entry in RQ's StartedJobRegistry.

RQ 3.0 scores each registry entry (`<job id>:<execution id>`) with the time it may be presumed dead;
the forking worker's parent pushes that score to now + min(timeout, 30 s) + 60 s every 30 s, and a
SimpleWorker sets now + timeout + 60 s once. Left alone, a job whose worker died is noticed 90 s
(forking) to timeout + 60 s (simple) later. Renewed from inside the job instead, the entry expires
LEASE_SECONDS after the process doing the work stops, whichever process that is: a job whose parent
worker was killed but whose work-horse lives on keeps its lease and finishes normally."""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Final

import redis
from rq.registry import StartedJobRegistry

LEASE_SECONDS: Final = 10
RENEW_EVERY_SECONDS: Final = 2.0

log = logging.getLogger(__name__)


class Lease:
    """Context manager: a daemon thread renews the job's registry entries until the block ends."""

    def __init__(self, connection: redis.Redis, queue_name: str, job_id: str) -> None:
        self._redis = connection
        self._key = StartedJobRegistry(queue_name, connection=connection).key
        self._prefix = f"{job_id}:".encode()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Lease:
        self.renew()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=RENEW_EVERY_SECONDS + 1)

    def renew(self) -> None:
        """Push this job's entries to now + LEASE_SECONDS. XX: never re-adds an entry RQ removed."""
        entries = self._redis.zrange(self._key, 0, -1)
        members = [m for m in entries if isinstance(m, bytes) and m.startswith(self._prefix)]
        if members:
            deadline = int(time.time()) + LEASE_SECONDS
            self._redis.zadd(self._key, dict.fromkeys(members, deadline), xx=True)

    def _run(self) -> None:
        while not self._stop.wait(RENEW_EVERY_SECONDS):
            try:
                self.renew()
            except redis.RedisError as exc:
                # A missed renewal is not fatal: the next one may succeed before the lease runs out.
                log.warning("lease renewal failed: %s", exc)
