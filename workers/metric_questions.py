"""How the metric stream poller asks its sources: one question per source and metric per tick, covering every
resource of every due stream, at the source's native resolution; a source that fails is left alone for a backoff
that doubles up to a minute, its streams showing the problem line meanwhile."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from prometheus_client import Counter as PromCounter

from actions.metrics.model import Metric, MetricSource, MetricsUnavailable, Series, SeriesRequest
from actions.provider import Resource

log = logging.getLogger(__name__)

# Seconds between two points each source has (asking more often only gets - and, on CloudWatch, pays for - the same
# point again); a source not named here is asked once a minute.
RESOLUTION_SECONDS = {"simulated": 1.0, "Prometheus": 15.0, "CloudWatch": 60.0, "Azure Monitor": 60.0,
                      "Cloud Monitoring": 60.0}  # fmt: skip
LOOKBACK_STEPS = 3  # a question covers this many points back: a member a point late still counts
BACKOFF_FIRST, BACKOFF_LONGEST = 2.0, 60.0

REQUESTED = PromCounter("opsbot_metric_source_series_requested", "Series asked of each metrics source.", ["source"])

Wanted = Mapping[tuple[int, Metric], Mapping[str, Resource]]  # (source index, metric) -> the resources by id
Answers = dict[tuple[Metric, str], Series]  # (metric, resource id) -> its series


@dataclass
class _Backoff:
    until: float
    delay: float
    problem: str


class SourceQuestions:
    def __init__(
        self, sources: Sequence[MetricSource], *, deadline: float, resolutions: Mapping[str, float] = RESOLUTION_SECONDS
    ) -> None:
        self.sources = list(sources)
        self._deadline = deadline
        self._resolutions = resolutions
        self._backoff: dict[int, _Backoff] = {}
        self._pool: ThreadPoolExecutor | None = None
        self.requested: Counter[str] = Counter()  # series asked of each source (what CloudWatch bills per 1,000)
        self.fetches: Counter[str] = Counter()  # questions asked of each source

    def source_of(self, resource: Resource) -> int | None:
        """The first source that has the resource's metrics (by index), or None."""
        return next((i for i, s in enumerate(self.sources) if s.covers(resource)), None)

    def resolution(self, index: int) -> float:
        return self._resolutions.get(self.sources[index].name, 60.0)

    def retry_at(self, index: int) -> float:
        """When a failing source is asked again (0: it is not failing)."""
        backoff = self._backoff.get(index)
        return backoff.until if backoff is not None else 0.0

    def ask(self, wanted: Wanted, now: float) -> tuple[Answers, dict[int, str]]:
        """The series of every wanted resource that has data, and the problem line of each source that did not
        answer (or is still in its backoff)."""
        problems: dict[int, str] = {}
        questions = []
        for (index, metric), resources in wanted.items():
            backoff = self._backoff.get(index)
            if backoff is not None and backoff.until > now:
                problems[index] = backoff.problem
                continue
            step = self.resolution(index)
            request = SeriesRequest(metric=metric, resources=tuple(resources.values()),
                                    start=now - LOOKBACK_STEPS * step, end=now, step=max(1, int(step)))  # fmt: skip
            questions.append((index, request))
        answers: Answers = {}
        for (index, request), result in zip(questions, self._answers(questions), strict=True):
            if isinstance(result, str):
                problems[index] = result
                previous = self._backoff.get(index)
                delay = min(BACKOFF_LONGEST, previous.delay * 2) if previous is not None else BACKOFF_FIRST
                self._backoff[index] = _Backoff(now + delay, delay, result)
                continue
            self._backoff.pop(index, None)
            for series in result:
                answers[(request.metric, series.resource_id)] = series
        return answers, problems

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _answers(self, questions: Sequence[tuple[int, SeriesRequest]]) -> list[list[Series] | str]:
        """Each question's answer, or its problem line; several sources are asked at once."""
        for index, request in questions:
            name = self.sources[index].name
            self.fetches[name] += 1
            self.requested[name] += len(request.resources)
            REQUESTED.labels(source=name).inc(len(request.resources))
        if len(questions) <= 1:
            return [self._answer(index, request) for index, request in questions]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="metric-source")
        return list(self._pool.map(lambda q: self._answer(*q), questions))

    def _answer(self, index: int, request: SeriesRequest) -> list[Series] | str:
        source = self.sources[index]
        try:
            return source.fetch(request, self._deadline)
        except MetricsUnavailable as exc:
            return str(exc)
        except Exception as exc:  # a source's own bug: its streams say so, the others go on
            log.exception("metric streams: %s failed", source.name)
            return f"{source.name}: failed ({type(exc).__name__})"
