"""A failover whose standby's maximum is below the primary's size is refused in one line that says so - the
standby must be raised - not in the wording of a scale ("ask for 10 or less"); a standby already larger than the
primary keeps its size."""

from __future__ import annotations

import pytest

from actions.planning import operation
from actions.provider import Resource
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud


def _group(name: str, count: int, high: int, *, environment: str = "prod") -> Resource:
    return Resource(
        id=f"aws:prod:us-east-1:asg/{name}", name=name, cloud=Cloud.AWS, kind="group", region="us-east-1",
        environment=environment, state="running", size="m5.large", count=count, min_count=0, max_count=high,
        limits_from="Auto Scaling group", hourly_cost=count * 0.096, unit_hourly_cost=0.096,
    )  # fmt: skip


def _failover(primary: Resource, standby: Resource) -> ActionRequest:
    return ActionRequest.on(primary, ActionName.FAILOVER, requested_by="alice", destination_id=standby.id)


def test_a_standby_too_small_for_the_primary_must_be_raised_first() -> None:
    web, dr = _group("web-prod", 12, 30), _group("web-dr", 0, 10, environment="dr")
    with pytest.raises(ProviderError) as refused:
        operation(_failover(web, dr), web, dr)
    assert str(refused.value) == (
        "web-dr's maximum is 10 (Auto Scaling group), web-prod runs 12: raise web-dr's maximum in AWS first"
    )


def test_a_standby_that_holds_the_primary_is_planned() -> None:
    web, dr = _group("web-prod", 10, 30), _group("web-dr", 0, 10, environment="dr")
    found = operation(_failover(web, dr), web, dr)
    assert found.count == 10 and found.plan is not None
    assert found.plan.summary.startswith("web-prod (AWS us-east-1) -> web-dr (AWS us-east-1): web-dr 0 -> 10 instances")


def test_a_standby_larger_than_the_primary_is_not_scaled_down() -> None:
    web, dr = _group("web-prod", 6, 30), _group("web-dr", 8, 10, environment="dr")
    found = operation(_failover(web, dr), web, dr)
    assert found.plan is None and found.done == "web-dr already runs 8 instances"
