"""Rolling a scale set to a version through azure-mgmt-compute against the fake ARM: the model PATCH that starts a
rolling upgrade, its progress as the watcher reads it, a broken image stopping it, pause/resume, cancel, rollback
in flight and after, a second start that starts nothing, and Azure's refusals as one line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.azure.rollout import AzureRollouts, rolling_policy
from actions.deploy.model import GroupChange, RolloutState, Strategy
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from fakes.azure_arm import FakeArm
from fakes.azure_rollouts import RollingUpgrades
from tests.actions.azure.conftest import IMAGES, PROD, STEADY, CountingThrottle, change, seed

MakeRollouts = Callable[..., AzureRollouts]
SET_PATH = r"/virtualMachineScaleSets/web-dr$"


@pytest.fixture
def rollouts(arm: FakeArm, rolling: RollingUpgrades, make_rollouts: MakeRollouts) -> AzureRollouts:
    seed(arm, rolling)
    return make_rollouts()


def follow(
    rollouts: AzureRollouts, step: GroupChange, handle: str, *, until: Callable[[RolloutState], bool] | None = None
) -> list[RolloutState]:
    """Read the state as the watcher does until it is finished (or `until` holds)."""
    seen: list[RolloutState] = []
    done = until or (lambda s: s.status in ("succeeded", "failed", "cancelled"))
    for _ in range(40):
        seen.append(rollouts.state(step, handle))
        if done(seen[-1]):
            return seen
    raise AssertionError(f"still {seen[-1]} after 40 reads")


def members(arm: FakeArm, rolling: RollingUpgrades) -> dict[str, str]:
    """Instance id -> the image it runs (its last part)."""
    model, ss = rolling.model(PROD, "rg-web", "web-dr"), arm.scale_sets[(PROD.lower(), "rg-web", "web-dr")]
    return {i: model.images.get(i, model.image).rsplit("/", 1)[1] for i in ss.members}


def patches(arm: FakeArm) -> int:
    return sum(1 for r in arm.requests_to("/virtualMachineScaleSets/web-dr") if r.method == "PATCH")


def test_a_deploy_rolls_in_batches_to_the_new_image(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    step = change("v2.4")
    assert rollouts.running(step) is not None and rollouts.running(step).image == IMAGES["v2.3"]  # type: ignore[union-attr]
    handle = rollouts.start(step)
    seen = follow(rollouts, step, handle)
    assert seen[-1].status == "succeeded"
    assert (seen[-1].percent, seen[-1].updated, seen[-1].healthy, seen[-1].total) == (100, 4, 4, 4)
    moving = [s for s in seen if s.status == "rolling"]
    assert moving and all("rolling upgrade" in s.detail for s in moving)
    percents = [s.percent for s in seen]
    assert percents == sorted(percents) and len(set(percents)) >= 4  # one instance per batch: 25 %, 50 %, ...
    assert rollouts.running(step).image == IMAGES["v2.4"]  # type: ignore[union-attr]
    assert set(members(arm, rolling).values()) == {"2.4.0"}
    policy = rolling.model(PROD, "rg-web", "web-dr").policy
    assert policy["mode"] == "Rolling"
    assert policy["rollingUpgradePolicy"] == {
        "maxBatchInstancePercent": 25, "maxUnhealthyInstancePercent": 50, "maxUnhealthyUpgradedInstancePercent": 20,
        "pauseTimeBetweenBatches": "PT0S", "maxSurge": False,
    }  # fmt: skip
    assert patches(arm) == 1
    assert not arm.requests_to("/osRollingUpgrade")  # the model change started the upgrade by itself


def test_a_failing_image_stops_the_upgrade_and_names_the_instances(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    rolling.fail_image(IMAGES["v2.5"])
    step = change("v2.5")
    seen = follow(rollouts, step, rollouts.start(step))
    failed = seen[-1]
    assert failed.status == "failed"
    assert failed.unhealthy == ("web-dr_0",)
    assert "MaxUnhealthyUpgradedInstancePercent" in failed.detail and "100% of instances" in failed.detail
    assert (failed.updated, failed.healthy, failed.total) == (1, 3, 4)
    assert list(members(arm, rolling).values()).count("2.5.0") == 1  # Azure stopped after the first batch


def test_pause_keeps_the_replaced_instances_and_resume_goes_on(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    step = change("v2.4", STEADY.model_copy(update={"surge": 1}))
    handle = rollouts.start(step)
    follow(
        rollouts,
        step,
        handle,
        until=lambda s: s.updated >= 2 and s.status == "rolling" and len(members(arm, rolling)) == 4,
    )
    replaced = {i for i, image in members(arm, rolling).items() if image == "2.4.0"}
    assert len(replaced) == 2 and not replaced & {"0", "1", "2", "3"}  # maxSurge: new instances beside the old
    paused = rollouts.pause(step, handle)
    state = rollouts.state(step, paused)
    assert state.status == "paused" and state.updated == 2
    assert [rollouts.state(step, paused).updated for _ in range(3)] == [2, 2, 2]  # nothing rolls while paused
    resumed = rollouts.resume(step, paused)
    seen = follow(rollouts, step, resumed)
    assert seen[-1].status == "succeeded" and seen[-1].updated == 4
    assert replaced <= set(members(arm, rolling))  # the instances replaced before the pause were kept
    assert rolling.model(PROD, "rg-web", "web-dr").upgrade.successful == 2  # type: ignore[union-attr]


def test_cancel_stops_for_good_where_it_is(arm: FakeArm, rollouts: AzureRollouts) -> None:
    step = change("v2.4")
    handle = rollouts.start(step)
    follow(rollouts, step, handle, until=lambda s: s.updated >= 1)
    rollouts.cancel(step, handle)
    seen = [rollouts.state(step, handle) for _ in range(3)]
    assert {s.status for s in seen} == {"cancelled"}
    assert {s.updated for s in seen} == {seen[0].updated} and 1 <= seen[0].updated < 4
    rollouts.cancel(step, handle)  # again: nothing rolls, Azure's 409 "no ongoing Rolling Upgrade" is fine


def test_roll_back_in_flight_cancels_then_rolls_the_old_image(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    step = change("v2.4")
    handle = rollouts.start(step)
    follow(rollouts, step, handle, until=lambda s: s.updated >= 2)
    back = change("v2.3")
    new = rollouts.roll_back(back, handle)
    assert [r.method for r in arm.requests_to("/rollingUpgrades/cancel")] == ["POST"]
    rollouts.state(back, new)
    again = rollouts.roll_back(back, handle)  # called again after a worker died: its own upgrade goes on
    assert [r.method for r in arm.requests_to("/rollingUpgrades/cancel")] == ["POST"]
    assert patches(arm) == 2  # the deploy's and the rollback's
    seen = follow(rollouts, back, again)
    assert seen[-1].status == "succeeded" and seen[-1].updated == 4
    assert set(members(arm, rolling).values()) == {"2.3.0"}
    assert rollouts.running(back).image == IMAGES["v2.3"]  # type: ignore[union-attr]


def test_roll_back_after_a_finished_deploy(arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts) -> None:
    step = change("v2.4")
    handle = rollouts.start(step)
    follow(rollouts, step, handle)
    back = change("v2.3")
    seen = follow(rollouts, back, rollouts.roll_back(back, handle))
    assert seen[-1].status == "succeeded"
    assert set(members(arm, rolling).values()) == {"2.3.0"}
    assert not arm.requests_to("/rollingUpgrades/cancel")  # nothing was in flight


def test_roll_back_of_a_failed_deploy_is_not_misread_as_failed(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    """The Faulted upgrade stays Azure's latest until the rollback's own shows: it is not the rollback's."""
    rolling.fail_image(IMAGES["v2.5"])
    broken = change("v2.5")
    follow(rollouts, broken, handle := rollouts.start(broken))
    rolling.lag(2)
    back = change("v2.3")
    seen = follow(rollouts, back, rollouts.roll_back(back, handle))
    assert [s.status for s in seen[:2]] == ["rolling", "rolling"]
    assert seen[0].detail == "waiting for Azure to start the rolling upgrade"
    assert seen[-1].status == "succeeded" and seen[-1].unhealthy == ()


def test_the_upgrade_before_a_first_deploy_is_not_read_as_ours(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    step = change("v2.4")
    follow(rollouts, step, rollouts.start(step))
    rolling.lag(1)  # the finished v2.4 upgrade is still the latest when v2.3 starts
    back = change("v2.3")
    handle = rollouts.start(back)
    first = rollouts.state(back, handle)
    assert first.status == "rolling" and first.percent == 0


def test_start_twice_is_one_rollout(arm: FakeArm, rollouts: AzureRollouts) -> None:
    step = change("v2.4")
    first = rollouts.start(step)
    rollouts.state(step, first)
    again = rollouts.start(step)  # a worker that died after starting calls start again
    assert patches(arm) == 1
    assert follow(rollouts, step, again)[-1].status == "succeeded"
    rollouts.start(step)  # and once it is done
    assert patches(arm) == 1


def test_a_scale_set_at_zero_moves_its_model_and_nothing_rolls(
    arm: FakeArm, rolling: RollingUpgrades, make_rollouts: MakeRollouts
) -> None:
    seed(arm, rolling, capacity=0)
    rollouts, step = make_rollouts(), change("v2.4", size=0)
    state = rollouts.state(step, rollouts.start(step))
    assert (state.status, state.percent, state.total) == ("succeeded", 100, 0)
    assert rollouts.running(step).image == IMAGES["v2.4"]  # type: ignore[union-attr]


def test_the_policy_keeps_the_batch_within_what_may_be_unhealthy() -> None:
    policy = rolling_policy(Strategy()).rolling_upgrade_policy  # batch 20 %, min healthy 90 %
    assert policy is not None
    assert (policy.max_batch_instance_percent, policy.max_unhealthy_instance_percent) == (10, 10)
    assert (policy.max_unhealthy_upgraded_instance_percent, policy.pause_time_between_batches) == (20, "PT60S")
    assert policy.max_surge is True
    strict = rolling_policy(Strategy(min_healthy_percent=100, batch_percent=1)).rolling_upgrade_policy
    assert strict is not None and (strict.max_batch_instance_percent, strict.max_unhealthy_instance_percent) == (5, 5)


def test_the_default_strategy_is_accepted_by_azure(arm: FakeArm, rollouts: AzureRollouts) -> None:
    step = change("v2.4", Strategy(warmup_seconds=0))
    assert follow(rollouts, step, rollouts.start(step))[-1].status == "succeeded"


@pytest.mark.parametrize(
    ("status", "code", "error", "line"),
    [
        (403, "AuthorizationFailed", ProviderAuthError, r"^Azure: credentials refused for subscription prod"),
        (404, "ResourceNotFound", ResourceNotFound, r"^Azure: web-dr was not found in subscription prod\.$"),
        (409, "OperationNotAllowed", ProviderError, r"^Azure web-dr: Operation 'Update' is not allowed"),
        (429, "TooManyRequests", TransientProviderError, r"^Azure is throttling requests for subscription prod\.$"),
    ],
)
def test_azure_refusals_are_one_line(arm: FakeArm, rollouts: AzureRollouts, status: int, code: str,
                                     error: type[Exception], line: str) -> None:  # fmt: skip
    message = "Operation 'Update' is not allowed on Virtual Machine Scale Set 'web-dr'." if status == 409 else ""
    arm.fail(SET_PATH, status, method="PATCH", code=code, message=message, retry_after="3")
    with pytest.raises(error, match=line) as caught:
        rollouts.start(change("v2.4"))
    assert "\n" not in str(caught.value) and len(str(caught.value)) <= 200
    if status == 429:
        assert isinstance(caught.value, TransientProviderError) and caught.value.retry_after == 3.0


def test_a_start_while_another_upgrade_rolls_is_refused(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    rollouts.start(change("v2.4"))
    with pytest.raises(ProviderError, match=r"^Azure web-dr: another rolling upgrade is in progress: cancel it"):
        rollouts.start(change("v2.5"))
    assert patches(arm) == 1


def test_a_resume_while_the_pause_finishes_says_try_again(
    arm: FakeArm, rolling: RollingUpgrades, rollouts: AzureRollouts
) -> None:
    step = change("v2.4")
    handle = rollouts.start(step)
    arm.fail(r"/rollingUpgrades/cancel$", 500, method="POST")
    with pytest.raises(TransientProviderError):
        rollouts.pause(step, handle)
    paused = handle.rsplit("|", 1)[0] + "|paused"
    with pytest.raises(TransientProviderError, match=r"^Azure web-dr: the pause is still finishing; resume again\.$"):
        rollouts.resume(step, paused)


def test_a_vm_is_not_a_group_that_rolls(rollouts: AzureRollouts) -> None:
    vm = change("v2.4").model_copy(update={"group_id": f"azure:{PROD}:rg-web:vm/db-1", "group": "db-1"})
    with pytest.raises(ProviderError, match=r"^Azure db-1 is not a scale set: only scale sets roll to a version\.$"):
        rollouts.start(vm)


def test_every_request_passes_the_throttle_of_the_subscription(
    arm: FakeArm, rolling: RollingUpgrades, make_rollouts: MakeRollouts
) -> None:
    seed(arm, rolling)
    throttle = CountingThrottle()
    rollouts, step = make_rollouts(throttle=throttle), change("v2.4")
    rollouts.state(step, rollouts.start(step))
    rollouts.check(step)
    assert len(throttle.endpoints) == len(arm.requests) > 5
    assert set(throttle.endpoints) == {f"azure:{PROD}:*"}
