"""Which cost sources the workers read: the simulated world's history when no real cloud is configured; else AWS
Cost Explorer (`cost_explorer`, for the AWS accounts), Azure Cost Management (`azure_cost_management`, for the
subscriptions) and the Google Cloud billing export in BigQuery (`gcp_billing_table`). Each source's SDK is imported
only when its source is built.

It lives beside `actions.registry` and `actions.metric_sources`, not in `actions.costs`: the cloud sources import
`actions.costs`, so building them from inside it would make an import cycle."""

from __future__ import annotations

from actions.backend import Throttle
from actions.costs.model import CostSource
from actions.provider import CloudProvider
from core.settings import Settings


def build_cost_sources(
    settings: Settings, provider: CloudProvider, *, throttle: Throttle | None = None
) -> list[CostSource]:
    """The configured sources. `provider`: the process's cloud provider (unused by the real clouds' sources, which
    reach their billing APIs themselves). `throttle`: the rate limiter to share (default: a new one at
    `cloud_requests_per_second`)."""
    if not settings.real_clouds:
        return [_simulated(settings)]
    if throttle is None:
        from actions.resilience import RateLimiter

        throttle = RateLimiter(settings.cloud_requests_per_second)
    timeout = settings.cloud_timeout_seconds
    sources: list[CostSource] = []
    if settings.cost_explorer and settings.aws_accounts:
        from actions.aws.cost_history import CostExplorerSource

        sources.append(CostExplorerSource(settings.aws_accounts, throttle=throttle, timeout=timeout))
    if settings.azure_cost_management and settings.azure_subscriptions:
        from actions.azure.cost_history import AzureCostSource

        arm_url = str(settings.azure_arm_url) if settings.azure_arm_url is not None else None
        sources.append(
            AzureCostSource(settings.azure_subscriptions, arm_url=arm_url, throttle=throttle, timeout=timeout)
        )
    if settings.gcp_billing_table:
        from actions.gcp.cost_history import BillingExportSource

        url = str(settings.bigquery_url) if settings.bigquery_url is not None else None
        max_bytes = int(settings.gcp_billing_max_gb * 1024**3)
        sources.append(BillingExportSource(settings.gcp_billing_table, max_bytes=max_bytes, bigquery_url=url,
                                           credentials=None, timeout=timeout))  # fmt: skip
    return sources


def _simulated(settings: Settings) -> CostSource:
    """The seeded world's history: the base inventory, not the live one, so an action taken in the demo does not
    rewrite the past (and the same seed gives the same history in every process)."""
    from actions.simulated.costs import SimulatedCosts
    from actions.simulated.world import base_view

    resources = base_view(settings.sim_seed, settings.sim_resources).resources
    return SimulatedCosts(lambda: resources, settings.sim_seed)
