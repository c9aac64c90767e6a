from __future__ import annotations

import pytest

from actions.catalogue import emergency_target
from actions.simulated import SimulatedCloud
from core.errors import ProviderError, ResourceNotFound
from core.models import ActionName, ActionRequest
from tests.actions.helpers import request_for


def plan(cloud: SimulatedCloud, name: str, action: ActionName, **kwargs: int | str | None) -> str:
    return cloud.plan(request_for(cloud.get(name), action, **kwargs)).summary  # type: ignore[arg-type]


def test_scale_plan_names_the_place_the_sizes_and_the_cost(cloud: SimulatedCloud) -> None:
    result = cloud.plan(request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=20))
    assert result.summary == "web-prod (AWS us-east-1): 12 -> 20 instances, about +$4.10/h"
    assert (result.before, result.after, result.instances_affected) == ("12 instances", "20 instances", 8)
    assert result.cost_delta_per_hour == pytest.approx(4.10)
    down = plan(cloud, "web-prod", ActionName.SCALE, desired_count=10)
    assert down == "web-prod (AWS us-east-1): 12 -> 10 instances, about -$1.03/h"


def test_power_and_restart_plans(cloud: SimulatedCloud) -> None:
    assert plan(cloud, "db-prod", ActionName.RESTART) == "db-prod (Azure westeurope): restart, about 2 min of downtime"
    assert (
        plan(cloud, "web-staging", ActionName.STOP) == "web-staging (AWS us-east-1): stop 3 instances, about -$1.50/h"
    )
    assert plan(cloud, "web-prod", ActionName.RESTART) == (
        "web-prod (AWS us-east-1): rolling restart of 12 instances, no downtime"
    )
    assert plan(cloud, "web-staging", ActionName.SHUTDOWN) == (
        "web-staging (AWS us-east-1): shut down all 3 instances, about -$1.50/h"
    )
    assert plan(cloud, "db-prod", ActionName.STOP) == "db-prod (Azure westeurope): stop, about -$0.50/h"


def test_failover_plan_moves_traffic_to_the_standby(cloud: SimulatedCloud) -> None:
    result = cloud.plan(request_for(cloud.get("web-prod"), ActionName.FAILOVER))
    assert result.summary == (
        "web-prod (AWS us-east-1) -> web-dr (Azure westeurope): web-dr 0 -> 12 instances, traffic moves to web-dr"
    )
    assert result.instances_affected == 24  # 12 started on the standby + 12 whose traffic moves
    assert result.cost_delta_per_hour > 0


def test_emergency_scale_defaults_to_the_emergency_target(cloud: SimulatedCloud) -> None:
    assert emergency_target(8) == 16
    assert emergency_target(2) == 6
    assert plan(cloud, "api-prod", ActionName.EMERGENCY_SCALE) == (
        "api-prod (GCP europe-west1): emergency scale 8 -> 16 instances, about +$1.55/h"
    )


@pytest.mark.parametrize(
    ("name", "action", "count", "message"),
    [
        ("db-prod", ActionName.SCALE, 3, "db-prod is a single VM: it cannot be scaled"),
        ("web-prod", ActionName.SCALE, -2, "web-prod cannot be scaled to -2 instances"),
        ("web-prod", ActionName.SCALE, 1001, "web-prod cannot be scaled above 1000 instances"),
        ("web-prod", ActionName.SCALE, None, "say how many instances web-prod should have"),
        ("web-prod", ActionName.SCALE, 12, "web-prod is already at 12 instances"),
        ("web-prod", ActionName.START, None, "web-prod is already running"),
        ("web-staging", ActionName.FAILOVER, None, "web-staging has no standby: it cannot fail over"),
        ("db-prod", ActionName.FAILOVER, None, "db-prod is a single VM: it cannot fail over"),
        ("web-dr", ActionName.START, None, "web-dr has no instances: scale it instead"),
    ],
)
def test_impossible_requests_are_refused_in_one_plain_sentence(
    cloud: SimulatedCloud, name: str, action: ActionName, count: int | None, message: str
) -> None:
    with pytest.raises(ProviderError) as info:
        cloud.plan(request_for(cloud.get(name), action, desired_count=count))
    assert str(info.value) == message


def test_members_disks_and_databases_are_refused_what_they_cannot_do(cloud: SimulatedCloud) -> None:
    member = next(r for r in cloud.snapshot().resources if r.group == "web-prod")
    with pytest.raises(ProviderError, match=f"^{member.name} is an instance of web-prod: scale web-prod instead$"):
        cloud.plan(request_for(member, ActionName.SCALE, desired_count=2))
    disk = next(r for r in cloud.snapshot().resources if r.kind == "disk")
    with pytest.raises(ProviderError, match=f"^{disk.name} is a disk: it cannot be restarted$"):
        cloud.plan(request_for(disk, ActionName.RESTART))
    database = next(r for r in cloud.snapshot().resources if r.kind == "database")
    with pytest.raises(ProviderError, match=f"^{database.name} is a database: it cannot be scaled$"):
        cloud.plan(request_for(database, ActionName.SCALE, desired_count=2))


def test_a_request_for_the_wrong_place_is_refused(cloud: SimulatedCloud) -> None:
    web = cloud.get("web-prod")
    wrong = ActionRequest(
        **{**request_for(web, ActionName.SCALE, desired_count=20).model_dump(), "region": "eu-west-1"}
    )
    with pytest.raises(ProviderError, match=r"^web-prod is in AWS us-east-1, not AWS eu-west-1$"):
        cloud.plan(wrong)


def test_get_by_id_or_name_and_unknown_names(cloud: SimulatedCloud) -> None:
    web = cloud.get("web-prod")
    assert cloud.get(web.id) == web
    with pytest.raises(ResourceNotFound, match=r"^no resource called web-prd$"):
        cloud.get("web-prd")
