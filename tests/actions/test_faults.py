from __future__ import annotations

import threading

import pytest
import redis

from actions.simulated import SimulatedCloud
from core.errors import ProviderError, ProviderTimeout, TransientProviderError
from core.models import ActionName
from tests.actions.conftest import SIZE
from tests.actions.helpers import request_for


def noop(_line: str) -> None:
    pass


def test_fail_is_permanent_and_changes_nothing(cloud: SimulatedCloud) -> None:
    request = request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=20)
    cloud.inject("fail")
    with pytest.raises(ProviderError, match=r"^AWS rejected the request for web-prod$") as info:
        cloud.execute(request, noop)
    assert not info.value.transient
    assert cloud.get("web-prod").count == 12
    assert cloud.execute(request, noop).summary == "web-prod is at 20 instances"  # used up after one time


def test_transient_faults_count_down_then_the_retry_succeeds(cloud: SimulatedCloud) -> None:
    request = request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=14)
    cloud.inject("transient", times=2)
    for _ in range(2):
        with pytest.raises(TransientProviderError) as info:
            cloud.execute(request, noop)
        assert info.value.transient
    assert cloud.execute(request, noop).summary == "web-prod is at 14 instances"


def test_a_fault_for_one_action_leaves_others_alone(cloud: SimulatedCloud) -> None:
    cloud.inject("fail", action=ActionName.RESTART)
    assert cloud.execute(request_for(cloud.get("db-staging"), ActionName.STOP), noop).summary == "db-staging is stopped"
    with pytest.raises(ProviderError):
        cloud.execute(request_for(cloud.get("db-prod"), ActionName.RESTART), noop)


def test_faults_injected_by_one_process_hit_another(redis_conn: redis.Redis) -> None:
    tests_side = SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)
    worker_side = SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)
    tests_side.inject("fail", times=3)
    tests_side.clear_faults()
    worker_side.execute(request_for(worker_side.get("db-prod"), ActionName.STOP), noop)  # cleared: no fault
    tests_side.inject("transient")
    with pytest.raises(TransientProviderError):
        worker_side.execute(request_for(worker_side.get("db-prod"), ActionName.START), noop)


def test_hang_blocks_until_faults_are_cleared(cloud: SimulatedCloud) -> None:
    cloud.inject("hang", action=ActionName.SCALE)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            cloud.execute(request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=20), noop)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        worker.join(timeout=0.5)
        assert worker.is_alive(), "execute returned instead of hanging"
    finally:
        cloud.clear_faults()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], ProviderTimeout)
    assert cloud.get("web-prod").count == 12


def test_reset_drops_changes_and_faults(cloud: SimulatedCloud) -> None:
    cloud.execute(request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=20), noop)
    cloud.inject("fail", times=5)
    cloud.reset()
    assert cloud.get("web-prod").count == 12
    assert cloud.execute(request_for(cloud.get("db-prod"), ActionName.STOP), noop).summary == "db-prod is stopped"
