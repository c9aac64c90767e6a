"""Plans stay inside a group's own limits (min/max from its cloud): a plan that crosses one is refused before any
confirmation, in one line naming the limit and what to do; an emergency scale stops at the maximum."""

from __future__ import annotations

import pytest

from actions.planning import operation
from actions.provider import Resource
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud


def _group(name: str, count: int, low: int | None, high: int | None, *, cloud: Cloud = Cloud.AWS,
           source: str = "Auto Scaling group") -> Resource:  # fmt: skip
    return Resource(
        id=f"{cloud.value}:prod:us-east-1:asg/{name}", name=name, cloud=cloud, kind="group", region="us-east-1",
        environment="prod", state="running", size="m5.large", count=count, min_count=low, max_count=high,
        limits_from=source, hourly_cost=count * 0.096, unit_hourly_cost=0.096,
    )  # fmt: skip


def _request(action: ActionName, group: Resource, count: int | None = None) -> ActionRequest:
    return ActionRequest.on(group, action, requested_by="alice", desired_count=count)


def _refusal(action: ActionName, group: Resource, count: int | None = None) -> str:
    with pytest.raises(ProviderError) as refused:
        operation(_request(action, group, count), group)
    text = str(refused.value)
    assert "\n" not in text
    return text


def test_scale_above_the_maximum_is_refused_naming_it() -> None:
    web = _group("web-prod", 6, 2, 10)
    assert _refusal(ActionName.SCALE, web, 20) == (
        "web-prod's maximum is 10 (Auto Scaling group): ask for 10 or less, or raise the maximum in AWS first"
    )
    inside = operation(_request(ActionName.SCALE, web, 10), web)
    assert inside.plan is not None and inside.count == 10


def test_scale_below_the_minimum_is_refused_naming_it() -> None:
    web = _group("web-prod", 6, 2, 10)
    assert _refusal(ActionName.SCALE, web, 1) == (
        "web-prod's minimum is 2 (Auto Scaling group): ask for 2 or more, or lower the minimum in AWS first"
    )
    assert _refusal(ActionName.SCALE, web, 0) == (
        "web-prod's minimum is 2 (Auto Scaling group): it cannot go to 0 - lower the minimum in AWS first"
    )


@pytest.mark.parametrize("action", [ActionName.STOP, ActionName.SHUTDOWN])
def test_a_group_with_a_minimum_is_not_stopped_or_shut_down(action: ActionName) -> None:
    worker = _group("worker-prod", 4, 1, 8)
    assert _refusal(action, worker) == (
        "worker-prod's minimum is 1 (Auto Scaling group): it cannot go to 0 - lower the minimum in AWS first"
    )
    free = _group("worker-prod", 4, 0, 8)
    assert operation(_request(action, free), free).count == 0


def test_emergency_scale_stops_at_the_maximum_and_says_so() -> None:
    web = _group("web-prod", 6, 2, 10)
    found = operation(_request(ActionName.EMERGENCY_SCALE, web, 12), web)
    assert found.count == 10 and found.plan is not None
    assert found.plan.summary == (
        "web-prod (AWS us-east-1): emergency scale 6 -> 10 instances, capped at the group's maximum 10, about +$0.38/h"
    )
    roomy = _group("web-prod", 6, 2, 30)
    assert operation(_request(ActionName.EMERGENCY_SCALE, roomy, 12), roomy).count == 12


def test_emergency_scale_at_the_maximum_is_refused() -> None:
    web = _group("web-prod", 10, 2, 10)
    assert _refusal(ActionName.EMERGENCY_SCALE, web, 20) == (
        "web-prod is already at its maximum 10 (Auto Scaling group): raise the maximum in AWS first"
    )


def test_failover_is_refused_when_the_standby_cannot_hold_the_primary() -> None:
    web = _group("web-prod", 12, 2, 30).model_copy(update={"standby": "web-dr"})
    dr = _group("web-dr", 0, 0, 10, cloud=Cloud.AZURE, source="autoscale setting")
    with pytest.raises(ProviderError, match=r"^web-dr's maximum is 10 \(autoscale setting\).* in Azure first$"):
        operation(_request(ActionName.FAILOVER, web).model_copy(update={"destination_id": dr.id}), web, dr)


def test_an_autoscaled_mig_is_sized_by_its_autoscaler() -> None:
    api = _group("api-prod", 3, 2, 10, cloud=Cloud.GCP, source="autoscaler")
    assert _refusal(ActionName.SCALE, api, 12).startswith("api-prod's maximum is 10 (autoscaler)")
    assert _refusal(ActionName.SCALE, api, 5) == (
        "api-prod is sized by its autoscaler (2-10): change the autoscaler's minimum or maximum in GCP instead"
    )


def test_unknown_limits_refuse_nothing() -> None:
    web = _group("web-prod", 6, None, None)
    assert operation(_request(ActionName.SCALE, web, 200), web).count == 200
    assert operation(_request(ActionName.SHUTDOWN, web), web).count == 0


def _raising(group: Resource, action: ActionName, count: int | None, low: int | None, high: int | None) -> str:
    request = _request(action, group, count).model_copy(update={"new_min_count": low, "new_max_count": high})
    found = operation(request, group)
    assert found.plan is not None
    wanted = (group.min_count if low is None else low, group.max_count if high is None else high)
    assert found.target.set_limits == wanted  # the backend sets these with the new size
    return found.plan.summary


def test_a_plan_that_raises_the_maximum_says_so() -> None:
    web = _group("web-prod", 6, 2, 10)
    assert _raising(web, ActionName.SCALE, 20, None, 20) == (
        "web-prod (AWS us-east-1): 6 -> 20 instances, max 10 -> 20, about +$1.34/h"
    )
    worker = _group("worker-prod", 4, 1, 8)
    assert _raising(worker, ActionName.SHUTDOWN, None, 0, None) == (
        "worker-prod (AWS us-east-1): 4 -> 0 instances, shut down, min 1 -> 0, about -$0.38/h"
    )


def test_a_new_limit_must_still_hold_the_target() -> None:
    web = _group("web-prod", 6, 2, 10)
    request = _request(ActionName.SCALE, web, 20).model_copy(update={"new_max_count": 15})
    with pytest.raises(ProviderError, match=r"^web-prod's maximum is 15 "):
        operation(request, web)
    with pytest.raises(ProviderError, match="minimum of 12 above its maximum of 10"):
        operation(_request(ActionName.SCALE, web, 12).model_copy(update={"new_min_count": 12}), web)


def test_limits_are_changed_from_chat_on_aws_groups_only() -> None:
    api = _group("api-prod", 3, 2, 10, cloud=Cloud.GCP, source="autoscaler")
    with pytest.raises(ProviderError, match=r"^api-prod's limits are changed from chat on AWS groups only: change"):
        operation(_request(ActionName.SCALE, api, 12).model_copy(update={"new_max_count": 12}), api)


def test_the_new_limits_are_bound_to_the_confirmation() -> None:
    web = _group("web-prod", 6, 2, 10)
    plain = _request(ActionName.SCALE, web, 20)
    raising = plain.model_copy(update={"new_max_count": 20})
    assert operation(_request(ActionName.SCALE, web, 8), web).target.set_limits is None  # limits left alone
    assert raising.params_hash != plain.params_hash
    assert plain.params_hash == plain.model_copy(update={"requested_by": "bob"}).params_hash
