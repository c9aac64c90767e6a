"""Google Cloud Monitoring as a metrics source: the time series of Compute Engine instances and zonal MIGs.

One `timeSeries.list` per (project, zone) of the resources asked about (more when many are asked: at most
`TERMS_PER_CALL` resources a call, so the filter stays a short request), every page followed. Resources are
selected by name, because our ids carry names, not Compute Engine's numeric instance ids:
`metadata.system_labels.name` for an instance, `metadata.system_labels.instance_group` for a MIG (every member of
the group, named one by one) - both system metadata labels Cloud Monitoring keeps for `gce_instance`. The answer
is reduced by (zone, name): the API returns metadata labels only when the reduction names them, agent metrics
(memory) carry no instance name of their own, and a network metric has several series per instance
(`loadBalanced` true/false) that add up. Rates and sums add up (REDUCE_SUM); other aligners average
(REDUCE_MEAN; one series per instance for CPU and memory, so the value is the instance's own).

google-cloud-monitoring has only the gRPC transport (no REST): an `http://` `monitoring_url` is a plain-text gRPC
endpoint (a loopback fake, or a local proxy that adds credentials), any other URL a TLS endpoint whose host:port
the client dials with our credentials. The SDK is imported here only, on the first fetch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from google.api_core import exceptions as api
from google.auth import exceptions as auth
from google.auth.credentials import Credentials

from actions.backend import Throttle
from actions.cloud_errors import translated_by
from actions.gcp.errors import AUTH_HINT, short_message
from actions.gcp.ids import GcpRef, parse_id
from actions.metrics.mapping import GcpMetric
from actions.metrics.model import Metric, MetricsUnavailable, Series, SeriesRequest
from actions.provider import Resource
from core.cloud_config import GcpProject
from core.errors import ResourceNotFound
from core.models import Cloud

if TYPE_CHECKING:
    from google.cloud.monitoring_v3 import ListTimeSeriesRequest, MetricServiceClient

NAME = "Cloud Monitoring"
MIN_PERIOD = 60  # the API refuses an alignment period under a minute
TERMS_PER_CALL = 40  # resources per filter: about 2 KB of filter
_ADDING = frozenset({"ALIGN_RATE", "ALIGN_DELTA", "ALIGN_SUM", "ALIGN_COUNT"})
_BY = ("resource.labels.zone", "metadata.system_labels.name")


class CloudMonitoringSource:
    name = NAME

    def __init__(self, projects: list[GcpProject], mapping: dict[Metric, GcpMetric], *, monitoring_url: str | None,
                 throttle: Throttle, timeout: float, credentials: Credentials | None = None) -> None:  # fmt: skip
        self._projects = {p.id: p for p in projects}
        self._mapping = mapping
        self._url, self._credentials = monitoring_url, credentials
        self._throttle, self._timeout = throttle, timeout
        self._lock = threading.Lock()
        self._client: MetricServiceClient | None = None

    def covers(self, resource: Resource) -> bool:
        if resource.cloud != Cloud.GCP or resource.kind not in ("instance", "group"):
            return False
        try:
            ref = parse_id(resource.id)
        except ResourceNotFound:
            return False
        project = self._projects.get(ref.project)
        return project is not None and (not project.zones or ref.zone in project.zones)

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        spec = self._mapping.get(request.metric)
        if spec is None:
            raise MetricsUnavailable(f"{NAME} has no metric for {request.metric.value} (metrics mapping)")
        period = max(request.step, MIN_PERIOD)
        end = int(request.end) // period * period  # every member's points at the same, step-aligned times
        deadline = time.monotonic() + timeout
        found: dict[str, Series] = {}
        for project, zone, refs in _batches(request.resources):
            asked = _request(project, _filter(spec, zone, refs), spec, request.start, end, period)
            for series in self._pages(asked, deadline, timeout):
                series = _series(project, series, spec.scale, request.start)
                if series is not None and series.points:
                    found.setdefault(series.resource_id, series)
        return list(found.values())

    def _pages(self, request: ListTimeSeriesRequest, deadline: float, budget: float) -> Iterator[Any]:
        """Every TimeSeries of one request, page by page, each page a throttled call within what is left of
        `deadline` (`budget`: the whole fetch's seconds, for the message)."""
        endpoint = f"gcp:{request.name.removeprefix('projects/')}:monitoring"
        while True:
            left = min(self._timeout, deadline - time.monotonic())
            if left <= 0:
                raise MetricsUnavailable(f"{NAME} did not answer in {budget:g} s")
            self._throttle.wait(endpoint)
            with translated_by(lambda exc: _line(exc, budget)):
                pager = self.client.list_time_series(request=request, retry=None, timeout=left)
                page = next(iter(pager.pages))
            yield from page.time_series
            if not page.next_page_token:
                return
            request.page_token = page.next_page_token

    @property
    def client(self) -> MetricServiceClient:
        """Built once, on first use (application default credentials are looked up then, inside the error
        mapping, so missing credentials read as refused credentials)."""
        with self._lock:
            if self._client is None:
                self._client = _build_client(self._url, self._credentials)
            return self._client


def _build_client(url: str | None, credentials: Credentials | None) -> MetricServiceClient:
    from google.cloud import monitoring_v3

    parts = urlsplit(url) if url else None
    if parts is not None and parts.scheme == "http":
        import grpc  # type: ignore[import-untyped]
        from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport

        # plain text: no token is ever sent over it (the channel carries no call credentials)
        channel = grpc.insecure_channel(parts.netloc)
        return monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    if credentials is None:
        import google.auth

        credentials, _ = google.auth.default()
    options = {"api_endpoint": f"{parts.hostname}:{parts.port or 443}"} if parts is not None else None
    return monitoring_v3.MetricServiceClient(credentials=credentials, client_options=options)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def _request(project: str, filter_: str, spec: GcpMetric, start: float, end: int, period: int) -> ListTimeSeriesRequest:
    from google.cloud import monitoring_v3

    return monitoring_v3.ListTimeSeriesRequest(
        name=f"projects/{project}",
        filter=filter_,
        interval=monitoring_v3.TimeInterval(start_time=_at(start), end_time=_at(end)),
        aggregation=monitoring_v3.Aggregation(
            alignment_period=timedelta(seconds=period),
            per_series_aligner=spec.aligner,
            cross_series_reducer="REDUCE_SUM" if spec.aligner in _ADDING else "REDUCE_MEAN",
            group_by_fields=list(_BY),
        ),
        view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
    )


def _batches(resources: Sequence[Resource]) -> Iterator[tuple[str, str, list[GcpRef]]]:
    """(project, zone, refs) with at most TERMS_PER_CALL refs each, in the order first asked."""
    by_place: dict[tuple[str, str], list[GcpRef]] = {}
    for resource in resources:
        ref = parse_id(resource.id)
        by_place.setdefault((ref.project, ref.zone), []).append(ref)
    for (project, zone), refs in by_place.items():
        for at in range(0, len(refs), TERMS_PER_CALL):
            yield project, zone, refs[at : at + TERMS_PER_CALL]


def _filter(spec: GcpMetric, zone: str, refs: Sequence[GcpRef]) -> str:
    label = {"instance": "name", "mig": "instance_group"}
    terms = " OR ".join(f'metadata.system_labels.{label[r.kind]} = "{_quoted(r.name)}"' for r in refs)
    text = f'metric.type = "{spec.type}" AND resource.type = "gce_instance" AND resource.labels.zone = "{zone}"'
    text += f" AND ({terms})"
    return text + (f" AND ({spec.filter})" if spec.filter else "")


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _series(project: str, found: Any, scale: float, start: float) -> Series | None:
    """One reduced TimeSeries as ours: its instance from the zone and name it was grouped by, its points oldest
    first (the API sends the newest first), scaled, from `start` on."""
    zone = found.resource.labels.get("zone", "")
    labels = found.metadata.system_labels  # a protobuf Struct: no .get()
    name = labels["name"] if "name" in labels else None  # noqa: SIM401
    if not zone or not isinstance(name, str):
        return None
    points = []
    for point in reversed(found.points):
        at = point.interval.end_time.timestamp()
        value = point.value.double_value if "double_value" in point.value else float(point.value.int64_value)
        if at >= start:
            points.append((at, value * scale))
    ref = GcpRef(project, zone, "instance", name)
    return Series(resource_id=ref.id, resource_name=name, points=tuple(points))


def _line(exc: Exception, budget: float) -> MetricsUnavailable:
    """One short line for an SDK error (the SDK error stays the cause)."""
    if isinstance(exc, auth.DefaultCredentialsError | auth.RefreshError | api.Unauthenticated):
        return MetricsUnavailable(f"{NAME} refused the credentials - {AUTH_HINT}")
    if isinstance(exc, api.TooManyRequests):  # ResourceExhausted: quota or rate
        return MetricsUnavailable(f"{NAME} is throttling")
    if isinstance(exc, api.DeadlineExceeded | auth.TransportError):
        return MetricsUnavailable(f"{NAME} did not answer in {budget:g} s")
    if isinstance(exc, api.ServiceUnavailable | api.InternalServerError):
        return MetricsUnavailable(f"{NAME} is unavailable ({exc.code})")
    if isinstance(exc, api.GoogleAPICallError):
        return MetricsUnavailable(f"{NAME} refused: {short_message(exc)}")
    return MetricsUnavailable(f"{NAME} failed: {type(exc).__name__}")
