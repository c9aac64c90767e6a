"""A scale set's limits through azure-mgmt-compute against the fake ARM: an autoscale setting's bounds (or the
set's hard limit) come with the inventory, a plan outside them is refused before any confirmation, and a capacity
sent anyway meets what Azure does: above the hard limit a 400, outside autoscale bounds put back by autoscale."""

from __future__ import annotations

import pytest

from actions.azure import AzureBackend
from actions.planning import operation
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud
from fakes.azure_arm import FakeArm
from tests.actions.azure.conftest import PROD

RG = "shop"
WEB = f"azure:{PROD}:{RG}:vmss/web-prod"
BATCH = f"azure:{PROD}:{RG}:vmss/batch"


@pytest.fixture
def limited(arm: FakeArm) -> FakeArm:
    arm.add_scale_set(PROD, RG, "web-prod", 3, tags={"environment": "prod"})
    arm.add_autoscale(PROD, RG, "web-prod", 2, 10)
    arm.add_scale_set(PROD, RG, "batch", 1).single_placement_group = True
    return arm


def _request(action: ActionName, resource_id: str, name: str, count: int | None = None) -> ActionRequest:
    return ActionRequest(
        action=action, resource_id=resource_id, resource_name=name, cloud=Cloud.AZURE, region="westeurope",
        environment="prod", desired_count=count, requested_by="alice",
    )  # fmt: skip


def test_the_inventory_carries_autoscale_bounds_or_the_hard_limit(limited: FakeArm, backend: AzureBackend) -> None:
    groups = {r.name: r for r in backend.fetch(backend.scopes()[0]) if r.kind == "group"}
    web, batch = groups["web-prod"], groups["batch"]
    assert (web.min_count, web.max_count, web.limits_from) == (2, 10, "autoscale setting")
    assert (batch.min_count, batch.max_count, batch.limits_from) == (0, 100, "scale set limit")
    assert len(limited.requests_to("autoscalesettings")) == 1  # one listing per subscription, not one per set
    fresh = backend.get(WEB)
    assert (fresh.min_count, fresh.max_count) == (2, 10)


def test_a_disabled_autoscale_leaves_the_hard_limit(limited: FakeArm, backend: AzureBackend) -> None:
    limited.add_autoscale(PROD, RG, "web-prod", 2, 10, enabled=False)
    web = backend.get(WEB)
    assert (web.min_count, web.max_count, web.limits_from) == (0, 1000, "scale set limit")


def test_plans_outside_the_bounds_are_refused(limited: FakeArm, backend: AzureBackend) -> None:
    web = backend.get(WEB)
    with pytest.raises(ProviderError) as above:
        operation(_request(ActionName.SCALE, WEB, "web-prod", 20), web)
    assert str(above.value) == (
        "web-prod's maximum is 10 (autoscale setting): ask for 10 or less, or raise the maximum in Azure first"
    )
    with pytest.raises(ProviderError, match=r"^web-prod's minimum is 2 .*it cannot go to 0"):
        operation(_request(ActionName.STOP, WEB, "web-prod"), web)
    batch = backend.get(BATCH)
    with pytest.raises(ProviderError, match=r"^batch's maximum is 100 \(scale set limit\)"):
        operation(_request(ActionName.SCALE, BATCH, "batch", 150), batch)
    assert operation(_request(ActionName.SCALE, WEB, "web-prod", 8), web).count == 8
    assert all(r.method == "GET" for r in limited.requests_to("virtualMachineScaleSets"))  # nothing was sent


def test_a_capacity_above_the_hard_limit_gets_azures_400(limited: FakeArm, backend: AzureBackend) -> None:
    batch = backend.get(BATCH)
    with pytest.raises(ProviderError) as refused:
        backend.scale(batch, 150, lambda _line: None, 2.0)
    assert str(refused.value) == (
        "Azure: The value 150 of parameter 'sku.capacity' is out of range. The value must be between 0 and 100, "
        "inclusive."
    )
    assert backend.get(BATCH).count == 1


def test_autoscale_puts_a_capacity_outside_its_bounds_back(limited: FakeArm, backend: AzureBackend) -> None:
    """Sent anyway (the bounds changed after the plan): Azure takes it, autoscale undoes it, the wait says so."""
    web = backend.get(WEB)
    with pytest.raises(ProviderError, match=r"^web-prod reached \d+ of 12 instances"):
        backend.scale(web, 12, lambda _line: None, 1.0)
    assert backend.get(WEB).count == 10


def test_without_permission_for_autoscale_settings_the_hard_limit_holds(
    limited: FakeArm, backend: AzureBackend
) -> None:
    limited.fail("autoscalesettings", 403, times=None)
    groups = {r.name: r for r in backend.fetch(backend.scopes()[0]) if r.kind == "group"}
    assert (groups["web-prod"].min_count, groups["web-prod"].max_count) == (0, 1000)
    assert groups["web-prod"].limits_from == "scale set limit"
