"""Which `RolloutBackend` rolls each cloud's groups, from the settings: the real clouds when any account is
configured, else the simulated world (one backend for all three clouds, on the same Redis world as
`build_provider`'s SimulatedCloud)."""

from __future__ import annotations

import redis

from actions.deploy.model import Manifest, RolloutBackend
from actions.simulated.rollout import SimulatedRollouts
from core.models import Cloud
from core.settings import Settings


def unhealthy_versions(manifest: Manifest) -> frozenset[str]:
    """The versions the manifest marks `simulate_unhealthy` (the demo's broken release), by name."""
    return frozenset(
        name for service in manifest.services.values() for name, version in service.versions.items()
        if version.simulate_unhealthy
    )  # fmt: skip


def build_rollouts(settings: Settings, connection: redis.Redis, manifest: Manifest) -> dict[Cloud, RolloutBackend]:
    if not settings.real_clouds:
        simulated = SimulatedRollouts(
            connection,
            seed=settings.sim_seed,
            size=settings.sim_resources,
            step_seconds=settings.sim_step_seconds,
            unhealthy_versions=unhealthy_versions(manifest),
            manifest=manifest,
        )
        return dict.fromkeys(Cloud, simulated)
    from actions.resilience import RateLimiter

    throttle = RateLimiter(settings.cloud_requests_per_second)
    timeout, poll = settings.cloud_timeout_seconds, settings.cloud_poll_seconds
    backends: dict[Cloud, RolloutBackend] = {}
    # Each SDK is imported only when its cloud is configured. A cloud left out has no backend: a deploy to its
    # groups is refused by name ("No Azure account is configured for web-dr.").
    if settings.aws_accounts:
        from actions.aws.rollout import AwsRollouts

        backends[Cloud.AWS] = AwsRollouts(settings.aws_accounts, throttle=throttle, timeout=timeout, poll_seconds=poll)
    if settings.azure_subscriptions:
        from actions.azure.rollout import AzureRollouts

        backends[Cloud.AZURE] = AzureRollouts(
            settings.azure_subscriptions, arm_url=settings.azure_arm_url, throttle=throttle, timeout=timeout
        )
    if settings.gcp_projects:
        from actions.gcp.rollout import GcpRollouts

        backends[Cloud.GCP] = GcpRollouts(
            settings.gcp_projects, compute_url=settings.gcp_compute_url, throttle=throttle, timeout=timeout,
            poll_seconds=poll,
        )  # fmt: skip
    return backends
