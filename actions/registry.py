"""Which cloud provider a process talks to, from the settings."""

from __future__ import annotations

import redis

from actions.provider import CloudProvider
from actions.simulated import SimulatedCloud
from core.settings import Settings


def build_provider(settings: Settings, connection: redis.Redis) -> CloudProvider:
    """The simulated multi-cloud provider (real AWS, Azure and Google Cloud providers come later)."""
    return SimulatedCloud(
        connection,
        seed=settings.sim_seed,
        size=settings.sim_resources,
        step_seconds=settings.sim_step_seconds,
    )
