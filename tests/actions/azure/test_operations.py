"""Start, stop, restart and scale through the SDK's long-running-operation pollers, as a user follows them."""

from __future__ import annotations

import pytest

from actions.azure import AzureBackend
from actions.provider import Resource
from core.errors import ProviderError, ProviderTimeout
from fakes.azure_arm import FakeArm
from tests.actions.azure.conftest import PROD

DB = f"azure:{PROD}:rg-db:vm/db-prod"
WEB_DR = f"azure:{PROD}:rg-web:vmss/web-dr"


@pytest.fixture
def world(arm: FakeArm) -> FakeArm:
    arm.add_vm(PROD, "rg-db", "db-prod", power="running")
    arm.add_vm(PROD, "rg-db", "db-cold", power="deallocated")
    arm.add_scale_set(PROD, "rg-web", "web-dr", 1, tags={"environment": "dr"})
    return arm


def _run(backend: AzureBackend, resource_id: str, action: str, timeout: float = 5.0) -> tuple[Resource, list[str]]:
    lines: list[str] = []
    return backend.set_power(backend.get(resource_id), action, lines.append, timeout), lines


def test_stop_deallocates_and_reports_progress(world: FakeArm, backend: AzureBackend) -> None:
    stopped, lines = _run(backend, DB, "stop")
    assert (stopped.state, stopped.hourly_cost) == ("stopped", 0.0)
    assert world.power(PROD, "rg-db", "db-prod") == "deallocated"  # stop = deallocate: no compute charge
    assert lines == ["db-prod: stopping", "db-prod: stopped"]
    assert [r.method for r in world.requests_to("/db-prod/deallocate")] == ["POST"]
    assert world.requests_to("/operations/")  # the poller followed Azure-AsyncOperation


def test_start_reaches_running(world: FakeArm, backend: AzureBackend) -> None:
    started, lines = _run(backend, f"azure:{PROD}:rg-db:vm/db-cold", "start")
    assert started.state == "running"
    assert lines == ["db-cold: starting", "db-cold: running"]


def test_restart_waits_for_the_operation_then_running(world: FakeArm, backend: AzureBackend) -> None:
    restarted, lines = _run(backend, DB, "restart")
    assert restarted.state == "running"
    # The SDK's poller steps the operation in its own thread: on a busy machine it may finish before opsbot reads
    # the VM in between, so "starting" is seen once or not at all - never anything else, and it ends running.
    assert lines in (
        ["db-prod: restarting", "db-prod: starting", "db-prod: running"],
        ["db-prod: restarting", "db-prod: running"],
    )
    assert world.requests_to("/db-prod/restart")


def test_a_stalled_stop_times_out_naming_the_state(world: FakeArm, backend: AzureBackend) -> None:
    world.stall("db-prod")
    with pytest.raises(ProviderTimeout, match=r"^db-prod is still stopping after 0.3 s; check show db-prod$"):
        _run(backend, DB, "stop", timeout=0.3)
    world.unstall("db-prod")  # the poller left behind finishes before the fake closes


def test_a_failed_operation_says_why(world: FakeArm, backend: AzureBackend) -> None:
    world.fail_next_operation("AllocationFailed", "Allocation failed. We do not have sufficient capacity.")
    with pytest.raises(ProviderError, match="Allocation failed") as caught:
        _run(backend, f"azure:{PROD}:rg-db:vm/db-cold", "start")
    assert not isinstance(caught.value, ProviderTimeout)


def test_power_on_a_scale_set_says_scale_it(world: FakeArm, backend: AzureBackend) -> None:
    with pytest.raises(ProviderError, match=r"^web-dr is a scale set: scale it instead\.$"):
        _run(backend, WEB_DR, "stop")
    with pytest.raises(ProviderError, match=r"^web-dr_0 is part of scale set web-dr: scale it instead\.$"):
        _run(backend, f"{WEB_DR}/0", "restart")
    assert not world.requests_to("/deallocate")
    assert not world.requests_to("/restart")


def test_scale_up_reports_instances_running(world: FakeArm, backend: AzureBackend) -> None:
    lines: list[str] = []
    group = backend.scale(backend.get(WEB_DR), 4, lines.append, 5.0)
    assert (group.count, group.state) == (4, "running")
    assert lines[-1] == "web-dr: 4/4 instances running"
    assert lines[0] in ("web-dr: 1/4 instances running", "web-dr: 2/4 instances running")
    assert len(lines) >= 2 and all(line.startswith("web-dr: ") for line in lines)
    patches = world.requests_to("/virtualMachineScaleSets/web-dr")
    assert [r.method for r in patches if r.method != "GET"] == ["PATCH"]
    assert len(world.scale_sets[(PROD, "rg-web", "web-dr")].members) == 4
    refreshed = backend.get(WEB_DR)
    assert (refreshed.count, refreshed.state) == (4, "running")
    assert refreshed.hourly_cost == pytest.approx(4 * 0.192)


def test_scale_down_to_zero(world: FakeArm, backend: AzureBackend) -> None:
    backend.scale(backend.get(WEB_DR), 3, lambda _line: None, 5.0)
    lines: list[str] = []
    group = backend.scale(backend.get(WEB_DR), 0, lines.append, 5.0)
    assert (group.count, group.state, group.hourly_cost) == (0, "stopped", 0.0)
    assert lines[-1] == "web-dr: 0 instances, going to 0"


def test_a_stalled_scale_times_out_naming_how_far_it_got(world: FakeArm, backend: AzureBackend) -> None:
    world.stall("web-dr")
    with pytest.raises(ProviderTimeout, match=r"^web-dr reached 1 of 5 instances in 0.3 s; check show web-dr$"):
        backend.scale(backend.get(WEB_DR), 5, lambda _line: None, 0.3)
    world.unstall("web-dr")


def test_scale_of_a_vm_is_refused(world: FakeArm, backend: AzureBackend) -> None:
    with pytest.raises(ProviderError, match="db-prod is not a scale set"):
        backend.scale(backend.get(DB), 3, lambda _line: None, 1.0)
