"""A fake Google Cloud Monitoring API v3 on 127.0.0.1, for the real google-cloud-monitoring client.

That client has only the gRPC transport, so this is a gRPC server answering `google.monitoring.v3.MetricService/
ListTimeSeries` with the library's own message types; `url` ("http://127.0.0.1:PORT") is what opsbot's
`gcp_monitoring_url` takes for a plain-text endpoint. It keeps raw samples of `gce_instance` series
(`add_series`) and answers as the real API does: the filter selects series, each series is aligned to the
alignment period with the aligner (windows (t - period, t] ending at the interval's end time, empty windows left
out), a cross-series reducer combines the series that share the `group_by_fields` (the output keeps only those
labels, metadata labels included), points come newest first, and pages hold `page_size` series (default 100; the
real API counts points in the FULL view - a client just follows `next_page_token`).

Validation as the real API's: a filter without `metric.type` or not parsed -> INVALID_ARGUMENT; an alignment
period under 60 s -> INVALID_ARGUMENT; ALIGN_RATE of a GAUGE -> INVALID_ARGUMENT; an unknown project ->
PERMISSION_DENIED. The filter language understood: `field = "value"` and `!=`, AND, OR and parentheses (AND and
OR mixed only inside parentheses), fields `metric.type`, `resource.type`, `resource.labels.K`, `metric.labels.K`,
`metadata.system_labels.K` (K may be quoted); anything else is refused with INVALID_ARGUMENT rather than ignored.
Controls: `fail(code, times)` (RESOURCE_EXHAUSTED is the 429), `hang(seconds)`, and `calls`, every request seen."""

from __future__ import annotations

import itertools
import re
import statistics
import threading
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import grpc  # type: ignore[import-untyped]
from google.cloud import monitoring_v3

ALIGNERS: dict[str, Callable[[list[float], float], float]] = {
    "ALIGN_MEAN": lambda values, _period: statistics.fmean(values),
    "ALIGN_MAX": lambda values, _period: max(values),
    "ALIGN_MIN": lambda values, _period: min(values),
    "ALIGN_SUM": lambda values, _period: sum(values),
    "ALIGN_RATE": lambda values, period: sum(values) / period,  # of DELTA samples: what the window added, per second
}
REDUCERS: dict[str, Callable[[list[float]], float]] = {"REDUCE_MEAN": statistics.fmean, "REDUCE_SUM": sum,
                                                       "REDUCE_MAX": max}  # fmt: skip
DENIED = "Permission monitoring.timeSeries.list denied (or the resource may not exist)."
_TOKEN = re.compile(r'\s*(?:(?P<s>"(?:[^"\\]|\\.)*")|(?P<op>!=|=)|(?P<p>[()])|(?P<w>[A-Za-z_][\w]*(?:\.(?:[A-Za-z_]\w*'
                    r'|"[^"]*"))*))')  # fmt: skip
_FIELD = re.compile(r'(metric|resource)\.type|(resource\.labels|metric\.labels|metadata\.system_labels)\.("?)(\w+)\3')


class Refused(Exception):
    """An answer other than OK: the gRPC status and Google's message."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class FakeSeries:
    project: str
    zone: str
    name: str
    metric_type: str
    points: list[tuple[float, float]]  # raw samples (unix seconds, value), any order
    kind: str = "GAUGE"  # or DELTA: each sample is what its interval added
    labels: dict[str, str] = field(default_factory=dict)  # metric labels
    group: str | None = None  # the MIG it belongs to
    instance_id: str = ""

    def value_of(self, name: str) -> str | None:
        """The value of one filter or group-by field for this series; Refused for a field the fake does not know."""
        found = _FIELD.fullmatch(name)
        if found is None:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"The fake does not understand the field {name}.")
        if found.group(1):
            return self.metric_type if found.group(1) == "metric" else "gce_instance"
        return self.labels_of(found.group(2)).get(found.group(4))

    def labels_of(self, where: str) -> dict[str, str]:
        if where == "resource.labels":
            return {"project_id": self.project, "instance_id": self.instance_id, "zone": self.zone}
        if where == "metric.labels":
            return self.labels
        return {"name": self.name} | ({"instance_group": self.group} if self.group else {})


@dataclass(frozen=True)
class Call:
    project: str
    filter: str
    period: int
    aligner: str
    reducer: str
    group_by: tuple[str, ...]
    page_token: str


@dataclass
class _Fault:
    code: grpc.StatusCode
    remaining: int
    hang: float = 0.0


class FakeMonitoringApi:
    def __init__(self, *, page_size: int = 100) -> None:
        self.page_size = page_size
        self.calls: list[Call] = []
        self._series: dict[str, list[FakeSeries]] = {}
        self._faults: list[_Fault] = []
        self._ids = itertools.count(5_000_000_000_001)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="fake-monitoring"))
        handler = grpc.unary_unary_rpc_method_handler(
            self._serve,
            request_deserializer=monitoring_v3.ListTimeSeriesRequest.deserialize,
            response_serializer=monitoring_v3.ListTimeSeriesResponse.serialize,
        )
        service = grpc.method_handlers_generic_handler(
            "google.monitoring.v3.MetricService", {"ListTimeSeries": handler}
        )
        self._server.add_generic_rpc_handlers((service,))
        self.url = f"http://127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop(grace=None).wait(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- seeding and controls --------------------------------------------------------------------------------
    def add_project(self, project: str) -> None:
        with self._lock:
            self._series.setdefault(project, [])

    def add_series(self, project: str, zone: str, name: str, metric_type: str, points: Sequence[tuple[float, float]],
                   *, kind: str = "GAUGE", labels: dict[str, str] | None = None,
                   group: str | None = None) -> FakeSeries:  # fmt: skip
        """One series of instance `name`. Compute Engine's own metrics carry the instance_name label, as there."""
        if kind not in ("GAUGE", "DELTA"):
            raise ValueError("the fake keeps GAUGE and DELTA series")
        extra = {"instance_name": name} if metric_type.startswith("compute.googleapis.com/instance/") else {}
        with self._lock:
            series = FakeSeries(project, zone, name, metric_type, list(points), kind, extra | (labels or {}), group,
                                str(next(self._ids)))  # fmt: skip
            self._series.setdefault(project, []).append(series)
        return series

    def fail(self, code: str, *, times: int = 1) -> None:
        """Answer the next `times` requests with gRPC status `code` ("RESOURCE_EXHAUSTED", "UNAVAILABLE" ...)."""
        with self._lock:
            self._faults.append(_Fault(grpc.StatusCode[code], times))

    def hang(self, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            self._faults.append(_Fault(grpc.StatusCode.OK, times, seconds))

    # -- answering -------------------------------------------------------------------------------------------
    def _serve(self, request: Any, context: grpc.ServicerContext) -> Any:
        with self._lock:
            fault = next((f for f in self._faults if f.remaining > 0), None)
            if fault is not None:
                fault.remaining -= 1
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        elif fault is not None:
            context.abort(fault.code, _MESSAGES.get(fault.code, "The service is currently unavailable."))
        try:
            with self._lock:
                return self.answer(request)
        except Refused as exc:
            context.abort(exc.code, exc.message)

    def answer(self, request: Any) -> Any:
        """The ListTimeSeriesResponse to one ListTimeSeriesRequest (Refused for what the real API refuses)."""
        agg = request.aggregation
        period = agg.alignment_period.total_seconds() if agg.alignment_period else 0
        aligner, reducer = agg.per_series_aligner.name, agg.cross_series_reducer.name
        project = request.name.removeprefix("projects/")
        self.calls.append(Call(project, request.filter, int(period), aligner, reducer, tuple(agg.group_by_fields),
                               request.page_token))  # fmt: skip
        if project not in self._series:
            raise Refused(grpc.StatusCode.PERMISSION_DENIED, DENIED)
        test = _parse(request.filter)
        _validate(test, aligner, reducer, period, agg.group_by_fields)
        start, end = request.interval.start_time.timestamp(), request.interval.end_time.timestamp()
        chosen = [s for s in self._series[project] if test(s)]
        if aligner == "ALIGN_RATE" and any(s.kind == "GAUGE" for s in chosen):
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "The aligner ALIGN_RATE is not valid for a GAUGE metric.")
        found = _reduced(chosen, start, end, period, aligner, reducer, list(agg.group_by_fields))
        at = int(request.page_token or 0)
        size = request.page_size or self.page_size
        token = str(at + size) if at + size < len(found) else ""
        return monitoring_v3.ListTimeSeriesResponse(time_series=found[at : at + size], next_page_token=token)


_MESSAGES = {
    grpc.StatusCode.RESOURCE_EXHAUSTED: "Quota exceeded for quota metric 'Time series queries' and limit "
    "'Time series queries per minute' of service 'monitoring.googleapis.com'.",
    grpc.StatusCode.PERMISSION_DENIED: DENIED,
}


def _validate(test: Callable[[FakeSeries], bool], aligner: str, reducer: str, period: float,
              group_by: Sequence[str]) -> None:  # fmt: skip
    if not getattr(test, "metric_type", None):
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "The filter must specify a metric type: metric.type = ...")
    if aligner != "ALIGN_NONE" and period < 60:
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT,
                      f"Field aggregation.alignmentPeriod had an invalid value of \"{period:g}s\": "
                      "the alignment period must be at least 60 seconds.")  # fmt: skip
    if aligner not in ALIGNERS and aligner != "ALIGN_NONE":
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"The fake does not implement {aligner}.")
    if reducer != "REDUCE_NONE" and (reducer not in REDUCERS or aligner == "ALIGN_NONE"):
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT, f"{reducer} needs an aligner the fake implements.")
    if group_by and reducer == "REDUCE_NONE":
        raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "group_by_fields needs a cross-series reducer.")


def _aligned(series: FakeSeries, start: float, end: float, period: float, aligner: str) -> dict[float, float]:
    if aligner == "ALIGN_NONE":
        return {at: value for at, value in series.points if start <= at <= end}
    out: dict[float, float] = {}
    window_end = end
    while window_end > start:
        values = [value for at, value in series.points if window_end - period < at <= window_end]
        if values:
            out[window_end] = float(ALIGNERS[aligner](values, period))
        window_end -= period
    return out


def _reduced(chosen: list[FakeSeries], start: float, end: float, period: float, aligner: str, reducer: str,
             group_by: list[str]) -> list[Any]:  # fmt: skip
    groups: dict[tuple[str | None, ...], list[dict[float, float]]] = {}
    firsts: dict[tuple[str | None, ...], FakeSeries] = {}
    for series in chosen:
        key = tuple(series.value_of(f) for f in group_by) if reducer != "REDUCE_NONE" else (series.instance_id,)
        groups.setdefault(key, []).append(_aligned(series, start, end, period, aligner))
        firsts.setdefault(key, series)
    out = []
    for key, lines in groups.items():
        times = sorted({at for line in lines for at in line}, reverse=True)  # newest first, as the API sends
        combine = REDUCERS.get(reducer, _only)
        points = [(at, float(combine([line[at] for line in lines if at in line]))) for at in times]
        out.append(_time_series(firsts[key], points, group_by if reducer != "REDUCE_NONE" else None, aligner))
    return out


def _only(values: list[float]) -> float:
    return values[0]  # not reduced: one series, one value a time


def _time_series(series: FakeSeries, points: list[tuple[float, float]], group_by: list[str] | None,
                 aligner: str) -> Any:  # fmt: skip
    """The output series: every label of the series, or (reduced) only the grouped ones - metadata labels only
    then, as the real API sends them."""
    kind = "DELTA" if series.kind == "DELTA" and aligner == "ALIGN_NONE" else "GAUGE"
    out = monitoring_v3.TimeSeries(metric_kind=kind, value_type="DOUBLE")
    out.metric.type, out.resource.type = series.metric_type, "gce_instance"
    if group_by is None:
        out.metric.labels.update(series.labels)
        out.resource.labels.update(series.labels_of("resource.labels"))
    else:
        kept = {name: series.value_of(name) or "" for name in group_by}
        out.metric.labels.update(_under(kept, "metric.labels."))
        out.resource.labels.update({"project_id": series.project} | _under(kept, "resource.labels."))
        out.metadata.system_labels.update(_under(kept, "metadata.system_labels."))
    for at, value in points:
        stamp = datetime.fromtimestamp(at, UTC)
        out.points.append(monitoring_v3.Point(interval={"start_time": stamp, "end_time": stamp},
                                              value={"double_value": value}))  # fmt: skip
    return out


def _under(kept: dict[str, str], prefix: str) -> dict[str, str]:
    return {name.removeprefix(prefix).strip('"'): value for name, value in kept.items() if name.startswith(prefix)}


# -- the filter language (the part the fake understands) ---------------------------------------------------------
def _parse(text: str) -> Callable[[FakeSeries], bool]:
    """A test of one series; it carries `metric_type` when the filter's top level selects one."""
    tokens = _tokens(text)
    test, at = _expression(tokens, 0)
    if at != len(tokens):
        raise _bad(text, f"unexpected {tokens[at][1]!r}")
    return test  # type: ignore[no-any-return]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, at = [], 0
    while text[at:].strip():
        found = _TOKEN.match(text, at)
        if found is None or found.lastgroup is None:
            raise _bad(text, f"cannot read {text[at : at + 20].strip()!r}")
        out.append((found.lastgroup, found.group(found.lastgroup)))
        at = found.end()
    return out


def _expression(tokens: list[tuple[str, str]], at: int) -> tuple[Any, int]:
    parts, joins = [], set()
    while True:
        part, at = _term(tokens, at)
        parts.append(part)
        if at < len(tokens) and tokens[at] in (("w", "AND"), ("w", "OR")):
            joins.add(tokens[at][1])
            at += 1
            continue
        break
    if len(joins) > 1:
        raise _bad(" ".join(t for _, t in tokens), "AND and OR mixed without parentheses")
    if "OR" in joins:
        return (lambda s: any(p(s) for p in parts)), at
    test: Any = lambda s: all(p(s) for p in parts)  # noqa: E731 - it carries metric_type
    test.metric_type = next((p.metric_type for p in parts if getattr(p, "metric_type", None)), None)
    return test, at


def _term(tokens: list[tuple[str, str]], at: int) -> tuple[Any, int]:
    text = " ".join(t for _, t in tokens)
    if at < len(tokens) and tokens[at] == ("p", "("):
        inner, at = _expression(tokens, at + 1)
        if at >= len(tokens) or tokens[at] != ("p", ")"):
            raise _bad(text, "a parenthesis is not closed")
        return inner, at + 1
    if at + 3 > len(tokens) or [k for k, _ in tokens[at : at + 3]] != ["w", "op", "s"]:
        raise _bad(text, 'expected field = "value"')
    name, op, quoted = (t for _, t in tokens[at : at + 3])
    if _FIELD.fullmatch(name) is None:
        raise _bad(text, f"unknown field {name}")
    value = re.sub(r"\\(.)", r"\1", quoted[1:-1])
    test: Any = (lambda s: s.value_of(name) == value) if op == "=" else (lambda s: s.value_of(name) != value)
    test.metric_type = value if name == "metric.type" and op == "=" else None
    return test, at + 3


def _bad(text: str, why: str) -> Refused:
    return Refused(grpc.StatusCode.INVALID_ARGUMENT, f'Field filter had an invalid value of "{text[:200]}": {why}.')
