"""Which `DnsSwitch` moves each cloud's names, from the settings: the real clouds' switches when any account is
configured, else the simulated world's (one switch for every target, on the same Redis world as `build_provider`'s
SimulatedCloud and `build_rollouts`' SimulatedRollouts)."""

from __future__ import annotations

import redis

from actions.dns.model import DnsSwitch
from actions.simulated.dns import SimulatedDns
from core.models import Cloud
from core.settings import Settings


def build_dns(settings: Settings, connection: redis.Redis) -> dict[Cloud | None, DnsSwitch]:
    """`None` is the simulated world's switch, there only when no real cloud is configured; it then serves the
    three clouds' keys too, as the simulated rollouts do, so a runbook written for the real clouds runs in the demo
    world. With real clouds, a cloud left out has no switch: a target in it is refused by name."""
    switches: dict[Cloud | None, DnsSwitch] = {}
    if not settings.real_clouds:
        simulated = SimulatedDns(connection, seed=settings.sim_seed, size=settings.sim_resources)
        return switches | dict.fromkeys([None, *Cloud], simulated)
    from actions.resilience import RateLimiter

    throttle = RateLimiter(settings.cloud_requests_per_second)
    timeout = settings.cloud_timeout_seconds
    # Each SDK is imported only when its cloud is configured.
    if settings.aws_accounts:
        from actions.aws.dns import AwsDns

        switches[Cloud.AWS] = AwsDns(settings.aws_accounts, throttle=throttle, timeout=timeout)
    if settings.azure_subscriptions:
        from actions.azure.dns import AzureDns

        switches[Cloud.AZURE] = AzureDns(
            settings.azure_subscriptions, arm_url=settings.azure_arm_url, throttle=throttle, timeout=timeout
        )
    if settings.gcp_projects:
        from actions.gcp.dns import GcpDns

        switches[Cloud.GCP] = GcpDns(settings.gcp_projects, dns_url=settings.gcp_dns_url, throttle=throttle,
                                     timeout=timeout)  # fmt: skip
    return switches
