"""Inventory of a subscription: every page, power states, scale sets and their members, as a user sees them."""

from __future__ import annotations

import pytest
import trustme

from actions.azure import AzureBackend
from core.cloud_config import AzureSubscription
from core.errors import ResourceNotFound
from fakes.azure_arm import FakeArm, Request, StaticToken
from tests.actions.azure.conftest import PROD, STAGING, SUBSCRIPTIONS, CountingThrottle, MakeBackend

POWERS = ("running", "deallocated", "stopped", "starting", "deallocating")


def _seed(arm: FakeArm) -> None:
    for i in range(12):  # 12 VMs, pages of 5: three pages per listing
        arm.add_vm(PROD, "rg-app" if i < 8 else "rg-db", f"app-{i}", power=POWERS[i % len(POWERS)],
                   tags={"Env": "staging"} if i == 1 else {})  # fmt: skip
    arm.add_vm(PROD, "rg-db", "db-prod", size="Standard_E4s_v5", tags={"opsbot-standby": "db-dr"})
    arm.add_scale_set(PROD, "rg-web", "web-prod", 3, tags={"environment": "prod", "opsbot-standby": "web-dr"})
    arm.add_scale_set(PROD, "rg-web", "web-dr", 0, tags={"environment": "dr"})
    arm.add_vm(STAGING, "rg-other", "elsewhere")


def _vm_listings(arm: FakeArm) -> list[Request]:
    return [r for r in arm.requests if r.path.endswith("/providers/Microsoft.Compute/virtualMachines")]


def test_fetch_reads_every_page_with_power_states(arm: FakeArm, backend: AzureBackend) -> None:
    _seed(arm)
    prod = next(s for s in backend.scopes() if s.account == PROD)
    resources = {r.name: r for r in backend.fetch(prod)}

    vms = [r for r in resources.values() if r.kind == "instance" and r.group is None]
    assert len(vms) == 13
    assert "elsewhere" not in resources
    assert [resources[f"app-{i}"].state for i in range(5)] == ["running", "stopped", "stopped", "starting", "stopping"]
    assert resources["app-1"].environment == "staging"  # the Env tag, any case of the key
    assert resources["app-0"].environment == "prod"  # no tag, no scope default: the strictest
    assert resources["app-1"].hourly_cost == 0.0  # deallocated: not billed
    assert resources["app-2"].hourly_cost == pytest.approx(0.096)  # stopped in the guest: still billed
    assert resources["db-prod"].size == "Standard_E4s_v5"
    assert resources["db-prod"].standby == "db-dr"
    assert resources["db-prod"].id == f"azure:{PROD}:rg-db:vm/db-prod"
    assert resources["db-prod"].region == "westeurope"
    pages = [r for r in _vm_listings(arm) if "$skiptoken" in r.query]
    assert len(pages) == 4  # two more pages after the first, for each of the two listings


def test_scale_sets_have_counts_and_members(arm: FakeArm, backend: AzureBackend) -> None:
    _seed(arm)
    arm.scale_sets[(PROD, "rg-web", "web-prod")].members["1"] = "deallocated"
    resources = {r.name: r for r in backend.fetch(backend.scopes()[0])}

    web = resources["web-prod"]
    assert (web.kind, web.count, web.state, web.standby) == ("group", 3, "degraded", "web-dr")
    assert web.unit_hourly_cost == pytest.approx(0.192)
    assert web.hourly_cost == pytest.approx(3 * 0.192)
    assert web.id == f"azure:{PROD}:rg-web:vmss/web-prod"
    members = sorted(r.name for r in resources.values() if r.group == "web-prod")
    assert members == ["web-prod_0", "web-prod_1", "web-prod_2"]
    assert resources["web-prod_1"].state == "stopped"
    assert resources["web-prod_2"].id == f"azure:{PROD}:rg-web:vmss/web-prod/2"
    assert (resources["web-dr"].count, resources["web-dr"].state, resources["web-dr"].environment) == (
        0,
        "stopped",
        "dr",
    )


def test_every_request_carries_the_token_and_passes_the_throttle(arm: FakeArm, make_backend: MakeBackend) -> None:
    _seed(arm)
    throttle = CountingThrottle()
    backend = make_backend(throttle=throttle)
    backend.fetch(backend.scopes()[0])
    assert arm.requests
    assert {r.token for r in arm.requests} == {"test-token"}
    assert len(throttle.endpoints) == len(arm.requests)
    assert set(throttle.endpoints) == {f"azure:{PROD}:*"}


def test_resource_groups_limit_the_listing(arm: FakeArm, make_backend: MakeBackend) -> None:
    _seed(arm)
    only_db = AzureSubscription(id=PROD, name="prod", resource_groups=["rg-db"], environment="staging")
    backend = make_backend(subscriptions=[only_db])
    resources = {r.name: r for r in backend.fetch(backend.scopes()[0])}
    assert sorted(resources) == ["app-10", "app-11", "app-8", "app-9", "db-prod"]
    assert resources["app-8"].state == "starting"
    assert resources["app-9"].environment == "staging"  # the subscription's default environment
    assert all("/resourceGroups/rg-db/" in r.path for r in arm.requests)


def test_scopes_name_each_subscription(backend: AzureBackend) -> None:
    scopes = backend.scopes()
    assert [(s.key, s.label) for s in scopes] == [
        (f"azure:{PROD}:*", "Azure prod"),
        (f"azure:{STAGING}:*", "Azure staging"),
    ]
    assert backend.scope_of(f"azure:{STAGING}:rg:vm/x").account == STAGING
    with pytest.raises(ResourceNotFound):
        backend.scope_of("azure:33333333-0000-0000-0000-000000000000:rg:vm/x")


def test_get_reads_one_resource_fresh(arm: FakeArm, backend: AzureBackend) -> None:
    _seed(arm)
    vm = backend.get(f"azure:{PROD}:rg-db:vm/db-prod")
    assert (vm.name, vm.state, vm.size) == ("db-prod", "running", "Standard_E4s_v5")
    arm.vms[(PROD, "rg-db", "db-prod")].power = "deallocated"
    assert backend.get(f"azure:{PROD}:rg-db:vm/db-prod").state == "stopped"

    web = backend.get(f"azure:{PROD}:rg-web:vmss/web-prod")
    assert (web.kind, web.count, web.state) == ("group", 3, "running")
    member = backend.get(f"azure:{PROD}:rg-web:vmss/web-prod/2")
    assert (member.name, member.group, member.state) == ("web-prod_2", "web-prod", "running")


def test_get_of_a_missing_resource_is_not_found(arm: FakeArm, backend: AzureBackend) -> None:
    with pytest.raises(ResourceNotFound, match="ghost was not found in subscription prod"):
        backend.get(f"azure:{PROD}:rg-db:vm/ghost")
    with pytest.raises(ResourceNotFound):
        backend.get("azure:not-an-id")


def test_one_listing_when_status_items_carry_the_model(ca: trustme.CA, ca_path: str) -> None:
    arm = FakeArm(ca, page_size=5, status_only_models=True)
    try:
        _seed(arm)
        backend = AzureBackend(SUBSCRIPTIONS, arm_url=arm.url, credential=StaticToken(), connection_verify=ca_path)
        resources = {r.name: r for r in backend.fetch(backend.scopes()[0])}
        backend.close()
    finally:
        arm.close()
    assert (resources["app-1"].state, resources["db-prod"].size) == ("stopped", "Standard_E4s_v5")
    listings = _vm_listings(arm)
    assert {r.query.get("statusOnly") for r in listings} == {"true"}
    assert len(listings) == 3
