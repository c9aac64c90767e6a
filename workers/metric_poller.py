"""The poller behind the live metric streams (workers/metric_streams.py): a thread of every worker process.

Each tick it claims the streams that are due through the shared schedule (core.schedule's claim: a claimed stream
is pushed a lease ahead, so the pollers of several workers split the work instead of repeating it), forgets those
nobody wants any more, and asks each source ONE question per metric for every resource of every due stream (a
series watched by many is fetched once; workers/metric_questions.py). It then combines each stream's members (avg
and max at the newest moment every member reported) and adds one entry per stream. An entry's id is its tick
(milliseconds), so Redis itself refuses a second entry for a tick that a slower poller claimed again after its
lease: no tick is published twice.

Streams are polled at their source's native resolution (CloudWatch has a point a minute: asking every second would
only pay for the same point 60 times). A source that fails gives its streams an entry with the problem line and is
asked again only after its backoff."""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import redis
from prometheus_client import Counter as PromCounter
from prometheus_client import Histogram

from actions.metrics.model import Metric, MetricSource
from actions.provider import CloudProvider, Resource
from core.schedule import Ticker
from workers.metric_questions import RESOLUTION_SECONDS, Answers, SourceQuestions
from workers.metric_scopes import Scopes
from workers.metric_streams import DUE_KEY, WANTED_KEY, Clock, Publisher, StreamKey, StreamPoint, schedule

if TYPE_CHECKING:
    from workers.context import WorkerContext

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0  # a claimed stream is due again after this if its poller died mid-tick
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


class StreamPoller:
    """`tick()` polls what is due once (tests call it with their own clock); `start()` runs it on a thread."""

    def __init__(
        self, connection: redis.Redis, inventory: CloudProvider | Inventory, sources: Sequence[MetricSource], *,
        clock: Clock = time.time, interval: float = 1.0, deadline: float = 2.0,
        resolutions: Mapping[str, float] = RESOLUTION_SECONDS,
    ) -> None:  # fmt: skip
        self._redis = connection
        self._inventory: Inventory = inventory if callable(inventory) else (lambda: inventory.snapshot().resources)
        self._questions = SourceQuestions(sources, deadline=deadline, resolutions=resolutions)
        self._clock = clock
        self._interval = interval
        self._schedule = schedule(connection, clock)
        self._keep_wanted = connection.register_script(_KEEP_WANTED)
        self._publisher = Publisher(connection, ttl_seconds=STREAM_TTL_SECONDS)
        self._scopes: tuple[Sequence[Resource], Scopes] | None = None
        self._resolved: dict[str, _Due] = {}  # stream member -> its members and sources, for self._scopes
        self._ticker: Ticker | None = None
        self.published = 0
        self.refused = 0  # entries for a tick another poller had already published

    @property
    def requested(self) -> Counter[str]:
        """Series asked of each source so far (what CloudWatch bills per 1,000)."""
        return self._questions.requested

    @property
    def fetches(self) -> Counter[str]:
        """Questions asked of each source so far."""
        return self._questions.fetches

    def start(self) -> None:
        self._ticker = Ticker("metric-streams", self._schedule, self._safe_tick, longest=4.0, overdue_pause=0.05)
        self._ticker.start()

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        self._questions.close()

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
        wanted: dict[tuple[int, Metric], dict[str, Resource]] = {}
        for stream in due:
            for member in stream.members:
                index = stream.sources.get(member.id)
                if index is not None:
                    wanted.setdefault((index, stream.key.metric), {})[member.id] = member
        answers, problems = self._questions.ask(wanted, now)
        self._publish(due, answers, problems, now)
        TICK.observe(time.perf_counter() - started)

    def _resolve(self, key: StreamKey) -> _Due:
        """The stream's members and their sources (kept until the inventory changes)."""
        scopes = self._scopes_now()
        known = self._resolved.get(key.member)
        if known is None:
            known = self._resolved[key.member] = self._resolve_in(scopes, key)
        return known

    def _resolve_in(self, scopes: Scopes, key: StreamKey) -> _Due:
        members = scopes.members(key.scope)
        if isinstance(members, str):
            return _Due(key, problem=members)
        sources = {}
        for member in members:
            found = self._questions.source_of(member)
            if found is not None:
                sources[member.id] = found
        if not sources:
            return _Due(key, problem=f"no metrics source has {key.metric.value} of {key.scope}")
        return _Due(key, members, sources)

    def _scopes_now(self) -> Scopes:
        resources = self._inventory()
        if self._scopes is None or self._scopes[0] is not resources:  # the index is rebuilt only for a new inventory
            self._scopes = (resources, Scopes(resources))
            self._resolved.clear()
        return self._scopes[1]

    def _period(self, stream: _Due) -> float:
        if stream.problem is not None:
            return max(self._interval, NO_SOURCE_PERIOD)
        slowest = max(self._questions.resolution(i) for i in set(stream.sources.values()))
        return max(self._interval, slowest)

    def _publish(
        self, due: Sequence[_Due], answers: Answers, problems: Mapping[int, str],
        now: float,
    ) -> None:  # fmt: skip
        entries: list[tuple[StreamKey, StreamPoint, float]] = []
        tick = math.floor(now / self._interval) * self._interval  # the entries' id: one entry per stream per tick
        for stream in due:
            period = self._period(stream)
            retry = max(
                (self._questions.retry_at(i) for i in set(stream.sources.values()) if i in problems), default=0.0
            )
            next_due = max(math.floor(now / period) * period + period, retry)
            entries.append((stream.key, self._point(stream, answers, problems, tick), next_due))
        added = self._publisher(entries)
        done = self._clock()
        for (_, point, _), fresh in zip(entries, added, strict=True):
            if not fresh:  # the tick's id is taken: another poller published it
                self.refused += 1
                POLLED.labels(outcome="refused").inc()
                continue
            self.published += 1
            POLLED.labels(outcome="problem" if point.avg is None else "value").inc()
            if point.source_t is not None:
                PROPAGATION.observe(max(0.0, done - point.source_t))

    def _point(self, stream: _Due, answers: Answers, problems: Mapping[int, str], tick: float) -> StreamPoint:
        entry_id = f"{int(tick * 1000)}-0"
        if stream.problem is not None:
            return StreamPoint(id=entry_id, t=tick, problem=stream.problem)
        series = [s for m in stream.members if (s := answers.get((stream.key.metric, m.id))) is not None and s.points]
        failed = sorted({problems[i] for i in set(stream.sources.values()) if i in problems})
        problem = "; ".join(failed) or None
        if not series:
            return StreamPoint(id=entry_id, t=tick, problem=problem or f"no data for {stream.key.scope} yet")
        at = min(s.points[-1][0] for s in series)  # the newest moment every reporting member has a value for
        values = [value for s in series for t, value in s.points if t == at]
        # What combine(series, "avg" | "max") gives at `at` (the tests hold it to that), without combining every
        # point of the window twice per stream: a tick has a thousand streams to publish.
        return StreamPoint(id=entry_id, t=tick, avg=statistics.fmean(values), max=max(values), n=len(values),
                           source_t=at, problem=problem)  # fmt: skip


def start_poller(context: WorkerContext) -> StreamPoller:
    """The poller of a worker process, over the configured metrics sources (a daemon thread: it ends with the
    process). It costs one schedule read per wait while nobody watches a stream."""
    from actions.metric_sources import build_sources

    sources = build_sources(context.settings)
    poller = StreamPoller(
        context.connection, context.provider, sources, deadline=context.settings.metrics_deadline_seconds
    )
    poller.start()
    return poller
