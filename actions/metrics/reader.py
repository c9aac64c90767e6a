"""Reading one metric of some resources from the configured sources, within a deadline, through a shared cache.

Groups: the caller hands a group together with its member instances (the inventory knows them; the reader does no
inventory lookups), and the reader reads the members in the group's place - the group itself is read only when
none of its members were handed (a source that knows a group as a whole may still answer for it).

Each resource goes to the first source that covers it; the resources a source had no data for (or that failed)
go on to the next source covering them while time remains. Calls to different sources run at once on a small
thread pool, and the read ends at its deadline: what answered is used, every source still out is one problem line.

The cache (Redis, when a connection is given) holds a whole reading under the metric, the sorted resource ids,
the step and the range aligned down to the step, for max(step, 15) s: everyone asking or watching the same series
shares one fetch. A reader that finds another process fetching the same key waits for its answer (within its own
deadline) instead of asking the source again. Redis down: the read goes on without the cache."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import redis
from prometheus_client import Counter

from actions.metrics.model import STEPS, Metric, MetricSource, MetricsUnavailable, Series, SeriesRequest, choose_step
from actions.provider import Resource
from core.errors import OpsbotError
from core.models import Frozen

log = logging.getLogger(__name__)

FETCHES = Counter(
    "opsbot_metric_fetches_total", "Metric reads sent to a source (not answered from the cache)", ["source"]
)
CACHE_HITS = Counter("opsbot_metric_cache_hits_total", "Metric reads answered from the shared cache")

KEY_PREFIX = "opsbot:metrics:"
MIN_TTL = 15  # seconds a reading is shared, at the least
PROBLEM_TTL = 5  # a reading with a problem is shared briefly only, so a recovered source is asked again soon
LATEST_SECONDS = 300  # `latest` reads the last 5 minutes
WAIT_POLL = 0.025  # how often a reader waiting on another's fetch looks for its answer
DOWN = object()  # what a Redis call gives when Redis failed
REDIS_RETRY = 10.0  # seconds the cache is left alone after Redis failed, so each read does not wait on it again


class Reading(Frozen):
    metric: Metric
    series: tuple[Series, ...]  # one per resource with data, in the order asked
    sources: tuple[str, ...]  # the sources that gave data
    missing: tuple[str, ...]  # names of the resources no source had data for
    problems: tuple[str, ...]  # one line per source that failed or did not answer in time
    step: int
    start: float  # aligned down to the step
    end: float
    fetched_at: float  # unix seconds
    cached: bool = False  # answered from the shared cache


class MetricsReader:
    """`clock` gives the time readings are stamped with and `latest` reads up to; the deadline is real elapsed time
    (it bounds threads waiting on sockets), measured with `time.monotonic`."""

    def __init__(
        self,
        sources: Sequence[MetricSource],
        connection: redis.Redis | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sources = tuple(sources)
        self._redis = connection
        self._clock = clock
        self._redis_down_until = 0.0  # time.monotonic() before which Redis is not tried
        self._pool = ThreadPoolExecutor(max_workers=max(4, 2 * len(self.sources)), thread_name_prefix="metrics")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def latest(self, metric: Metric, resources: Sequence[Resource], *, deadline: float) -> Reading:
        """The last 5 minutes at the finest step (what a watch or a live stream shows)."""
        now = self._clock()
        return self.read(metric, resources, now - LATEST_SECONDS, now, step=STEPS[0], deadline=deadline)

    def read(
        self,
        metric: Metric,
        resources: Sequence[Resource],
        start: float,
        end: float,
        *,
        step: int | None = None,
        deadline: float,
    ) -> Reading:
        """`metric` of `resources` (groups with their members, see the module) from `start` to `end` (unix
        seconds) at `step` (default: `choose_step`), waiting at most `deadline` seconds for the sources."""
        if end <= start:
            raise ValueError(f"the range ends ({end:.0f}) before it starts ({start:.0f})")
        step = step or choose_step(start, end)
        targets = expand_groups(resources, lambda r: any(source.covers(r) for source in self.sources))
        request = SeriesRequest(
            metric=metric,
            resources=tuple(targets),
            start=math.floor(start / step) * step,
            end=math.floor(end / step) * step,
            step=step,
        )
        stop_at = time.monotonic() + deadline
        key = cache_key(request)
        cached = self._cached(key)
        if cached is not None:
            return cached
        claimed = self._claim(key, deadline)
        if not claimed:
            shared = self._await_other(key, stop_at)
            if shared is not None:
                return shared
        try:
            reading = self._fetch(request, stop_at, deadline)
            self._store(key, reading)
        finally:
            if claimed:
                self._release(key)
        return reading

    # -- fetching --------------------------------------------------------------------------------------

    def _fetch(self, request: SeriesRequest, stop_at: float, deadline: float) -> Reading:
        found: dict[str, Series] = {}
        answered: set[str] = set()
        problems: dict[str, str] = {}
        pending: dict[Future[list[Series]], tuple[int, tuple[Resource, ...]]] = {}

        def send(resources: Sequence[Resource], after: int) -> None:
            """Each resource to the first source after index `after` that covers it, one call per source."""
            batches: dict[int, list[Resource]] = {}
            for resource in resources:
                index = next((i for i in range(after + 1, len(self.sources)) if self.sources[i].covers(resource)), None)
                if index is not None:
                    batches.setdefault(index, []).append(resource)
            for index, batch in batches.items():
                if time.monotonic() >= stop_at:  # no time left to ask it
                    name = self.sources[index].name
                    problems.setdefault(name, f"{name} did not answer in {deadline:g} s")
                    continue
                source, part = self.sources[index], request.model_copy(update={"resources": tuple(batch)})
                FETCHES.labels(source=source.name).inc()
                pending[self._pool.submit(source.fetch, part, _budget(stop_at))] = (index, tuple(batch))

        send(request.resources, -1)
        while pending:
            done, _ = wait(pending, timeout=max(stop_at - time.monotonic(), 0.0), return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                index, batch = pending.pop(future)
                source = self.sources[index]
                series = self._answer(source, future, problems)
                if series:
                    answered.add(source.name)
                wanted = {r.id for r in batch}
                found.update((s.resource_id, s) for s in series if s.resource_id in wanted and s.points)
                send([r for r in batch if r.id not in found], index)
        for index, _batch in pending.values():  # still out at the deadline: left to finish on their own
            name = self.sources[index].name
            problems.setdefault(name, f"{name} did not answer in {deadline:g} s")
        return Reading(
            metric=request.metric,
            series=tuple(found[r.id] for r in request.resources if r.id in found),
            sources=tuple(dict.fromkeys(s.name for s in self.sources if s.name in answered)),
            missing=tuple(r.name for r in request.resources if r.id not in found),
            problems=tuple(problems.values()),
            step=request.step,
            start=request.start,
            end=request.end,
            fetched_at=self._clock(),
        )

    @staticmethod
    def _answer(source: MetricSource, future: Future[list[Series]], problems: dict[str, str]) -> list[Series]:
        """The series a finished call returned; a failure becomes the source's problem line."""
        try:
            return future.result()
        except (MetricsUnavailable, OpsbotError) as exc:
            problems.setdefault(source.name, str(exc))
        except Exception as exc:  # a source's bug must not lose the other sources' answers: logged with its cause
            log.warning("metrics source %s failed", source.name, exc_info=exc)
            problems.setdefault(source.name, f"{source.name} failed ({type(exc).__name__})")
        return []

    # -- the shared cache ------------------------------------------------------------------------------

    def _cached(self, key: str) -> Reading | None:
        raw = self._redis_call(lambda r: r.get(key))
        if not isinstance(raw, bytes | str):  # none, no Redis, or Redis down
            return None
        CACHE_HITS.inc()
        return Reading.model_validate_json(raw).model_copy(update={"cached": True})

    def _store(self, key: str, reading: Reading) -> None:
        ttl = PROBLEM_TTL if reading.problems else max(reading.step, MIN_TTL)
        self._redis_call(lambda r: r.set(key, reading.model_dump_json(), ex=ttl))

    def _claim(self, key: str, deadline: float) -> bool:
        """Whether this reader fetches the key: no other is fetching it now, or there is no cache to share."""
        if self._redis is None:
            return True
        # SET NX answers True or None; DOWN (Redis failed) leaves nothing to share: fetch.
        return (
            self._redis_call(lambda r: r.set(key + ":fetching", b"1", nx=True, px=int(deadline * 1000) + 1)) is not None
        )

    def _release(self, key: str) -> None:
        self._redis_call(lambda r: r.delete(key + ":fetching"))

    def _await_other(self, key: str, stop_at: float) -> Reading | None:
        """Another reader is fetching this key: its reading, once stored; None when it gave up or time ran out."""
        while time.monotonic() < stop_at:
            time.sleep(WAIT_POLL)
            reading = self._cached(key)
            if reading is not None:
                return reading
            if self._redis_call(lambda r: r.exists(key + ":fetching")) != 1:  # it gave up, or Redis is down
                return self._cached(key)
        return None

    def _redis_call(self, call: Callable[[redis.Redis], object]) -> object:
        """The call's answer; None without a connection, DOWN when Redis fails (the read goes on without it)."""
        if self._redis is None:
            return None
        if time.monotonic() < self._redis_down_until:
            return DOWN
        try:
            return call(self._redis)
        except redis.RedisError as exc:
            self._redis_down_until = time.monotonic() + REDIS_RETRY
            log.warning("metrics cache unavailable, reading without it for %g s: %s", REDIS_RETRY, type(exc).__name__)
            return DOWN


def _budget(stop_at: float) -> float:
    """The time left, in tenths of a second: a source that runs out says "did not answer in 3 s", not 2.99987."""
    return max(round(stop_at - time.monotonic(), 1), 0.1)


def expand_groups(
    resources: Sequence[Resource], covered: Callable[[Resource], bool] = lambda _: True
) -> list[Resource]:
    """The resources with each group replaced by its members among them (same cloud, region and group name); a
    group none of whose members are there - or none a source `covered` - stays itself (Azure Monitor knows a scale
    set, not its instances). Duplicates are read once."""
    members = {
        (r.cloud, r.region, r.group) for r in resources if r.group is not None and r.kind != "group" and covered(r)
    }  # groups that brought members a source can read
    kept = [r for r in resources if not (r.kind == "group" and (r.cloud, r.region, r.name) in members)]
    read_whole = {(r.cloud, r.region, r.name) for r in kept if r.kind == "group"}  # their members are in them
    kept = [r for r in kept if r.kind == "group" or (r.cloud, r.region, r.group) not in read_whole]
    return list({r.id: r for r in kept}.values())


def cache_key(request: SeriesRequest) -> str:
    ids = "\n".join(sorted(r.id for r in request.resources))
    digest = hashlib.sha256(ids.encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}{request.metric.value}:{request.step}:{request.start:.0f}:{request.end:.0f}:{digest}"
