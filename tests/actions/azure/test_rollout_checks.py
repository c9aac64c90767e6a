"""The checks before a scale set rolls, through azure-mgmt-compute against the fake ARM: each problem is one line
naming Azure, the group and the fix, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.azure.rollout import AzureRollouts
from fakes.azure_arm import FakeArm
from fakes.azure_rollouts import RollingUpgrades
from tests.actions.azure.conftest import GALLERY, PROD, STEADY, change, seed

LOCATION = "westeurope"


@pytest.fixture
def rollouts(arm: FakeArm, rolling: RollingUpgrades, make_rollouts: Callable[..., AzureRollouts]) -> AzureRollouts:
    seed(arm, rolling)
    rolling.capacity.offer(LOCATION, "Standard_D4s_v5", "standardDSv5Family", 4)
    rolling.capacity.set_usage(LOCATION, "standardDSv5Family", 16, 100, "Standard DSv5 Family vCPUs")
    rolling.capacity.set_usage(LOCATION, "cores", 40, 350, "Total Regional vCPUs")
    return make_rollouts()


def changed(arm: FakeArm) -> bool:
    return any(r.method in ("PATCH", "PUT", "POST") for r in arm.requests)


def test_a_ready_scale_set_passes_with_reads_only(arm: FakeArm, rollouts: AzureRollouts) -> None:
    assert rollouts.check(change("v2.4", STEADY.model_copy(update={"surge": 2}))) == []
    assert arm.requests_to("/galleries/opsbot/images/web/versions/2.4.0")
    assert [r.query.get("$filter") for r in arm.requests_to("/providers/Microsoft.Compute/skus")] == [
        "location eq 'westeurope'"
    ]
    assert arm.requests_to(f"/locations/{LOCATION}/usages")
    assert not changed(arm)


def test_a_missing_gallery_image_version(arm: FakeArm, rollouts: AzureRollouts) -> None:
    lines = rollouts.check(change("v2.6", image=GALLERY + "2.6.0"))
    assert lines == [
        "Azure web-dr: gallery image web version 2.6.0 (gallery opsbot, resource group images) does not exist: "
        "publish it, or fix versions.v2.6.azure.image in the release manifest"
    ]


def test_a_missing_managed_image(arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts) -> None:
    image = f"/subscriptions/{PROD}/resourceGroups/images/providers/Microsoft.Compute/images/web-2.6"
    assert rollouts.check(change("v2.6", image=image)) == [
        "Azure web-dr: image web-2.6 (resource group images) does not exist: publish it, or fix "
        "versions.v2.6.azure.image in the release manifest"
    ]
    rolling.capacity.add_image(image)
    assert rollouts.check(change("v2.6", image=image)) == []


def test_an_image_opsbot_may_not_read(arm: FakeArm, rollouts: AzureRollouts) -> None:
    arm.fail(r"/galleries/opsbot/images/web/versions/2\.4\.0$", 403, code="AuthorizationFailed")
    assert rollouts.check(change("v2.4")) == [
        "Azure web-dr: gallery image web version 2.4.0 (gallery opsbot, resource group images) is not readable with "
        "opsbot's credentials: grant Reader on it"
    ]


def test_a_size_not_offered_in_the_location(arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts) -> None:
    rolling.capacity.skus.clear()
    rolling.capacity.offer("northeurope", "Standard_D4s_v5", "standardDSv5Family", 4)
    assert rollouts.check(change("v2.4")) == [
        "Azure web-dr: size Standard_D4s_v5 is not offered in westeurope: choose another size for the scale set"
    ]


def test_a_size_restricted_for_the_subscription(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    rolling.capacity.skus.clear()
    rolling.capacity.offer(LOCATION, "Standard_D4s_v5", "standardDSv5Family", 4, restricted=True)
    assert rollouts.check(change("v2.4")) == [
        "Azure web-dr: size Standard_D4s_v5 is not available to subscription prod in westeurope "
        "(NotAvailableForSubscription): request access to it or choose another size"
    ]


@pytest.mark.parametrize(
    ("usage", "current", "limit", "surge", "words"),
    [
        ("standardDSv5Family", 94, 100, 2, "Standard DSv5 Family vCPUs quota in westeurope is 94/100 vCPUs and the "
         "surge needs 8 more"),
        ("cores", 348, 350, 1, "Total Regional vCPUs quota in westeurope is 348/350 vCPUs and the surge needs 4 more"),
    ],
)  # fmt: skip
def test_too_little_quota_for_the_surge(rolling: RollingUpgrades, rollouts: AzureRollouts, usage: str, current: int,
                                        limit: int, surge: int, words: str) -> None:  # fmt: skip
    text = {"cores": "Total Regional vCPUs"}.get(usage, "Standard DSv5 Family vCPUs")
    rolling.capacity.set_usage(LOCATION, usage, current, limit, text)
    assert rollouts.check(change("v2.4", STEADY.model_copy(update={"surge": surge}))) == [
        f"Azure web-dr: {words}: raise the quota, or set surge: 0 for web-dr"
    ]
    assert rollouts.check(change("v2.4", STEADY)) == []  # in place: no new instances, no quota


def test_a_surge_that_fits_passes(rolling: RollingUpgrades, rollouts: AzureRollouts) -> None:
    rolling.capacity.set_usage(LOCATION, "standardDSv5Family", 94, 100, "Standard DSv5 Family vCPUs")
    assert rollouts.check(change("v2.4", STEADY.model_copy(update={"surge": 1}))) == []  # 94 + 4 fits


def test_too_few_healthy_instances_to_start(arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts) -> None:
    for instance in ("0", "1", "2"):
        rolling.make_unhealthy(PROD, "rg-web", "web-dr", instance)
    assert rollouts.check(change("v2.4")) == [
        "Azure web-dr: only 1 of 4 instances are healthy and 2 (50%) must stay in service: fix or replace the "
        "unhealthy ones first"
    ]
    rolling.model(PROD, "rg-web", "web-dr").unhealthy.discard("0")
    assert rollouts.check(change("v2.4")) == []  # 2 of 4 is 50 %


def test_every_problem_at_once_one_line_each(arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts) -> None:
    rolling.capacity.skus.clear()
    for instance in ("0", "1", "2", "3"):
        rolling.make_unhealthy(PROD, "rg-web", "web-dr", instance)
    lines = rollouts.check(change("v2.6", image=GALLERY + "2.6.0"))
    assert [line.split(":")[1].split()[0] for line in lines] == ["gallery", "size", "only"]
    assert all(line.startswith("Azure web-dr: ") for line in lines)


def test_a_scale_set_that_cannot_be_read_is_one_line(arm: FakeArm, rollouts: AzureRollouts) -> None:
    arm.fail(r"/virtualMachineScaleSets/web-dr$", 403, code="AuthorizationFailed")
    lines = rollouts.check(change("v2.4"))
    assert len(lines) == 1
    assert lines[0].startswith("Azure web-dr: not checked, Azure: credentials refused for subscription prod - check")


def test_throttled_reads_say_so_in_a_line(arm: FakeArm, rollouts: AzureRollouts) -> None:
    arm.fail(r"/locations/westeurope/usages$", 429, retry_after="5", code="TooManyRequests")
    assert rollouts.check(change("v2.4", STEADY.model_copy(update={"surge": 1}))) == [
        "Azure web-dr: not checked, Azure is throttling requests for subscription prod: try again"
    ]
