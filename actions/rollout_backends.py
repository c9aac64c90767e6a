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
    backends: dict[Cloud, RolloutBackend] = {}
    # -- real clouds: the integrator adds one backend per configured cloud here, built like build_backends in
    # actions/registry.py (one shared Throttle, settings.cloud_timeout_seconds), each SDK imported only when used:
    #   settings.aws_accounts        -> actions.aws.rollout.AwsRollouts(accounts, throttle=, timeout=)
    #   settings.azure_subscriptions -> actions.azure.rollout.AzureRollouts(subscriptions, arm_url=, throttle=,
    #                                   timeout=)
    #   settings.gcp_projects        -> actions.gcp.rollout.GcpRollouts(projects, compute_url=, throttle=, timeout=)
    # A cloud left out here has no backend: a deploy to its groups is refused by name.
    return backends
