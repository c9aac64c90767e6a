"""Deploy records in Redis: what each deploy (or rollback) is doing, the lock that lets one deploy of a service's
environment run at a time, and the history people ask about ("history web", "what ran before v2.4").

A record is the JSON of a `DeployRecord` under its number (INCR: "deploy 17"). The running set holds the
records a watcher must follow; per service a sorted set by time, and one for all services, hold the history
(90 days, the last 200 per service). The lock of a service's environment holds the number of the deploy that runs
there: taken atomically with the record's first write (a Lua script), so two deploys asked at one moment cannot
both start. A rollback with `rollback_of` takes the lock over from the deploy it undoes.

Writers change a record with `update` (read, change, write only if nobody wrote it meanwhile): the watcher, the
pause/resume/cancel jobs and a rollback's take-over may all touch one record at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, cast

import redis
from pydantic import ValidationError

from actions.deploy.model import DeployRecord, DeployRequest, GroupRollout
from core.changes import Topic, publish
from core.durations import span
from core.errors import ProviderError
from core.models import ConversationRef
from core.stored import update_json

PREFIX: Final = "opsbot:deploy:"
_IDS: Final = PREFIX + "id"
_RUNNING: Final = PREFIX + "running"
_ALL: Final = PREFIX + "by-time"
KEEP_SECONDS: Final = 90 * 24 * 3600
KEEP_PER_SERVICE: Final = 200

# KEYS: lock, record, running set, service index, all index. ARGV: id, record JSON, created_at, rollback_of ("" for
# none), ttl. Returns 0 when the lock is ours now, else the number of the deploy that holds it.
_TAKE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[4] then return tonumber(holder) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[5])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then redis.call('SREM', KEYS[3], ARGV[4]) end
return 0
"""
_RELEASE: Final = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class DeployBusy(ProviderError):
    """Another deploy of the same service and environment runs; the line says which and what to do."""


class DeployBook:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = connection
        self._clock = clock
        self.clock = clock  # the time records are stamped with: the jobs and the watcher stamp theirs with it too
        self._take = connection.register_script(_TAKE)
        self._release = connection.register_script(_RELEASE)

    # -- starting ------------------------------------------------------------------------------------
    def create(
        self, request: DeployRequest, ref: ConversationRef, reply_key: str, approved_by: str | None
    ) -> DeployRecord:
        """The record of a confirmed deploy, numbered and holding its environment's lock. Raises DeployBusy when
        another deploy of it runs (a rollback of the running deploy takes over from it instead)."""
        service, environment = request.service, request.environment
        taking_over = str(request.rollback_of) if request.kind == "rollback" and request.rollback_of else ""
        line = self.busy(service, environment)
        holder = self._holder(service, environment)
        if line is not None and str(holder) != taking_over:
            raise DeployBusy(line)
        record = DeployRecord(
            id=int(self._redis.incr(_IDS)), request=request, ref=ref, reply_key=reply_key, approved_by=approved_by,
            created_at=self._clock(), groups=tuple(GroupRollout(change=change) for change in request.groups),
        )  # fmt: skip
        keys = [_lock(service, environment), _key(record.id), _RUNNING, _by_service(service), _ALL]
        args: list[str | int | float] = [record.id, record.model_dump_json(), record.created_at, taking_over,
                                         KEEP_SECONDS]  # fmt: skip
        taken = int(cast(int, self._take(keys=keys, args=args)))
        if taken:  # another deploy took the lock between our look and our try: its number is now the holder
            raise DeployBusy(self.busy(service, environment) or f"{service} {environment}: deploy {taken} runs")
        publish(self._redis, Topic.DEPLOYS, str(record.id))
        if taking_over:
            self.update(int(taking_over), _being_rolled_back)
        self._forget_old(service)
        return record

    # -- reading -------------------------------------------------------------------------------------
    def get(self, id: int) -> DeployRecord | None:
        raw = self._redis.get(_key(id))
        if raw is None:
            return None
        try:
            return DeployRecord.model_validate_json(cast(bytes, raw))
        except ValidationError:
            return None

    def running(self) -> list[DeployRecord]:
        """The deploys a watcher follows (unfinished, not taken over by a rollback), oldest first."""
        ids = sorted(int(i) for i in cast(set[bytes], self._redis.smembers(_RUNNING)))
        return [r for r in self._many(ids) if not r.finished]

    def current(self, service: str, environment: str) -> DeployRecord | None:
        """The unfinished deploy holding the environment's lock, if any."""
        holder = self._holder(service, environment)
        record = self.get(holder) if holder is not None else None
        return record if record is not None and not record.finished else None

    def history(self, service: str | None = None, *, limit: int = 10, since: float | None = None) -> list[DeployRecord]:
        """Deploys newest first, of one service or of all; `since`: created at or after (unix seconds)."""
        index = _by_service(service) if service is not None else _ALL
        low = since if since is not None else "-inf"
        raw = cast(list[bytes], self._redis.zrevrangebyscore(index, "+inf", low, start=0, num=limit))
        return self._many([int(i) for i in raw])

    def running_versions(self, service: str, environment: str) -> dict[str, str]:
        """Group -> the version it was last rolled to, from the finished deploys (oldest applied first). A group
        whose rollout did not finish keeps what it had before."""
        versions: dict[str, str] = {}
        for record in reversed(self.history(service, limit=KEEP_PER_SERVICE)):
            if record.request.environment != environment or not record.finished:
                continue
            for group in record.groups:
                if group.state.status in ("succeeded", "rolled_back"):
                    versions[group.change.group] = group.change.to_version
        return versions

    def last_good(self, service: str, environment: str, *, before: str | None) -> str | None:
        """The version of the newest succeeded deploy of the environment whose version is not `before`."""
        for record in self.history(service, limit=KEEP_PER_SERVICE):
            if record.request.environment != environment or record.state != "succeeded":
                continue
            if record.request.version != before:
                return record.request.version
        return None

    def busy(self, service: str, environment: str) -> str | None:
        """One line when a deploy of the environment runs, naming it and what to do; None when free. A lock left
        by a deploy that ended without releasing it (a worker died at the end) is released here."""
        holder = self._holder(service, environment)
        if holder is None:
            return None
        record = self.get(holder)
        if record is None or record.finished:
            self._release(keys=[_lock(service, environment)], args=[holder])
            return None
        request = record.request
        what = "rollback" if request.kind == "rollback" else "deploy"
        ago = span(self._clock() - record.created_at)
        return (
            f"{service} {environment} is busy: {what} {record.id} ({request.version}, by {request.requested_by}, "
            f"{ago} ago) is {record.state.replace('_', ' ')} - wait for it or `cancel deploy {service}`"
        )

    # -- changing ------------------------------------------------------------------------------------
    def save(self, record: DeployRecord) -> None:
        """Write the record as it is (its last writer wins: `update` when others may write it too). A finished
        record leaves the running set and gives its lock back."""
        self._redis.set(_key(record.id), record.model_dump_json(), ex=KEEP_SECONDS)
        if record.finished:
            self._finish(record)
        publish(self._redis, Topic.DEPLOYS, str(record.id))

    def update(self, id: int, change: Callable[[DeployRecord], DeployRecord | None]) -> DeployRecord | None:
        """Apply `change` to the stored record and write the result, again if another writer got there first.
        `change` returns None to leave the record as it is (and must have no other effect: it may run twice).
        Returns the record as stored afterwards (None: there is none)."""
        after, wrote = update_json(self._redis, _key(id), DeployRecord, change, ttl=KEEP_SECONDS)
        if wrote and after is not None and after.finished:
            self._finish(after)
        if wrote:
            publish(self._redis, Topic.DEPLOYS, str(id))
        return after

    # -- inside --------------------------------------------------------------------------------------
    def _finish(self, record: DeployRecord) -> None:
        self._redis.srem(_RUNNING, record.id)
        self._release(keys=[_lock(record.request.service, record.request.environment)], args=[record.id])

    def _holder(self, service: str, environment: str) -> int | None:
        raw = self._redis.get(_lock(service, environment))
        return int(cast(bytes, raw)) if raw is not None else None

    def _many(self, ids: list[int]) -> list[DeployRecord]:
        if not ids:
            return []
        raws = cast(list[bytes | None], self._redis.mget([_key(i) for i in ids]))
        found = []
        for raw in raws:
            if raw is None:
                continue
            try:
                found.append(DeployRecord.model_validate_json(raw))
            except ValidationError:
                continue
        return found

    def _forget_old(self, service: str) -> None:
        """Past 90 days or beyond the newest 200 of the service: out of the history and gone."""
        index = _by_service(service)
        old = cast(list[bytes], self._redis.zrangebyscore(index, "-inf", self._clock() - KEEP_SECONDS))
        extra = cast(list[bytes], self._redis.zrange(index, 0, -KEEP_PER_SERVICE - 1))
        gone = set(old) | set(extra)
        if not gone:
            return
        with self._redis.pipeline() as pipe:
            pipe.zrem(index, *gone)
            pipe.zrem(_ALL, *gone)
            pipe.srem(_RUNNING, *gone)
            pipe.delete(*[_key(int(i)) for i in gone])
            pipe.execute()


def _being_rolled_back(record: DeployRecord) -> DeployRecord | None:
    """The deploy a rollback took over from: no longer followed; it ends when the rollback does."""
    if record.state in ("rolling_back", "rolled_back"):
        return None
    return record.model_copy(update={"state": "rolling_back"})


def _key(id: int) -> str:
    return f"{PREFIX}record:{id}"


def _lock(service: str, environment: str) -> str:
    return f"{PREFIX}lock:{service}:{environment}"


def _by_service(service: str) -> str:
    return f"{PREFIX}service:{service}"
