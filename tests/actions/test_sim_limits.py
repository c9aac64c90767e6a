"""The demo world's groups have their cloud's limits too: plans that cross them are refused in one line, an
emergency scale stops at the maximum, and the sizes the README and docs quote stay inside them."""

from __future__ import annotations

import pytest

from actions.simulated import SimulatedCloud
from core.errors import ProviderError
from core.models import ActionName
from tests.actions.helpers import request_for


def _refused(cloud: SimulatedCloud, name: str, action: ActionName, **kwargs: int | str | None) -> str:
    with pytest.raises(ProviderError) as refused:
        cloud.plan(request_for(cloud.get(name), action, **kwargs))  # type: ignore[arg-type]
    return str(refused.value)


def test_every_group_carries_its_limits(cloud: SimulatedCloud) -> None:
    groups = [r for r in cloud.snapshot().resources if r.kind == "group"]
    assert groups and all(g.min_count is not None and g.max_count is not None for g in groups)
    assert all((g.min_count or 0) <= (g.count or 0) <= (g.max_count or 0) for g in groups)
    web = cloud.get("web-prod")
    assert (web.min_count, web.max_count, web.limits_from) == (0, 40, "Auto Scaling group")


def test_the_docs_sizes_stay_inside_the_limits(cloud: SimulatedCloud) -> None:
    for count in (20, 30, 0):
        assert cloud.plan(request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=count))
    assert cloud.plan(request_for(cloud.get("web-prod"), ActionName.FAILOVER)).summary.startswith(
        "web-prod (AWS us-east-1) -> web-dr (Azure westeurope): web-dr 0 -> 12 instances"
    )
    assert cloud.plan(request_for(cloud.get("worker-prod"), ActionName.SHUTDOWN))


def test_a_scale_past_the_maximum_is_refused_naming_it(cloud: SimulatedCloud) -> None:
    assert _refused(cloud, "web-prod", ActionName.SCALE, desired_count=50) == (
        "web-prod's maximum is 40 (Auto Scaling group): ask for 40 or less, or raise the maximum in AWS first"
    )


@pytest.mark.parametrize("action", [ActionName.STOP, ActionName.SHUTDOWN])
def test_a_group_with_a_minimum_is_not_stopped(cloud: SimulatedCloud, action: ActionName) -> None:
    assert _refused(cloud, "web-canary", action) == (
        "web-canary's minimum is 2 (Auto Scaling group): it cannot go to 0 - lower the minimum in AWS first"
    )


def test_emergency_scale_is_capped_at_the_maximum_then_refused(cloud: SimulatedCloud) -> None:
    canary = cloud.get("web-canary")  # 2 instances, at most 6; an emergency scale asks for 6 more
    summary = cloud.plan(request_for(canary, ActionName.EMERGENCY_SCALE, desired_count=8)).summary
    assert summary.startswith("web-canary (AWS us-west-2): emergency scale 2 -> 6 instances")
    assert ", capped at the group's maximum 6, about +$" in summary
    cloud.execute(request_for(canary, ActionName.EMERGENCY_SCALE, desired_count=8), lambda _line: None)
    assert cloud.get("web-canary").count == 6
    assert _refused(cloud, "web-canary", ActionName.EMERGENCY_SCALE, desired_count=12) == (
        "web-canary is already at its maximum 6 (Auto Scaling group): raise the maximum in AWS first"
    )


def test_a_raise_of_the_maximum_is_planned_and_kept(cloud: SimulatedCloud) -> None:
    request = request_for(cloud.get("web-canary"), ActionName.SCALE, desired_count=8)
    raising = request.model_copy(update={"new_max_count": 10})
    assert cloud.plan(raising).summary.startswith("web-canary (AWS us-west-2): 2 -> 8 instances, max 6 -> 10, about")
    cloud.execute(raising, lambda _line: None)
    canary = cloud.get("web-canary")
    assert (canary.count, canary.max_count) == (8, 10)
