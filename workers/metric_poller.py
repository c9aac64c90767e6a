"""The poller behind the live metric streams (workers/metric_streams.py): a thread of every worker process.

Each tick it claims the streams that are due through the shared schedule (core.schedule's claim: a claimed stream
is pushed a lease ahead, so the pollers of several workers split the work instead of repeating it), forgets those
nobody wants any more, and asks each source ONE question per metric for every resource of every due stream (a
series watched by many is fetched once). It then combines each stream's members (avg and max at the newest moment
every member reported) and adds one entry per stream. An entry's id is its tick (milliseconds), so Redis itself
refuses a second entry for a tick that a slower poller claimed again after its lease: no tick is published twice.

Streams are polled at their source's native resolution (CloudWatch has a point a minute: asking every second would
only pay for the same point 60 times). A source that fails gives its streams an entry with the problem line and is
asked again only after a backoff that doubles up to a minute."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

import redis
from prometheus_client import Counter as PromCounter
from prometheus_client import Histogram

from actions.metrics.aggregate import combine
from actions.metrics.model import Metric, MetricSource, MetricsUnavailable, Series, SeriesRequest
from actions.provider import CloudProvider, Resource
from core.schedule import Ticker
from workers.metric_scopes import Scopes
from workers.metric_streams import (
    DUE_KEY,
    KEEP_ENTRIES,
    WANTED_KEY,
    Clock,
    StreamKey,
    StreamPoint,
    encode,
    schedule,
    stream_name,
)

log = logging.getLogger(__name__)

# Seconds between two points each source has; a source not named here is asked once a minute.
RESOLUTION_SECONDS = {"simulated": 1.0, "Prometheus": 15.0, "CloudWatch": 60.0, "Azure Monitor": 60.0,
                      "Cloud Monitoring": 60.0}  # fmt: skip
LOOKBACK_STEPS = 3  # a question covers this many points back: a member a point late still counts
LEASE_SECONDS = 10.0  # a claimed stream is due again after this if its poller died mid-tick
BACKOFF_FIRST, BACKOFF_LONGEST = 2.0, 60.0
NO_SOURCE_PERIOD = 30.0  # a stream whose scope has no source is re-checked this often (the inventory may change)
STREAM_TTL_SECONDS = 3600  # a stream nobody polls any more is gone after this
CLAIM_LIMIT = 20_000

POLLED = PromCounter("opsbot_metric_streams_polled", "Metric stream entries published.", ["outcome"])
PROPAGATION = Histogram(
    "opsbot_metric_stream_propagation_seconds", "From a point's source timestamp to its stream entry.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 30, 60, 120, 300),
)  # fmt: skip
TICK = Histogram(
    "opsbot_metric_stream_tick_seconds", "One poll of every due metric stream.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)  # fmt: skip
REQUESTED = PromCounter("opsbot_metric_source_series_requested", "Series asked of each metrics source.", ["source"])

# KEYS: wanted, due. ARGV: now, members... Keeps the members still wanted; forgets the others in both sets.
_KEEP_WANTED = """
local kept = {}
local now = tonumber(ARGV[1])
for i = 2, #ARGV do
    local until_ = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if until_ and tonumber(until_) >= now then
        kept[#kept + 1] = ARGV[i]
    else
        redis.call('ZREM', KEYS[1], ARGV[i])
        redis.call('ZREM', KEYS[2], ARGV[i])
    end
end
return kept
"""

Inventory = Callable[[], Sequence[Resource]]


@dataclass
class _Due:
    key: StreamKey
    members: tuple[Resource, ...] = ()
    sources: dict[str, int] = field(default_factory=dict)  # member id -> index of its source
    problem: str | None = None


@dataclass
class _Backoff:
    until: float
    delay: float
    problem: str


class StreamPoller:
    """`tick()` polls what is due once (tests call it with their own clock); `start()` runs it on a thread."""

    def __init__(
        self, connection: redis.Redis, inventory: CloudProvider | Inventory, sources: Sequence[MetricSource], *,
        clock: Clock = time.time, interval: float = 1.0, deadline: float = 2.0,
        resolutions: Mapping[str, float] = RESOLUTION_SECONDS,
    ) -> None:  # fmt: skip
        self._redis = connection
        self._inventory: Inventory = inventory if callable(inventory) else (lambda: inventory.snapshot().resources)
        self._sources = list(sources)
        self._clock = clock
        self._interval = interval
        self._deadline = deadline
        self._resolutions = resolutions
        self._schedule = schedule(connection, clock)
        self._keep_wanted = connection.register_script(_KEEP_WANTED)
        self._scopes: tuple[Sequence[Resource], Scopes] | None = None
        self._backoff: dict[str, _Backoff] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._ticker: Ticker | None = None
        self.requested: Counter[str] = Counter()  # series asked of each source (what CloudWatch bills per 1,000)
        self.fetches: Counter[str] = Counter()  # questions asked of each source
        self.published = 0
        self.refused = 0  # entries for a tick another poller had already published

    def start(self) -> None:
        self._ticker = Ticker("metric-streams", self._schedule, self._safe_tick, longest=4.0, overdue_pause=0.05)
        self._ticker.start()

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _safe_tick(self) -> float | None:
        try:
            self.tick()
        except redis.RedisError:
            raise  # the ticker waits for Redis and says so once
        except Exception:  # a bug in one tick must not end the streams of every watcher: logged, tried again
            log.exception("metric streams: a poll failed")
            return self._interval
        return None

    def tick(self) -> None:
        """Poll every stream that is due now and publish an entry for each."""
        started = time.perf_counter()
        now = self._clock()
        claimed = self._schedule.claim(LEASE_SECONDS, CLAIM_LIMIT)
        if not claimed:
            return
        kept = cast(list[bytes], self._keep_wanted(keys=[WANTED_KEY, DUE_KEY], args=[repr(now), *claimed]))
        if not kept:
            return
        due = [self._resolve(StreamKey.parse(m.decode())) for m in kept]
        answers, problems = self._fetch_all(due, now)
        self._publish(due, answers, problems, now)
        TICK.observe(time.perf_counter() - started)

    def _resolve(self, key: StreamKey) -> _Due:
        members = self._scopes_now().members(key.scope)
        if isinstance(members, str):
            return _Due(key, problem=members)
        sources = {}
        for member in members:
            found = next((i for i, s in enumerate(self._sources) if s.covers(member)), None)
            if found is not None:
                sources[member.id] = found
        if not sources:
            return _Due(key, problem=f"no metrics source has {key.metric.value} of {key.scope}")
        return _Due(key, members, sources)

    def _scopes_now(self) -> Scopes:
        resources = self._inventory()
        if self._scopes is None or self._scopes[0] is not resources:  # the index is rebuilt only for a new inventory
            self._scopes = (resources, Scopes(resources))
        return self._scopes[1]

    def _fetch_all(self, due: Sequence[_Due], now: float) -> tuple[dict[tuple[Metric, str], Series], dict[int, str]]:
        """Every due member's series, by (metric, resource id), asking each source one question per metric; and
        the problem line of each source that did not answer."""
        wanted: dict[tuple[int, Metric], dict[str, Resource]] = {}
        for stream in due:
            for member in stream.members:
                index = stream.sources.get(member.id)
                if index is not None:
                    wanted.setdefault((index, stream.key.metric), {})[member.id] = member
        problems: dict[int, str] = {}
        questions = []
        for (index, metric), resources in wanted.items():
            source = self._sources[index]
            backoff = self._backoff.get(source.name)
            if backoff is not None and backoff.until > now:
                problems[index] = backoff.problem
                continue
            step = self._resolution(source)
            start = now - LOOKBACK_STEPS * step
            request = SeriesRequest(
                metric=metric, resources=tuple(resources.values()), start=start, end=now, step=max(1, int(step))
            )
            questions.append((index, request))
        results = self._ask(questions)
        answers: dict[tuple[Metric, str], Series] = {}
        for (index, request), result in zip(questions, results, strict=True):
            source = self._sources[index]
            if isinstance(result, str):
                problems[index] = result
                previous = self._backoff.get(source.name)
                delay = min(BACKOFF_LONGEST, previous.delay * 2) if previous is not None else BACKOFF_FIRST
                self._backoff[source.name] = _Backoff(now + delay, delay, result)
                continue
            self._backoff.pop(source.name, None)
            for series in result:
                answers[(request.metric, series.resource_id)] = series
        return answers, problems

    def _ask(self, questions: Sequence[tuple[int, SeriesRequest]]) -> list[list[Series] | str]:
        """Each question's answer, or its problem line; several sources are asked at once."""
        for index, request in questions:
            name = self._sources[index].name
            self.fetches[name] += 1
            self.requested[name] += len(request.resources)
            REQUESTED.labels(source=name).inc(len(request.resources))
        if len(questions) <= 1:
            return [self._ask_one(index, request) for index, request in questions]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="metric-source")
        return list(self._pool.map(lambda q: self._ask_one(*q), questions))

    def _ask_one(self, index: int, request: SeriesRequest) -> list[Series] | str:
        source = self._sources[index]
        try:
            return source.fetch(request, self._deadline)
        except MetricsUnavailable as exc:
            return str(exc)
        except Exception as exc:  # a source's own bug: its streams say so, the others go on
            log.exception("metric streams: %s failed", source.name)
            return f"{source.name}: failed ({type(exc).__name__})"

    def _resolution(self, source: MetricSource) -> float:
        return self._resolutions.get(source.name, 60.0)

    def _period(self, stream: _Due) -> float:
        if stream.problem is not None:
            return max(self._interval, NO_SOURCE_PERIOD)
        slowest = max(self._resolution(self._sources[i]) for i in set(stream.sources.values()))
        return max(self._interval, slowest)

    def _publish(
        self, due: Sequence[_Due], answers: Mapping[tuple[Metric, str], Series], problems: Mapping[int, str],
        now: float,
    ) -> None:  # fmt: skip
        entries: list[tuple[StreamKey, StreamPoint]] = []
        next_due: dict[str, float] = {}
        tick = math.floor(now / self._interval) * self._interval  # the entries' id: one entry per stream per tick
        for stream in due:
            entries.append((stream.key, self._point(stream, answers, problems, tick)))
            period = self._period(stream)
            retry = max((self._backoff[n].until for n in self._failed_sources(stream, problems)), default=0.0)
            next_due[stream.key.member] = max(math.floor(now / period) * period + period, retry)
        with self._redis.pipeline(transaction=False) as pipe:
            for key, point in entries:
                name = stream_name(key)
                pipe.xadd(name, cast(Any, encode(point)), id=point.id, maxlen=KEEP_ENTRIES, approximate=True)
                pipe.expire(name, STREAM_TTL_SECONDS)
            self._schedule.set(next_due, wake=False, pipe=pipe)
            results = pipe.execute(raise_on_error=False)
        done = self._clock()
        for (_, point), result in zip(entries, results[0 : 2 * len(entries) : 2], strict=True):
            if isinstance(result, redis.ResponseError):  # the tick's id is taken: another poller published it
                self.refused += 1
                POLLED.labels(outcome="refused").inc()
                continue
            if isinstance(result, Exception):
                raise result
            self.published += 1
            POLLED.labels(outcome="problem" if point.avg is None else "value").inc()
            if point.source_t is not None:
                PROPAGATION.observe(max(0.0, done - point.source_t))

    def _failed_sources(self, stream: _Due, problems: Mapping[int, str]) -> set[str]:
        return {self._sources[i].name for i in set(stream.sources.values()) if i in problems}

    def _point(
        self, stream: _Due, answers: Mapping[tuple[Metric, str], Series], problems: Mapping[int, str], tick: float
    ) -> StreamPoint:
        entry_id = f"{int(tick * 1000)}-0"
        if stream.problem is not None:
            return StreamPoint(id=entry_id, t=tick, problem=stream.problem)
        series = [s for m in stream.members if (s := answers.get((stream.key.metric, m.id))) is not None and s.points]
        failed = sorted({problems[i] for i in set(stream.sources.values()) if i in problems})
        problem = "; ".join(failed) or None
        if not series:
            return StreamPoint(id=entry_id, t=tick, problem=problem or f"no data for {stream.key.scope} yet")
        at = min(s.points[-1][0] for s in series)  # the newest moment every reporting member has a value for
        n = sum(1 for s in series if any(t == at for t, _ in s.points))
        avg, top = dict(combine(series, "avg"))[at], dict(combine(series, "max"))[at]
        return StreamPoint(id=entry_id, t=tick, avg=avg, max=top, n=n, source_t=at, problem=problem)
