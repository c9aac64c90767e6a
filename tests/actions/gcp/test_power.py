"""Start, stop, restart: the zone operation is polled through our own client (the fake sees the GETs), then the
instance until it reports the target status; operation errors and timeouts read as one plain sentence."""

from __future__ import annotations

import pytest

from actions.gcp import GcpBackend
from actions.provider import Resource
from core.cloud_config import GcpProject
from core.errors import ProviderError, ProviderTimeout, TransientProviderError
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, ZONE_C, MakeBackend, RecordingThrottle
from tests.actions.helpers import StepClock

API_1 = f"gcp:{PROJECT}:{ZONE_B}:instance/api-1"


def _power(
    backend: GcpBackend, action: str, resource_id: str = API_1, timeout: float = 5.0
) -> tuple[Resource, list[str]]:
    lines: list[str] = []
    result = backend.set_power(backend.get(resource_id), action, lines.append, timeout)
    return result, lines


def test_start_polls_the_operation_then_the_instance(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.status_reads = 2
    fake.add_instance(PROJECT, ZONE_B, "api-1", status="TERMINATED")

    result, lines = _power(backend, "start")

    assert (result.state, result.name) == ("running", "api-1")
    assert lines == ["api-1: starting", "api-1: running"]
    assert fake.instance(PROJECT, ZONE_B, "api-1").status == "RUNNING"
    assert len(fake.seen("/instances/api-1/start", "POST")) == 1
    polls = fake.seen(f"/zones/{ZONE_B}/operations/operation-", "GET")
    assert len(polls) == 2  # RUNNING, then DONE: our own client reached the fake
    assert len({p.path for p in polls}) == 1


def test_stop_waits_for_terminated(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_instance(PROJECT, ZONE_B, "api-1")

    result, lines = _power(backend, "stop")

    assert result.state == "stopped"
    assert lines == ["api-1: stopping", "api-1: stopped"]
    assert fake.instance(PROJECT, ZONE_B, "api-1").status == "TERMINATED"


def test_restart_resets_a_running_instance(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.op_polls = 3
    fake.add_instance(PROJECT, ZONE_B, "api-1")

    result, lines = _power(backend, "restart")

    assert result.state == "running"
    assert lines == ["api-1: restarting", "api-1: running"]
    assert fake.seen("/instances/api-1/reset", "POST")
    assert len(fake.seen("/operations/", "GET")) == 4


def test_an_operation_error_is_reported_with_googles_message(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_instance(PROJECT, ZONE_B, "api-1", status="TERMINATED")
    fake.fail_next_operation(
        "ZONE_RESOURCE_POOL_EXHAUSTED",
        f"The zone 'projects/{PROJECT}/zones/{ZONE_B}' does not have enough resources available to fulfill "
        "the request.",
    )

    with pytest.raises(ProviderError) as caught:
        _power(backend, "start")

    assert not isinstance(caught.value, TransientProviderError)
    assert str(caught.value).startswith("GCP could not start api-1: The zone ")
    assert "does not have enough resources" in str(caught.value)
    assert fake.instance(PROJECT, ZONE_B, "api-1").status == "TERMINATED"


def test_a_timeout_names_the_state_it_stopped_in(fake: FakeComputeApi, make_backend: MakeBackend) -> None:
    fake.add_instance(PROJECT, ZONE_B, "api-1", status="TERMINATED")
    fake.stall(PROJECT, ZONE_B, "api-1")

    with pytest.raises(ProviderTimeout) as caught:
        _power(make_backend(clock=StepClock()), "start", timeout=0.3)

    assert str(caught.value) == "api-1 is still starting after 0.3 s; check show api-1"


def test_an_operation_that_never_finishes_times_out(fake: FakeComputeApi, make_backend: MakeBackend) -> None:
    fake.add_instance(PROJECT, ZONE_B, "api-1")
    fake.stall_operations = True
    clock = StepClock()

    with pytest.raises(ProviderTimeout) as caught:
        _power(make_backend(clock=clock, poll_seconds=0.05), "stop", timeout=0.2)

    assert clock.slept == [0.05] * 4
    assert str(caught.value) == "api-1: the stop was still in progress after 0.2 s; check show api-1"


def test_a_group_cannot_be_powered(fake: FakeComputeApi, backend: GcpBackend) -> None:
    fake.add_mig(PROJECT, ZONE_C, "api-prod", 2)

    with pytest.raises(ProviderError, match=r"^api-prod is an instance group: scale it instead\.$"):
        _power(backend, "stop", f"gcp:{PROJECT}:{ZONE_C}:mig/api-prod")

    assert not fake.seen("/stop")


def test_power_calls_go_to_the_configured_zone_scope(fake: FakeComputeApi, make_backend: MakeBackend) -> None:
    throttle = RecordingThrottle()
    backend = make_backend(GcpProject(id=PROJECT, zones=[ZONE_B]), throttle=throttle)
    fake.add_instance(PROJECT, ZONE_B, "api-1", status="TERMINATED")

    _power(backend, "start")

    assert set(throttle.endpoints) == {f"gcp:{PROJECT}:{ZONE_B}"}
    assert len(throttle.endpoints) == len(fake.requests)
