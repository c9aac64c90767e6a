"""A simulated provider on the test Redis, small and fast: 2,000 resources, no delay between steps."""

from __future__ import annotations

import pytest
import redis

from actions.simulated import SimulatedCloud

SIZE = 2000


@pytest.fixture
def cloud(redis_conn: redis.Redis) -> SimulatedCloud:
    return SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)
