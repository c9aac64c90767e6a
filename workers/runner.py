"""Running jobs: `opsbot worker` (forking RQ workers on a real Redis) and the in-process worker of
the console shell and the tests (a SimpleWorker in a thread, on fakeredis or a real Redis)."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Final

import redis
from redis.sentinel import SentinelConnectionPool
from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty
from rq.utils import now
from rq.worker_registration import clean_worker_registry

from core.errors import OpsbotError
from core.redis import connect, is_embedded
from core.settings import Settings
from workers.context import WorkerContext, build_context, install_context
from workers.inventory import start_refresher
from workers.jobs import JOB_FUNCTION
from workers.lease import LEASE_SECONDS
from workers.outcomes import on_horse_killed
from workers.queues import PRIORITY, SERIALIZER
from workers.reaper import REAP_INTERVAL_SECONDS, reap_abandoned

# The forking parent checks on its work-horse this often, refreshing the worker's own heartbeat.
MONITOR_SECONDS: Final = 3
# RQ blocks on the queues for worker_ttl - 15 s; waking every REAP_INTERVAL keeps reaping timely.
_WORKER_TTL: Final = REAP_INTERVAL_SECONDS + 15
# The in-process worker wakes this often to notice stop(). Redis takes fractional BLPOP timeouts
# (RQ's annotations say int), so stop() returns within a quarter of a second.
_POLL_SECONDS: Final = 0.25

log = logging.getLogger(__name__)


class OpsWorker(Worker):
    """Forking worker; reaps dead workers' jobs while idle and while watching its work-horse."""

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        # RQ would give a running job 60-90 s before presuming it dead; the job's lease says 10 s.
        return LEASE_SECONDS

    def run_maintenance_tasks(self) -> None:
        reap_abandoned(self.connection)  # first, so RQ's own cleanup finds nothing left to fail
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]

    def maintain_heartbeats(self, job: Job, execution: object) -> None:
        super().maintain_heartbeats(job, execution)  # type: ignore[arg-type]
        if self.should_run_maintenance_tasks:
            reap_abandoned(self.connection)
            self.last_cleaned_at = now()  # type: ignore[assignment]


def run_worker(
    settings: Settings, *, burst: bool = False, also: Callable[[WorkerContext], object] | None = None
) -> None:
    """`opsbot worker`: serve critical > default > low until stopped (or until empty, with burst). `also` starts
    what else this process runs beside the jobs (the escalation timers)."""
    if is_embedded(settings):
        raise OpsbotError("opsbot worker needs OPSBOT_REDIS_URL; the embedded demo runs its worker inside the shell")
    connection = connect(settings)
    try:
        connection.ping()
    except redis.RedisError as exc:
        raise OpsbotError(f"Redis {where(connection)} is unreachable: {exc}") from exc
    context = build_context(settings, connection)
    install_context(context)
    start_refresher(context.provider, settings)  # real clouds: keep their inventory cache fresh from here
    if also is not None:
        also(context)
    # Import the job code once, here: each work-horse is a fork of this process and would otherwise
    # import it (and tenacity) again for every job, tens of milliseconds each time on this machine.
    importlib.import_module(JOB_FUNCTION.rsplit(".", 1)[0])
    worker = OpsWorker(
        list(PRIORITY),
        connection=connection,
        serializer=SERIALIZER,
        job_monitoring_interval=MONITOR_SECONDS,
        maintenance_interval=REAP_INTERVAL_SECONDS,
        worker_ttl=_WORKER_TTL,
        work_horse_killed_handler=on_horse_killed,
    )
    worker.work(burst=burst, logging_level=settings.log_level, with_scheduler=False)


def where(connection: redis.Redis) -> str:
    """Where `connection` goes, for a message (never a password): "at host:port", or the Sentinel service and
    its sentinels, or the socket's path."""
    pool = connection.connection_pool
    if isinstance(pool, SentinelConnectionPool):
        sentinels = [s.connection_pool.connection_kwargs for s in pool.sentinel_manager.sentinels]
        named = ", ".join(f"{k.get('host', '?')}:{k.get('port', '?')}" for k in sentinels)
        return f"(Sentinel service {pool.service_name!r} through {named})"
    kwargs = pool.connection_kwargs
    if "path" in kwargs:
        return f"at {kwargs['path']}"
    return f"at {kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


class _ThreadWorker(SimpleWorker):
    """A SimpleWorker that lives in a non-main thread: no signal handlers (Python allows them only
    in the main thread), a timer-based job timeout, no pub/sub thread, and a stop flag it polls."""

    death_penalty_class = TimerDeathPenalty

    def __init__(self, connection: redis.Redis, stopping: threading.Event) -> None:
        super().__init__(
            list(PRIORITY),
            connection=connection,
            serializer=SERIALIZER,
            maintenance_interval=REAP_INTERVAL_SECONDS,
            worker_ttl=_WORKER_TTL,
        )
        self._stopping = stopping

    def _install_signal_handlers(self) -> None:
        pass

    def subscribe(self) -> None:
        pass  # RQ's remote commands (shutdown, stop-job) arrive by pub/sub; stop() is ours

    def run_maintenance_tasks(self) -> None:
        # RQ's own registry cleanup uses SIGALRM for the failure callbacks, which fails in a thread.
        reap_abandoned(self.connection)
        for queue in self.queues:
            clean_worker_registry(queue)  # forget workers that died without unregistering
        self.last_cleaned_at = now()  # type: ignore[assignment]

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        while not self._stopping.is_set():
            found = super().dequeue_job_and_maintain_ttl(_POLL_SECONDS, _POLL_SECONDS)  # type: ignore[arg-type]
            if found is not None:
                return found
        return None


class InProcessWorker:
    """Runs jobs in a background thread of this process, with this process's context."""

    def __init__(self, context: WorkerContext) -> None:
        self._context = context
        self._stopping = threading.Event()
        self._worker = _ThreadWorker(_own_connection(context.connection), self._stopping)
        self._thread = threading.Thread(target=self._run, name="opsbot-worker", daemon=True)

    @property
    def name(self) -> str:
        return str(self._worker.name)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        install_context(self._context)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the running job (if any), then end the thread."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("in-process worker still busy after %.0f s; leaving it to finish", timeout)
            return
        self._worker.connection.connection_pool.disconnect()  # its own pool: closed here, not by the collector

    def __enter__(self) -> InProcessWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        self._worker.work(logging_level=self._context.settings.log_level, with_scheduler=False)


def _own_connection(connection: redis.Redis) -> redis.Redis:
    """A client with its own pool: RQ raises the socket timeout of the pool its worker blocks on,
    which must not change the timeouts of the chat code that shares the context's connection."""
    pool = connection.connection_pool
    own = redis.ConnectionPool(connection_class=pool.connection_class, **pool.connection_kwargs)
    return type(connection)(connection_pool=own)
