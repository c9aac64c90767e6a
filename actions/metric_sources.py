"""Which metric sources a process reads, in the order a resource tries them: the team's Prometheus first (when
configured), then each configured cloud's own monitoring (when `cloud_metrics`), and the simulated world's own
series when no real cloud is configured. Each source's SDK is imported only when its source is built.

It lives beside `actions.registry`, not in `actions.metrics`: the cloud sources (`actions.aws.metrics` ...) import
`actions.metrics`, so building them from inside it would make an import cycle."""

from __future__ import annotations

from actions.backend import Throttle
from actions.metrics.mapping import MetricsMapping, load_mapping
from actions.metrics.model import MetricSource
from core.errors import ConfigError
from core.settings import Settings


def build_sources(settings: Settings, *, throttle: Throttle | None = None) -> list[MetricSource]:
    """The sources, first asked first. `throttle`: the rate limiter the cloud backends use, to share their per
    endpoint budget (default: a new one at `cloud_requests_per_second`). A bad mapping file raises ConfigError
    with FILE:LINE."""
    mapping = load_mapping(settings.metrics_mapping)
    sources: list[MetricSource] = []
    if settings.prometheus_url is not None:
        from actions.metrics.prometheus import PrometheusSource

        sources.append(PrometheusSource(str(settings.prometheus_url), mapping.prometheus))
    if settings.cloud_metrics and settings.real_clouds:
        sources.extend(_cloud_sources(settings, mapping, throttle))
    if not settings.real_clouds:
        from actions.simulated.metrics import SimulatedMetrics

        sources.append(SimulatedMetrics(settings.sim_seed))
    return sources


def check(settings: Settings) -> list[str]:
    """Problems with the metrics mapping override, for check-config ("FILE:LINE: what"); empty when it loads."""
    try:
        load_mapping(settings.metrics_mapping)
    except ConfigError as exc:
        return exc.problems
    return []


def _cloud_sources(settings: Settings, mapping: MetricsMapping, throttle: Throttle | None) -> list[MetricSource]:
    if throttle is None:
        from actions.resilience import RateLimiter

        throttle = RateLimiter(settings.cloud_requests_per_second)
    timeout = settings.cloud_timeout_seconds
    sources: list[MetricSource] = []
    if settings.aws_accounts:
        from actions.aws.metrics import CloudWatchSource

        sources.append(CloudWatchSource(settings.aws_accounts, mapping.cloudwatch, throttle=throttle, timeout=timeout))
    if settings.azure_subscriptions:
        from actions.azure.metrics import AzureMonitorSource

        arm_url = str(settings.azure_arm_url) if settings.azure_arm_url is not None else None
        sources.append(
            AzureMonitorSource(
                settings.azure_subscriptions, mapping.azure, arm_url=arm_url, throttle=throttle, timeout=timeout
            )
        )
    if settings.gcp_projects:
        from actions.gcp.metrics import CloudMonitoringSource

        url = str(settings.gcp_monitoring_url) if settings.gcp_monitoring_url is not None else None
        sources.append(
            CloudMonitoringSource(
                settings.gcp_projects, mapping.gcp, monitoring_url=url, throttle=throttle, timeout=timeout
            )
        )
    return sources
