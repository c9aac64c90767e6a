"""Runbook runs in Redis: each run's record (its steps as they ran), the lock that lets one run of a service go at a
time (a drill too: it reads the same groups and DNS a failover would be changing), and the history "dr status"
reads (the last drill and its measured RTO).

A record is the JSON of a `RunbookRun` under its number (INCR: "failover 4"). The running set holds the runs a
watcher must follow. The lock of a service holds the number of the run that has it, taken atomically with the
record's first write (a Lua script), so two failovers asked at one moment cannot both start. Writers change a
record with `update` (read, change, write only if nobody wrote it meanwhile), like actions.deploy.records: the
watcher and the pause/resume/abort/tick jobs may all touch one run at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, cast

import redis
from pydantic import ValidationError

from actions.dr.model import RunbookRequest, RunbookRun, StepRun
from core.changes import Topic, publish
from core.errors import ProviderError
from core.models import ConversationRef
from core.stored import update_json

PREFIX: Final = "opsbot:dr:"
_IDS: Final = PREFIX + "id"
_RUNNING: Final = PREFIX + "running"
_ALL: Final = PREFIX + "by-time"
KEEP_SECONDS: Final = 365 * 24 * 3600  # a year: the last drill of a quiet service is still known
KEEP_PER_SERVICE: Final = 200

# KEYS: lock, record, running set, service index, all index. ARGV: id, record JSON, created_at, ttl.
# Returns 0 when the lock is ours now, else the number of the run that holds it.
_TAKE: Final = """
local holder = redis.call('GET', KEYS[1])
if holder then return tonumber(holder) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[4])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
return 0
"""
_RELEASE: Final = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class RunBusy(ProviderError):
    """Another run of the same service goes on; the line says which and what to do."""


def run_label(run: RunbookRun) -> str:
    """What people call a run: "failover 4", "failback 5", "drill 6"."""
    if run.request.kind == "drill":
        return f"drill {run.id}"
    return f"{'failback' if 'failback' in run.request.runbook else 'failover'} {run.id}"


def new_run(
    id: int, request: RunbookRequest, count: int, ref: ConversationRef, reply_key: str, approved_by: str | None,
    channels: tuple[ConversationRef, ...], now: float,
) -> RunbookRun:  # fmt: skip
    """A run not started yet: `count` pending steps (0: the watcher adds them from the runbook on its first look)."""
    return RunbookRun(id=id, request=request, steps=tuple(StepRun() for _ in range(count)), ref=ref,
                      reply_key=reply_key, channels=channels, approved_by=approved_by, created_at=now)  # fmt: skip


class RunBook:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = connection
        self.clock = clock  # the time runs are stamped with: the jobs and the watcher stamp theirs with it too
        self._take = connection.register_script(_TAKE)
        self._release = connection.register_script(_RELEASE)

    def create(
        self, request: RunbookRequest, ref: ConversationRef, reply_key: str, approved_by: str | None,
        channels: tuple[ConversationRef, ...] = (), *, steps: int = 0,
    ) -> RunbookRun:  # fmt: skip
        """The record of an approved run, numbered and holding its service's lock. Raises RunBusy when another
        run of the service goes on. `steps`: the runbook's step count (0: the watcher fills them in)."""
        line = self.busy(request.service)
        if line is not None:
            raise RunBusy(line)
        run = new_run(int(self._redis.incr(_IDS)), request, steps, ref, reply_key, approved_by, channels,
                      self.clock())  # fmt: skip
        service = request.service
        keys = [_lock(service), _key(run.id), _RUNNING, _by_service(service), _ALL]
        taken = int(cast(int, self._take(keys=keys, args=[run.id, run.model_dump_json(), run.created_at,
                                                           KEEP_SECONDS])))  # fmt: skip
        if taken:
            raise RunBusy(self.busy(service) or f"run {taken} of {service} is going on: wait for it or abort it")
        publish(self._redis, Topic.RUNS, str(run.id))
        self._forget_old(service)
        return run

    # -- reading -------------------------------------------------------------------------------------------------
    def get(self, id: int) -> RunbookRun | None:
        raw = self._redis.get(_key(id))
        if raw is None:
            return None
        try:
            return RunbookRun.model_validate_json(cast(bytes, raw))
        except ValidationError:
            return None

    def running(self) -> list[RunbookRun]:
        """The unfinished runs (running, paused, waiting for a person, aborting), oldest first."""
        ids = sorted(int(i) for i in cast(set[bytes], self._redis.smembers(_RUNNING)))
        return [r for r in self._many(ids) if not r.finished]

    def history(self, service: str | None = None, limit: int = 10) -> list[RunbookRun]:
        index = _by_service(service) if service is not None else _ALL
        raw = cast(list[bytes], self._redis.zrevrange(index, 0, limit - 1))
        return self._many([int(i) for i in raw])

    def last_drill(self, service: str) -> RunbookRun | None:
        """The newest finished drill of the service (its report has the measured RTO)."""
        for run in self.history(service, limit=KEEP_PER_SERVICE):
            if run.request.kind == "drill" and run.finished:
                return run
        return None

    def busy(self, service: str) -> str | None:
        """One line when a run of the service goes on, naming it; None when free. A lock left by a run that ended
        without giving it back (a worker died at its end) is released here."""
        raw = self._redis.get(_lock(service))
        if raw is None:
            return None
        holder = int(cast(bytes, raw))
        run = self.get(holder)
        if run is None or run.finished:
            self._release(keys=[_lock(service)], args=[holder])
            return None
        what = run_label(run)
        where = f"step {run.step + 1} of {len(run.steps)}" if run.steps else "starting"
        return (
            f"a {what.split()[0]} of {service} is running ({what} by {run.request.requested_by}, {where}): "
            f"wait for it or abort it"
        )

    # -- changing ------------------------------------------------------------------------------------------------
    def update(self, id: int, change: Callable[[RunbookRun], RunbookRun | None]) -> RunbookRun | None:
        """Apply `change` to the stored run and write the result, again if another writer got there first.
        `change` returns None to leave it as it is (it may run twice: no other effects). Returns the run as
        stored afterwards (None: there is none)."""
        after, wrote = update_json(self._redis, _key(id), RunbookRun, change, ttl=KEEP_SECONDS)
        if wrote and after is not None and after.finished:
            self._redis.srem(_RUNNING, after.id)
            self._release(keys=[_lock(after.request.service)], args=[after.id])
        if wrote:
            publish(self._redis, Topic.RUNS, str(id))
        return after

    # -- inside --------------------------------------------------------------------------------------------------
    def _many(self, ids: list[int]) -> list[RunbookRun]:
        if not ids:
            return []
        found = []
        for raw in cast(list[bytes | None], self._redis.mget([_key(i) for i in ids])):
            if raw is None:
                continue
            try:
                found.append(RunbookRun.model_validate_json(raw))
            except ValidationError:
                continue
        return found

    def _forget_old(self, service: str) -> None:
        index = _by_service(service)
        gone = set(cast(list[bytes], self._redis.zrange(index, 0, -KEEP_PER_SERVICE - 1)))
        if not gone:
            return
        with self._redis.pipeline() as pipe:
            pipe.zrem(index, *gone)
            pipe.zrem(_ALL, *gone)
            pipe.srem(_RUNNING, *gone)
            pipe.delete(*[_key(int(i)) for i in gone])
            pipe.execute()


def _key(id: int) -> str:
    return f"{PREFIX}run:{id}"


def _lock(service: str) -> str:
    return f"{PREFIX}lock:{service}"


def _by_service(service: str) -> str:
    return f"{PREFIX}service:{service}"
