"""`CloudWatchSource`: metrics of AWS resources from CloudWatch GetMetricData.

One GetMetricData call per account and region carries up to 500 queries (one per resource); more resources take
several calls, and a long answer its NextToken pages (boto3's paginator). The query's period is the request's step
rounded up to whole minutes: CloudWatch refuses periods of 60 s and more that are not a multiple of 60 (and keeps
only 5-minute points after 15 days, hourly ones after 63: an older start rounds up further). Start and end are
aligned to the period, so the points' timestamps are multiples of it. A group's series is CloudWatch's own
aggregate by AutoScalingGroupName (EC2 publishes it with detailed monitoring); its members are asked as instances.

GetMetricData is billed per metric requested ($0.01 per 1,000): `METRICS_REQUESTED` counts each query of each
request made, pages included. Every request passes the throttle through the shared `AwsClients`. Imported lazily by
whoever builds the sources: it loads boto3."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore import exceptions as boto
from prometheus_client import Counter

from actions.aws.api import METRIC_QUERIES_PER_CALL
from actions.aws.clients import AwsClients
from actions.aws.errors import translate
from actions.backend import NoThrottle, Throttle
from actions.cloud_errors import translated_by
from actions.metrics.mapping import CloudWatchMetric
from actions.metrics.model import METRICS, Metric, MetricsUnavailable, Series, SeriesRequest
from actions.provider import Resource
from actions.retry_after import retry_after_seconds
from actions.waiting import SYSTEM_CLOCK, Clock
from core.cloud_config import AwsAccount
from core.models import Cloud

NAME = "CloudWatch"
METRICS_REQUESTED = Counter(
    "opsbot_cloudwatch_metrics_requested_total",
    "Metrics requested from CloudWatch GetMetricData, pages included (AWS bills $0.01 per 1,000)",
)
DAY = 86_400
# CloudWatch keeps coarser points as they age: a start older than this needs periods that are multiples of that
_RETENTION = ((63 * DAY, 3600), (15 * DAY, 300))
_THROTTLING = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})
_MESSAGE_LENGTH = 120


@dataclass(frozen=True)
class _Target:
    resource: Resource
    dimension: str  # the dimension's name ("InstanceId")
    value: str  # the dimension's value ("i-0abc", the group's name)


def period_for(step: int, start: float, now: float) -> int:
    """The step rounded up to a period CloudWatch answers for a range starting at `start`."""
    age = now - start
    unit = next((multiple for oldest, multiple in _RETENTION if age > oldest), 60)
    return max(unit, math.ceil(step / unit) * unit)


def dimension_value(resource: Resource) -> str:
    """The id CloudWatch knows the resource by: "aws:prod:us-east-1:i-0abc" -> "i-0abc", a group's id
    "...:asg/web-prod" -> "web-prod"; other kinds keep the id's own part (a load balancer's "app/web/50dc6c49")."""
    local = resource.id.split(":", 3)[3]
    return local.removeprefix("asg/") if resource.kind == "group" else local


class CloudWatchSource:
    name = NAME

    def __init__(
        self,
        accounts: list[AwsAccount],
        mapping: dict[Metric, CloudWatchMetric],
        *,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        timeout: float,
        clients: AwsClients | None = None,
        clock: Clock = SYSTEM_CLOCK,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """`timeout`: how long one request may take (the clients' connect and read timeout); `clients`: share the
        AWS backend's clients (their throttle then applies, not `throttle`)."""
        self._accounts = {account.name: account for account in accounts}
        self._mapping, self._timeout = mapping, timeout
        self._clients = clients or AwsClients(accounts, timeout=timeout, throttle=throttle)
        self._kinds = frozenset(kind for entry in mapping.values() for kind in entry.dimension)
        self._clock, self._wall_clock = clock, wall_clock

    def covers(self, resource: Resource) -> bool:
        if resource.cloud != Cloud.AWS or resource.kind not in self._kinds:
            return False
        parts = resource.id.split(":", 3)
        account = self._accounts.get(parts[1]) if len(parts) == 4 else None
        return account is not None and parts[2] in account.regions

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        """`timeout` is looked at before each request; one request waits at most the clients' own timeout."""
        entry = self._mapping.get(request.metric)
        if entry is None:
            raise MetricsUnavailable(f"CloudWatch has no metric for {METRICS[request.metric].label} (metrics mapping)")
        period = period_for(request.step, request.start, self._wall_clock())
        start = math.floor(request.start / period) * period
        end = max(math.ceil(request.end / period) * period, start + period)
        deadline = self._clock.now() + timeout
        window = {"StartTime": datetime.fromtimestamp(start, UTC), "EndTime": datetime.fromtimestamp(end, UTC)}
        covered = (resource for resource in request.resources if self.covers(resource))
        found: list[Series] = []
        for (account_name, region), targets in _by_scope(covered, entry).items():
            account = self._accounts[account_name]
            for first in range(0, len(targets), METRIC_QUERIES_PER_CALL):
                batch = targets[first : first + METRIC_QUERIES_PER_CALL]
                params = {"MetricDataQueries": _queries(batch, entry, period), "ScanBy": "TimestampAscending", **window}
                pages = self._pages(account, region, params, deadline, timeout)
                found.extend(_series(batch, pages, entry, period))
        return found

    def _pages(
        self, account: AwsAccount, region: str, params: dict[str, Any], deadline: float, timeout: float
    ) -> list[dict[str, Any]]:
        """Every page of one GetMetricData call; the whole read stops at `deadline`."""
        found: list[dict[str, Any]] = []
        with self._translated(account, region):
            client = self._clients.client(account, region, "cloudwatch")
            pages = iter(client.get_paginator("get_metric_data").paginate(**params))
        while True:
            if self._clock.now() > deadline:
                raise MetricsUnavailable(f"CloudWatch did not answer in {timeout:g} s")
            with self._translated(account, region):
                page = next(pages, None)
            if page is None:
                return found
            METRICS_REQUESTED.inc(len(params["MetricDataQueries"]))  # billed per metric of each request, pages too
            found.append(page)

    def _translated(self, account: AwsAccount, region: str) -> AbstractContextManager[None]:
        return translated_by(lambda exc: unavailable(exc, account, region, self._timeout))


def _by_scope(resources: Iterable[Resource], entry: CloudWatchMetric) -> dict[tuple[str, str], list[_Target]]:
    """The resources this metric has a dimension for, by (account, region); the others get no series."""
    scopes: dict[tuple[str, str], list[_Target]] = {}
    for resource in resources:
        parts = resource.id.split(":", 3)
        dimension = entry.dimension.get(resource.kind)
        if dimension is None:
            continue
        scopes.setdefault((parts[1], parts[2]), []).append(_Target(resource, dimension, dimension_value(resource)))
    return scopes


def _queries(batch: Sequence[_Target], entry: CloudWatchMetric, period: int) -> list[dict[str, Any]]:
    """One query per resource; its Id ("q<index in the batch>") brings the answer back to the resource."""
    return [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": entry.namespace,
                    "MetricName": entry.name,
                    "Dimensions": [{"Name": target.dimension, "Value": target.value}],
                },
                "Period": period,
                "Stat": entry.stat,
            },
        }
        for index, target in enumerate(batch)
    ]


def _series(
    batch: Sequence[_Target], pages: Iterable[dict[str, Any]], entry: CloudWatchMetric, period: int
) -> list[Series]:
    """A result's points in the metric's unit (scaled; a Sum per second over the period), one Series per resource
    with at least one point."""
    divisor = period if entry.per_second else 1
    points: dict[int, dict[float, float]] = {}
    for page in pages:
        for result in page.get("MetricDataResults", []):
            index = int(str(result["Id"])[1:])
            by_time = points.setdefault(index, {})
            for stamp, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                if value is not None and math.isfinite(value):
                    by_time[stamp.timestamp()] = float(value) * entry.scale / divisor
    return [
        Series(
            resource_id=batch[index].resource.id,
            resource_name=batch[index].resource.name,
            points=tuple(sorted(by_time.items())),
        )
        for index, by_time in sorted(points.items())
        if by_time
    ]


def unavailable(exc: Exception, account: AwsAccount, region: str, timeout: float) -> MetricsUnavailable:
    """One line for a failed GetMetricData: the read timed out, CloudWatch is throttling, or refused (and why)."""
    where = f"AWS {account.name} {region}"
    if isinstance(exc, boto.ReadTimeoutError | boto.ConnectTimeoutError):
        return MetricsUnavailable(f"CloudWatch did not answer in {timeout:g} s ({where})")
    if isinstance(exc, boto.ConnectionError | boto.HTTPClientError):
        return MetricsUnavailable(f"CloudWatch is unreachable ({where})")
    if not isinstance(exc, boto.ClientError):
        return MetricsUnavailable(str(translate(exc, account, region, "metrics", "GetMetricData")))
    error, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
    code, status = str(error.get("Code") or ""), int(meta.get("HTTPStatusCode") or 0)
    if code in _THROTTLING or status == 429:
        wait = retry_after_seconds((meta.get("HTTPHeaders") or {}).get("retry-after"))
        later = f" (retry in {math.ceil(wait)} s)" if wait else ""
        return MetricsUnavailable(f"CloudWatch is throttling requests for {where}{later}")
    if status >= 500:
        return MetricsUnavailable(f"CloudWatch failed for {where} ({code or status}); try again")
    message = str(error.get("Message") or "").strip().splitlines()
    detail = f" - {message[0][:_MESSAGE_LENGTH]}" if message else ""
    return MetricsUnavailable(f"CloudWatch refused: {code or status}{detail}")
