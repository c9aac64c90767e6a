"""Metrics from a team's Prometheus: one `query_range` call per question, with the PromQL of the metrics mapping.

The mapping's query for a metric names `$selector` (the label matcher of the resources asked about), `$by` (the
instance label, so the answer has one series per instance) and `$window` (the rate window: four steps, at least a
minute, so every point's window holds several scrapes). A group is matched by the group label, instances and load
balancers by the instance label; each answer series is named by its instance label's value."""

from __future__ import annotations

import json
import logging
import math
import re
from string import Template
from typing import Any, NoReturn

import httpx

from actions.metrics.mapping import PromMapping
from actions.metrics.model import MAX_POINTS, METRICS, MetricsUnavailable, Series, SeriesRequest
from actions.provider import Resource

log = logging.getLogger(__name__)

KINDS = frozenset({"instance", "group", "load_balancer"})
MIN_WINDOW = 60  # seconds: a shorter rate window may hold fewer than two scrapes at the usual 15-30 s interval
ERROR_CHARS = 120  # of Prometheus's own error, enough for "parse error at char 12: unexpected ..."
_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


class PrometheusSource:
    """A `MetricSource` over Prometheus's HTTP API at `url` (a path prefix is kept: a Prometheus behind a proxy).
    One keep-alive `httpx.Client` serves every thread; pass `client` to share or configure one (auth, TLS)."""

    name = "Prometheus"

    def __init__(self, url: str, mapping: PromMapping, *, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.mapping = mapping
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client()

    def close(self) -> None:
        """Close the client this source made (a client passed in belongs to the caller)."""
        if self._owns_client:
            self._client.close()

    def covers(self, resource: Resource) -> bool:
        return resource.kind in KINDS

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        template = self.mapping.queries.get(request.metric)
        if template is None:
            raise MetricsUnavailable(f"Prometheus has no query for {METRICS[request.metric].label} (metrics mapping)")
        resources = [r for r in request.resources if self.covers(r)]
        if not resources:
            return []
        step = fitted_step(request.start, request.end, request.step)
        query = self.promql(template, resources, step)
        form = {
            "query": query,
            "start": f"{request.start:.3f}",
            "end": f"{request.end:.3f}",
            "step": str(step),
            "timeout": prom_timeout(timeout),  # Prometheus gives up too, instead of evaluating for nobody
        }
        body = self._post("/api/v1/query_range", form, timeout)
        return _series_of(body, resources, self.mapping.instance_label, query)

    def promql(self, template: str, resources: list[Resource], step: int) -> str:
        """The query for `resources`: one selector when they are all groups or all instances, else the two
        queries joined by `or` (still one call; an instance that is also a member of a group comes once)."""
        groups = [r.name for r in resources if r.kind == "group"]
        instances = [r.name for r in resources if r.kind != "group"]
        selectors = []
        if groups:
            selectors.append(_matcher(self.mapping.group_label, groups))
        if instances:
            selectors.append(_matcher(self.mapping.instance_label, instances))
        values = {"by": self.mapping.instance_label, "window": duration(max(4 * step, MIN_WINDOW))}
        queries = [Template(template).safe_substitute(values, selector=s) for s in selectors]
        return queries[0] if len(queries) == 1 else " or ".join(f"({q})" for q in queries)

    def _post(self, path: str, form: dict[str, str], timeout: float) -> dict[str, Any]:
        # httpx's timeout bounds each phase (connect, write, every read); the form's own `timeout` bounds
        # Prometheus's evaluation, so a slow query ends as its "timeout" error rather than a silent read.
        try:
            answer = self._client.post(self.url + path, data=form, timeout=timeout)
        except httpx.TimeoutException as exc:
            log.warning("Prometheus at %s: no answer in %g s (%r)", self.url, timeout, exc)
            raise MetricsUnavailable(f"Prometheus did not answer in {timeout:g} s") from exc
        except httpx.TransportError as exc:
            log.warning("Prometheus at %s unreachable: %r", self.url, exc)
            raise MetricsUnavailable(f"Prometheus did not answer: {_cause(exc)}") from exc
        try:
            body = answer.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            log.warning("Prometheus at %s: HTTP %s, not JSON: %r", self.url, answer.status_code, answer.text[:200])
            raise MetricsUnavailable(f"Prometheus answered HTTP {answer.status_code} without JSON") from exc
        if not isinstance(body, dict) or body.get("status") != "success":
            _refused(body, answer.status_code, timeout)
        return body


def fitted_step(start: float, end: float, step: int) -> int:
    """`step`, raised so that the range has at most MAX_POINTS steps (Prometheus refuses more)."""
    return max(step, 1, math.ceil((end - start) / MAX_POINTS))


def prom_timeout(seconds: float) -> str:
    """A duration Prometheus parses: "3s", "2900ms" (it refuses a fraction of a unit such as "2.9s" with a 400)."""
    millis = max(round(seconds * 1000), 1)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def duration(seconds: int) -> str:
    """A PromQL duration: 60 -> "1m", 7200 -> "2h", 90 -> "90s"."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _matcher(label: str, names: list[str]) -> str:
    """`label=~"a|b"`: each name regex-escaped (RE2), then quoted as a PromQL string."""
    pattern = "|".join(_RE2_SPECIAL.sub(r"\\\1", name) for name in names)
    return f'{label}=~"' + pattern.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _refused(body: object, status: int, timeout: float) -> NoReturn:
    error = body.get("error") if isinstance(body, dict) else None
    kind = body.get("errorType") if isinstance(body, dict) else None
    text = " ".join(str(error or f"HTTP {status}").split())[:ERROR_CHARS]
    log.warning("Prometheus refused a query: HTTP %s %s: %s", status, kind, error)
    if kind == "timeout":
        raise MetricsUnavailable(f"Prometheus did not answer in {timeout:g} s: {text}")
    raise MetricsUnavailable(f"Prometheus refused the query: {text}")


def _cause(exc: httpx.TransportError) -> str:
    """The innermost reason ("Connection refused"), not the chain of wrappers around it."""
    inner: BaseException = exc
    while inner.__cause__ is not None or inner.__context__ is not None:
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    reason = getattr(inner, "strerror", None) or str(inner) or type(inner).__name__
    return " ".join(str(reason).split())[:ERROR_CHARS]


def _points(values: object) -> tuple[tuple[float, float], ...]:
    """[[ts, "value"], ...] -> (ts, value) pairs, leaving out "NaN" and "+Inf"/"-Inf" (gaps, as the chart draws)."""
    points = []
    for pair in values if isinstance(values, list) else []:
        value = float(pair[1])
        if math.isfinite(value):
            points.append((float(pair[0]), value))
    return tuple(points)


def _named(result: list[Any], label: str, query: str) -> dict[str, tuple[tuple[float, float], ...]]:
    """The answer's points by instance name. A series without the label, or a second one with the same name
    (a mapping query that keeps more labels than `$by`), is left out and logged: it names no resource."""
    named: dict[str, tuple[tuple[float, float], ...]] = {}
    for item in result:
        name = item.get("metric", {}).get(label)
        if name is None or name in named:
            log.warning("Prometheus query %r: series %s left out (no %s, or a second one)", query, item, label)
            continue
        named[name] = _points(item.get("values"))
    return named


def _matrix(body: dict[str, Any]) -> list[Any]:
    """The result of a range query; TypeError or KeyError when the answer is not one (not Prometheus's shape)."""
    if body["data"]["resultType"] != "matrix":
        raise TypeError(f"resultType {body['data']['resultType']!r}")
    result: list[Any] = body["data"]["result"]
    return result


def _series_of(body: dict[str, Any], resources: list[Resource], label: str, query: str) -> list[Series]:
    try:
        named = _named(_matrix(body), label, query)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:  # not Prometheus's shape
        log.warning("Prometheus query %r: answer not a matrix: %r (%s)", query, body, exc)
        raise MetricsUnavailable("Prometheus answered without a range of values") from exc
    known = {r.name: r for r in resources if r.kind != "group"}
    # The resources asked about first, in their order; then a group's members the request did not list.
    order = list(dict.fromkeys(r.name for r in resources if r.name in named and r.name in known))
    order += sorted(n for n in named if n not in known)
    series = []
    for name in order:
        if not named[name]:
            continue  # only gaps: no data, as if absent
        resource = known.get(name)
        resource_id = resource.id if resource is not None else f"prometheus:{name}"
        series.append(Series(resource_id=resource_id, resource_name=name, points=named[name]))
    return series
