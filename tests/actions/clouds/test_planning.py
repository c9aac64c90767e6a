"""Plans for the real clouds, computed from the resources as last seen: what the user is asked to confirm."""

from __future__ import annotations

import pytest

from actions.planning import operation
from actions.provider import Resource
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud


def _group(name: str, count: int, *, cloud: Cloud = Cloud.AWS, region: str = "us-east-1", unit: float = 0.096,
           standby: str | None = None) -> Resource:  # fmt: skip
    return Resource(
        id=f"{cloud.value}:prod:{region}:asg/{name}", name=name, cloud=cloud, kind="group", region=region,
        environment="prod", state="running" if count else "stopped", size="m5.large", count=count,
        hourly_cost=count * unit, unit_hourly_cost=unit, standby=standby,
    )  # fmt: skip


def _vm(name: str, state: str) -> Resource:
    return Resource(
        id=f"azure:sub:rg:vm/{name}", name=name, cloud=Cloud.AZURE, kind="instance", region="westeurope",
        environment="prod", state=state, size="Standard_D4s_v5", hourly_cost=0.192,
    )  # fmt: skip


def _request(action: ActionName, r: Resource, count: int | None = None, dest: str | None = None) -> ActionRequest:
    return ActionRequest.on(r, action, requested_by="alice", desired_count=count, destination_id=dest)


def test_scale_plan_shows_counts_and_cost() -> None:
    web = _group("web-prod", 12)
    found = operation(_request(ActionName.SCALE, web, 20), web)
    assert found.plan is not None
    assert found.plan.summary == "web-prod (AWS us-east-1): 12 -> 20 instances, about +$0.77/h"
    assert found.plan.instances_affected == 8
    assert found.count == 20


def test_scale_to_the_current_size_is_already_done() -> None:
    web = _group("web-prod", 12)
    found = operation(_request(ActionName.SCALE, web, 12), web)
    assert found.plan is None
    assert found.done == "web-prod is already at 12 instances"


@pytest.mark.parametrize("count", [-1, 1001])
def test_scale_outside_limits_is_refused(count: int) -> None:
    web = _group("web-prod", 12)
    with pytest.raises(ProviderError, match="cannot be scaled"):
        operation(_request(ActionName.SCALE, web, count), web)


def test_power_plans_and_refusals() -> None:
    running, stopped = _vm("db-prod", "running"), _vm("db-prod", "stopped")
    stop = operation(_request(ActionName.STOP, running), running)
    assert stop.plan is not None and stop.power == "stop"
    assert stop.plan.summary == "db-prod (Azure westeurope): running -> stopped, about -$0.19/h"
    assert operation(_request(ActionName.START, running), running).done == "db-prod is already running"
    assert operation(_request(ActionName.SHUTDOWN, stopped), stopped).done == "db-prod is already stopped"
    with pytest.raises(ProviderError, match="db-prod is stopped: start it instead"):
        operation(_request(ActionName.RESTART, stopped), stopped)
    with pytest.raises(ProviderError, match="only groups scale"):
        operation(_request(ActionName.SCALE, running, 3), running)


@pytest.mark.parametrize("action", [ActionName.STOP, ActionName.SHUTDOWN])
def test_a_groups_stop_and_shutdown_both_plan_capacity_zero(action: ActionName) -> None:
    worker = _group("worker-prod", 4)
    found = operation(_request(action, worker), worker)
    assert found.count == 0 and found.plan is not None
    assert found.plan.summary == "worker-prod (AWS us-east-1): 4 -> 0 instances, shut down, about -$0.38/h"
    assert found.plan.instances_affected == 4


def test_a_group_is_not_started_or_restarted_as_one_machine() -> None:
    web = _group("web-prod", 4)
    with pytest.raises(ProviderError, match=r"^web-prod is a group: scale it to the size it should run$"):
        operation(_request(ActionName.START, web), web)
    with pytest.raises(ProviderError, match=r"^web-prod is a group: restart its instances one by one$"):
        operation(_request(ActionName.RESTART, web), web)


def test_emergency_scale_without_a_count_doubles() -> None:
    web = _group("web-prod", 6)
    found = operation(_request(ActionName.EMERGENCY_SCALE, web), web)
    assert found.count == 12 and found.plan is not None and "emergency scale 6 -> 12" in found.plan.summary


def test_failover_brings_the_standby_to_the_primary_size_across_clouds() -> None:
    web = _group("web-prod", 12, standby="web-dr")
    dr = _group("web-dr", 0, cloud=Cloud.AZURE, region="westeurope", unit=0.1)
    found = operation(_request(ActionName.FAILOVER, web, dest=dr.id), web, dr)
    assert found.target == dr and found.count == 12 and found.plan is not None
    assert found.plan.summary == (
        "web-prod (AWS us-east-1) -> web-dr (Azure westeurope): web-dr 0 -> 12 instances, about +$1.20/h"
    )
    with pytest.raises(ProviderError, match="no DR standby"):
        operation(_request(ActionName.FAILOVER, web), web, None)
