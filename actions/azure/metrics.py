"""`AzureMonitorSource`: metrics of Azure VMs and scale sets from Azure Monitor (Microsoft.Insights/metrics).

One `metrics.list` request per resource, through a `MonitorManagementClient` per subscription built like the
compute clients (`ClientFactory.options`: same endpoint override, credential, throttle, timeouts, no SDK retries);
the requests of one question run side by side on a few threads. Azure answers only some intervals (PT1M, PT5M,
PT15M, PT30M, PT1H, PT6H, PT12H, P1D): the step is rounded up to one of them, and the timespan aligned to it.

A scale set answers with one series for the whole set: Azure Monitor keeps its members apart only under the
`VMName` dimension (a `$filter` this source does not ask for), so a member is not covered and the set is asked for
itself. Imported lazily by whoever builds the sources: it loads the Azure SDK."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any, NamedTuple

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.monitor import MonitorManagementClient

from actions.azure.clients import ClientFactory
from actions.azure.errors import arm_message, translate
from actions.azure.ids import AzureRef, parse_id
from actions.backend import NoThrottle, Throttle
from actions.cloud_errors import translated_by
from actions.metrics.mapping import AzureMetric
from actions.metrics.model import METRICS, Metric, MetricsUnavailable, Series, SeriesRequest
from actions.provider import Resource
from actions.retry_after import retry_after_seconds
from core.cloud_config import AzureSubscription
from core.errors import ResourceNotFound
from core.models import Cloud

NAME = "Azure Monitor"
INTERVALS = (("PT1M", 60), ("PT5M", 300), ("PT15M", 900), ("PT30M", 1800), ("PT1H", 3600), ("PT6H", 21600),
             ("PT12H", 43200), ("P1D", 86400))  # fmt: skip
PARALLEL = 8  # requests of one question in flight at once (ARM allows 12,000 reads an hour per subscription)
_ARM_TYPES = {"vm": "virtualMachines", "vmss": "virtualMachineScaleSets"}


class _Query(NamedTuple):
    timespan: str  # "start/end", ISO 8601 UTC
    interval: str  # "PT5M"
    seconds: int  # the interval's length
    entry: AzureMetric


def interval_for(step: int) -> tuple[str, int]:
    """The shortest interval Azure accepts that is at least `step` seconds (P1D for anything longer)."""
    return next((item for item in INTERVALS if item[1] >= step), INTERVALS[-1])


def resource_uri(ref: AzureRef) -> str:
    return (f"subscriptions/{ref.subscription}/resourceGroups/{ref.resource_group}/providers/Microsoft.Compute/"
            f"{_ARM_TYPES[ref.kind]}/{ref.name}")  # fmt: skip


def _stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AzureMonitorSource:
    name = NAME

    def __init__(
        self,
        subscriptions: list[AzureSubscription],
        mapping: dict[Metric, AzureMetric],
        *,
        arm_url: str | None,
        throttle: Throttle = NoThrottle(),  # noqa: B008 - stateless default
        timeout: float,
        credential: TokenCredential | None = None,
        connection_verify: str | bool = True,
    ) -> None:
        """`timeout`: how long one request may take (connect and read); `connection_verify`: a CA file for an
        `arm_url` with its own certificate, as for the compute clients."""
        self._subscriptions = {s.id: s for s in subscriptions}
        self._mapping, self._timeout = mapping, timeout
        self._factory = ClientFactory(arm_url=arm_url, credential=credential, timeout=timeout, throttle=throttle,
                                      connection_verify=connection_verify)  # fmt: skip
        self._clients: dict[str, MonitorManagementClient] = {}
        self._lock = threading.Lock()

    def covers(self, resource: Resource) -> bool:
        if resource.cloud != Cloud.AZURE:
            return False
        try:
            ref = parse_id(resource.id)
        except ResourceNotFound:
            return False
        return ref.instance_id is None and ref.subscription in self._subscriptions

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        entry = self._mapping.get(request.metric)
        if entry is None:
            label = METRICS[request.metric].label
            raise MetricsUnavailable(f"Azure Monitor has no metric for {label} (metrics mapping)")
        interval, seconds = interval_for(request.step)
        start = math.floor(request.start / seconds) * seconds
        end = max(math.ceil(request.end / seconds) * seconds, start + seconds)
        query = _Query(f"{_stamp(start)}/{_stamp(end)}", interval, seconds, entry)
        asked = [(resource, parse_id(resource.id)) for resource in request.resources if self.covers(resource)]
        if not asked:
            return []
        pool = ThreadPoolExecutor(max_workers=min(PARALLEL, len(asked)), thread_name_prefix="azure-metrics")
        try:
            futures = [pool.submit(self._one, resource, ref, query) for resource, ref in asked]
            late = wait(futures, timeout=timeout).not_done
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # a late request ends at its own read timeout
        if late:
            raise MetricsUnavailable(f"Azure Monitor did not answer in {timeout:g} s")
        return [series for future in futures if (series := future.result()) is not None]

    def _one(self, resource: Resource, ref: AzureRef, query: _Query) -> Series | None:
        subscription = self._subscriptions[ref.subscription]
        label = subscription.name or subscription.id
        with translated_by(lambda exc: unavailable(exc, label, resource.name, self._timeout)):
            try:
                answer = self._client(ref).metrics.list(
                    resource_uri(ref),
                    timespan=query.timespan,
                    interval=query.interval,
                    metricnames=query.entry.name,
                    aggregation=query.entry.aggregation,
                )
            except ResourceNotFoundError:
                return None  # gone since the inventory was read: no data, not a failure of the whole question
        points = _points(answer.value or (), query.entry, query.seconds)
        return Series(resource_id=resource.id, resource_name=resource.name, points=points) if points else None

    def _client(self, ref: AzureRef) -> MonitorManagementClient:
        with self._lock:
            client = self._clients.get(ref.subscription)
            if client is None:
                options = self._factory.options(ref.scope_key)
                client = MonitorManagementClient(self._factory.token_credential(), ref.subscription, **options)
                self._clients[ref.subscription] = client
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def _points(metrics: Iterable[Any], entry: AzureMetric, seconds: int) -> tuple[tuple[float, float], ...]:
    """The asked aggregation of each interval that has one (Azure lists every interval, the empty ones with only
    their time), in the metric's unit: scaled, per second of the interval, or 100 - value."""
    field = entry.aggregation.lower()
    divisor = seconds if entry.per_second else 1
    found: dict[float, float] = {}
    for metric in metrics:
        for series in metric.timeseries or ():
            for point in series.data or ():
                value = getattr(point, field, None)
                if value is None or not math.isfinite(value):
                    continue
                value = float(value) * entry.scale / divisor
                found[point.time_stamp.timestamp()] = 100.0 - value if entry.complement else value
    return tuple(sorted(found.items()))


def unavailable(exc: Exception, subscription: str, what: str, timeout: float) -> MetricsUnavailable:
    """One line for a failed metrics request: too slow, throttled (and for how long), refused (Azure's reason)."""
    if isinstance(exc, ServiceResponseError):
        return MetricsUnavailable(f"Azure Monitor did not answer in {timeout:g} s (subscription {subscription})")
    if isinstance(exc, ServiceRequestError):
        return MetricsUnavailable(f"Azure Monitor is unreachable (subscription {subscription})")
    if isinstance(exc, HttpResponseError) and not isinstance(exc, ClientAuthenticationError):
        status = exc.status_code or 0
        if status == 429:
            headers = getattr(exc.response, "headers", None) or {}
            wait_s = retry_after_seconds(headers.get("Retry-After"))
            later = f" (retry in {math.ceil(wait_s)} s)" if wait_s else ""
            return MetricsUnavailable(f"Azure Monitor is throttling{later}")
        if 400 <= status < 500 and status not in (401, 403, 404):
            return MetricsUnavailable(f"Azure Monitor refused: {arm_message(exc)}")
    return MetricsUnavailable(str(translate(exc, subscription, what)))  # credentials, not found, 5xx: as ever
