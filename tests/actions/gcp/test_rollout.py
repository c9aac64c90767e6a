"""MIG rolling updates through the real google-cloud-compute clients against the Compute Engine fake: a deploy
moving batch by batch to succeeded, a failing template, pause/resume, cancel, canary, rollback, and the cloud's
errors as one line naming the group."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from actions.deploy.model import GroupChange, RolloutState, VersionSpec
from actions.gcp.rollout import GcpRollouts
from core.cloud_config import GcpProject
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from fakes.gcp_compute import FakeComputeApi
from tests.actions.gcp.conftest import PROJECT, ZONE_B, RecordingThrottle, mig_change

GROUP = "web-edge-prod"


@pytest.fixture
def group(fake: FakeComputeApi) -> FakeComputeApi:
    """web-edge-prod: 4 instances on web-v2-3; the templates v2.4 (good) and v2.5 (fails its health checks)."""
    fake.rollouts.add_template(PROJECT, "web-v2-3")
    fake.rollouts.add_template(PROJECT, "web-v2-4")
    fake.rollouts.add_template(PROJECT, "web-v2-5", unhealthy=True)
    fake.add_mig(PROJECT, ZONE_B, GROUP, 4, template="web-v2-3")
    return fake


def _mig(fake: FakeComputeApi):  # type: ignore[no-untyped-def]
    return fake.add_zone(PROJECT, ZONE_B).migs[GROUP]


def _templates(fake: FakeComputeApi) -> list[str]:
    return [m.template.rsplit("/", 1)[-1] for m in fake.members(PROJECT, ZONE_B, GROUP)]


def _watch(rollouts: GcpRollouts, change: GroupChange, handle: str, until: set[str], polls: int = 40
           ) -> list[RolloutState]:  # fmt: skip
    seen = [rollouts.state(change, handle)]
    while seen[-1].status not in until and len(seen) < polls:
        seen.append(rollouts.state(change, handle))
    return seen


def test_a_deploy_rolls_batch_by_batch_to_succeeded(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change(surge=1)  # 4 instances, 75% kept: maxSurge 1 + maxUnavailable 1

    handle = rollouts.start(change)
    seen = _watch(rollouts, change, handle, {"succeeded"})

    assert handle == "deploy:web-v2-4"
    assert seen[-1].status == "succeeded"
    assert (seen[-1].percent, seen[-1].updated, seen[-1].healthy, seen[-1].total) == (100, 4, 4, 4)
    percents = [s.percent for s in seen]
    assert percents == sorted(percents) and len(set(percents) - {0, 100}) > 0  # seen part way
    assert {s.status for s in seen[:-1]} == {"rolling"}
    assert _templates(group) == ["web-v2-4"] * 4
    assert rollouts.running(change) == VersionSpec(instance_template="web-v2-4")
    patch = group.seen(f"/instanceGroupManagers/{GROUP}", "PATCH")
    assert len(patch) == 1
    policy = _mig(group).update.policy
    assert (policy["type"], policy["minimalAction"], policy["maxSurge"]["fixed"], policy["maxUnavailable"]["fixed"]) \
        == ("PROACTIVE", "REPLACE", 1, 1)  # fmt: skip


def test_a_template_failing_its_health_checks_fails_the_rollout_naming_instances(
    group: FakeComputeApi, rollouts: GcpRollouts
) -> None:
    change = mig_change(template="web-v2-5", version="v2.5")

    handle = rollouts.start(change)
    seen = _watch(rollouts, change, handle, {"failed"})

    assert seen[-1].status == "failed"
    assert seen[-1].unhealthy and all(name.startswith(f"{GROUP}-") for name in seen[-1].unhealthy)
    assert seen[-1].detail.startswith(f"{len(seen[-1].unhealthy)} of ")
    assert "fail their health checks" in seen[-1].detail
    assert _templates(group).count("web-v2-3") >= 2  # the update stalls: the rest are never replaced


def test_pause_keeps_replaced_instances_and_resume_goes_on(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change(surge=1, min_healthy_percent=100)  # one at a time
    handle = rollouts.start(change)
    _watch(rollouts, change, handle, {"never"}, polls=3)

    assert rollouts.pause(change, handle) == handle
    paused = _watch(rollouts, change, handle, {"never"}, polls=4)[-1]
    replaced = _templates(group).count("web-v2-4")

    assert paused.status == "paused" and 0 < paused.updated < 4
    assert 0 < replaced < 4 and _templates(group).count("web-v2-4") == replaced
    assert rollouts.resume(change, handle) == handle
    done = _watch(rollouts, change, handle, {"succeeded"})[-1]
    assert done.status == "succeeded" and _templates(group) == ["web-v2-4"] * 4


def test_cancel_stops_where_it_is_and_the_rest_keep_the_old_template(
    group: FakeComputeApi, rollouts: GcpRollouts
) -> None:
    change = mig_change(surge=1, min_healthy_percent=100)
    handle = rollouts.start(change)
    _watch(rollouts, change, handle, {"never"}, polls=3)

    rollouts.cancel(change, handle)
    rollouts.cancel(change, handle)  # again (a worker retrying): nothing more to do
    state = _watch(rollouts, change, handle, {"never"}, polls=4)[-1]

    assert state.status == "cancelled"
    assert state.detail == "cancelled: the rest keep the old template"
    assert 0 < _templates(group).count("web-v2-4") < 4 and "web-v2-3" in _templates(group)
    assert len(group.seen(f"/instanceGroupManagers/{GROUP}", "PATCH")) == 2


def test_a_canary_waits_paused_until_resumed(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change(canary_percent=25)

    handle = rollouts.start(change)
    at_canary = _watch(rollouts, change, handle, {"paused"})[-1]

    assert handle == "canary:web-v2-4"
    assert (at_canary.status, at_canary.updated) == ("paused", 1)
    assert at_canary.detail == "canary 25% healthy: resume to go on"
    assert sorted(_templates(group)) == ["web-v2-3"] * 3 + ["web-v2-4"]
    assert rollouts.start(change) == handle  # a worker starting it again: still the canary, no second patch
    assert len(group.seen(f"/instanceGroupManagers/{GROUP}", "PATCH")) == 1

    onward = rollouts.resume(change, handle)
    done = _watch(rollouts, change, onward, {"succeeded"})[-1]

    assert onward == "deploy:web-v2-4" and done.status == "succeeded"
    assert _templates(group) == ["web-v2-4"] * 4


def test_roll_back_in_flight_returns_every_instance(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change(template="web-v2-5", version="v2.5")
    handle = rollouts.start(change)
    _watch(rollouts, change, handle, {"failed"})

    back = mig_change(template="web-v2-3", version="v2.3")
    undo = rollouts.roll_back(back, handle)
    seen = _watch(rollouts, back, undo, {"rolled_back"})

    assert undo == "rollback:web-v2-3"
    assert seen[0].status == "rolling_back" and seen[-1].status == "rolled_back"
    assert _templates(group) == ["web-v2-3"] * 4
    assert rollouts.state(change, handle).status == "cancelled"  # the failed deploy's own handle: replaced


def test_roll_back_after_success(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change()
    _watch(rollouts, change, rollouts.start(change), {"succeeded"})

    back = mig_change(template="web-v2-3", version="v2.3")
    done = _watch(rollouts, back, rollouts.roll_back(back, None), {"rolled_back"})[-1]

    assert done.status == "rolled_back" and _templates(group) == ["web-v2-3"] * 4
    assert rollouts.running(change) == VersionSpec(instance_template="web-v2-3")


def test_start_twice_is_one_rollout(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change()

    first, second = rollouts.start(change), rollouts.start(change)

    assert first == second == "deploy:web-v2-4"
    patches = group.seen(f"/instanceGroupManagers/{GROUP}", "PATCH")
    assert len(patches) == 1


def test_an_empty_standby_group_takes_the_version_at_once(fake: FakeComputeApi, rollouts: GcpRollouts) -> None:
    fake.rollouts.add_template(PROJECT, "web-v2-4")
    fake.add_mig(PROJECT, ZONE_B, "web-dr", 0)
    change = mig_change("web-dr", size=0)

    state = rollouts.state(change, rollouts.start(change))

    assert (state.status, state.percent, state.total) == ("succeeded", 100, 0)
    assert rollouts.running(change) == VersionSpec(instance_template="web-v2-4")


def test_an_update_the_api_refuses_is_one_line(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change(surge=0, min_healthy_percent=100)

    with pytest.raises(ProviderError) as caught:
        rollouts.start(change)

    assert str(caught.value).startswith(f"GCP {GROUP}: Invalid value for field 'resource.updatePolicy.maxUnavailable'")
    assert _mig(group).update.policy["type"] == "OPPORTUNISTIC"  # nothing changed


def test_a_missing_template_at_start_names_it(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    with pytest.raises(ResourceNotFound) as caught:
        rollouts.start(mig_change(template="web-v9-9", version="v9.9"))

    assert str(caught.value) == f"GCP: {GROUP} or its instance template web-v9-9 was not found in project {PROJECT}."
    assert _templates(group) == ["web-v2-3"] * 4


@pytest.mark.parametrize(
    ("status", "error", "line"),
    [
        (403, ProviderAuthError, f"GCP {GROUP}: credentials refused for project {PROJECT}"),
        (404, ResourceNotFound, f"GCP: {GROUP} or its instance template web-v2-4 was not found in project {PROJECT}."),
        (409, ProviderError, f"GCP {GROUP}: The resource is not ready: another operation is changing it."),
        (429, TransientProviderError, f"GCP {GROUP}: GCP is throttling project {PROJECT}; try again shortly."),
    ],
)
def test_an_error_from_the_cloud_is_one_line_naming_the_group(
    group: FakeComputeApi, rollouts: GcpRollouts, status: int, error: type[ProviderError], line: str
) -> None:
    group.fail(f"/instanceGroupManagers/{GROUP}", status, method="PATCH", retry_after=3)

    with pytest.raises(error) as caught:
        rollouts.start(mig_change())

    assert type(caught.value) is error
    assert str(caught.value).startswith(line)
    if status == 429:
        assert isinstance(caught.value, TransientProviderError) and caught.value.retry_after == 3


def test_a_patch_operation_ending_in_error_is_reported(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    group.fail_next_operation("RESOURCE_NOT_READY", "The resource is being used by another operation.")

    with pytest.raises(ProviderError) as caught:
        rollouts.start(mig_change())

    assert str(caught.value) == f"GCP could not update {GROUP}: The resource is being used by another operation."
    assert rollouts.running(mig_change()) == VersionSpec(instance_template="web-v2-3")


def test_another_worker_picks_up_the_rollout_through_the_throttle(group: FakeComputeApi, rollouts: GcpRollouts) -> None:
    change = mig_change()
    handle = rollouts.start(change)
    throttle = RecordingThrottle()
    # a second worker (the first died): a backend of its own, with the handle from the deploy record
    other = GcpRollouts([GcpProject(id=PROJECT)], compute_url=f"{group.url}/", throttle=throttle, timeout=2.0,
                        credentials=AnonymousCredentials(), poll_seconds=0.01)  # type: ignore[no-untyped-call]  # fmt: skip
    asked = len(group.requests)

    assert other.start(change) == handle  # nothing started twice
    done = _watch(other, change, handle, {"succeeded"})[-1]

    assert done.status == "succeeded"
    assert len(group.seen(f"/instanceGroupManagers/{GROUP}", "PATCH")) == 1
    assert set(throttle.endpoints) == {f"gcp:{PROJECT}:*"}
    assert len(throttle.endpoints) == len(group.requests) - asked  # a wait before every request
