"""AWS rollouts through instance refresh: boto3 -> the instance-refresh fake (fakes.aws_refresh) -> moto. The group
web-prod of 4 instances on launch template web version 2 rolls to version 3 (each version its own AMI in moto)
batch by batch, and the group's own template says 3 at the end; version 4's new instances fail their health checks.
Each state read is one step of the fake, so the tests move a refresh by reading it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from actions.aws.rollout import AwsRollouts, preferences
from actions.backend import NoThrottle
from actions.deploy.model import GroupChange, RolloutState, Strategy, VersionSpec
from core.errors import ProviderAuthError, ProviderError, ResourceNotFound, TransientProviderError
from core.models import Cloud
from fakes.aws_refresh import AwsRefresh
from tests.actions.aws.conftest import ACCOUNT, IMAGE, REGION, RoutedSession, empty_world
from tests.actions.aws.fake_aws import fake_aws, query_error

STEPS = 40  # state reads a test allows a refresh before it calls it stuck


@dataclass
class Releases:
    """The moto world: images per template version, and clients straight to moto (not through the fake)."""

    ec2: Any
    autoscaling: Any
    images: dict[str, str]  # template version -> AMI id

    def group(self, name: str = "web-prod") -> dict[str, Any]:
        found = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
        group: dict[str, Any] = found["AutoScalingGroups"][0]
        return group

    def members_on(self, image: str, name: str = "web-prod") -> list[str]:
        ids = [m["InstanceId"] for m in self.group(name)["Instances"]]
        reservations = self.ec2.describe_instances(InstanceIds=ids)["Reservations"]
        return [i["InstanceId"] for r in reservations for i in r["Instances"] if i["ImageId"] == image]

    def images_of(self, name: str = "web-prod") -> list[str]:
        ids = [m["InstanceId"] for m in self.group(name)["Instances"]]
        reservations = self.ec2.describe_instances(InstanceIds=ids)["Reservations"]
        return sorted(i["ImageId"] for r in reservations for i in r["Instances"])


@pytest.fixture(scope="session")
def refresh_proxy(moto_url: str) -> Iterator[AwsRefresh]:
    proxy = AwsRefresh(moto_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def routed(refresh_proxy: AwsRefresh) -> RoutedSession:
    return RoutedSession({REGION: refresh_proxy.url})


def _image(ec2: Any, name: str) -> str:
    launched = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1)
    instance_id = launched["Instances"][0]["InstanceId"]
    image = str(ec2.create_image(InstanceId=instance_id, Name=name)["ImageId"])
    ec2.terminate_instances(InstanceIds=[instance_id])
    return image


def build_releases(url: str) -> Releases:
    """Launch template web: v1 (what runs), v2 (the next release), v3 (the broken one), each its own AMI;
    web-prod (4, on template version 2) and web-default (4, on the template's $Default, also 2)."""
    _world, ec2, autoscaling = empty_world(url)
    images = {"1": _image(ec2, "web-1"), "2": _image(ec2, "web-2"), "3": _image(ec2, "web-3")}
    for release in ("1", "2", "3"):  # template versions 2, 3, 4
        data = {"ImageId": images[release], "InstanceType": "m5.large"}
        ec2.create_launch_template_version(LaunchTemplateName="web", SourceVersion="1", LaunchTemplateData=data)
    ec2.modify_launch_template(LaunchTemplateName="web", DefaultVersion="2")
    for name, size, version in (("web-prod", 4, "2"), ("web-default", 4, "$Default")):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateName": "web", "Version": version},
            MinSize=0, MaxSize=10, DesiredCapacity=size, AvailabilityZones=[f"{REGION}a"],
            Tags=[{"Key": "environment", "Value": "prod", "PropagateAtLaunch": True}],
        )  # fmt: skip
    return Releases(ec2=ec2, autoscaling=autoscaling, images={"1": images["1"], "2": images["2"], "3": images["3"]})


# Template versions in moto: 1 (the empty world's, an image moto does not know), 2 = release 1, 3 = release 2,
# 4 = release 3 (broken).
RUNNING, NEXT, BROKEN = "2", "3", "4"


@pytest.fixture
def releases(moto_url: str, refresh_proxy: AwsRefresh) -> Releases:
    refresh_proxy.clear()
    return build_releases(moto_url)


@pytest.fixture
def rollouts(routed: RoutedSession) -> AwsRollouts:
    return AwsRollouts([ACCOUNT], throttle=NoThrottle(), timeout=5.0, session_factory=lambda _a: routed,
                       poll_seconds=0.01)  # fmt: skip


def change(version: str = NEXT, *, group: str = "web-prod", size: int = 4, to: VersionSpec | None = None,
           strategy: Strategy | None = None) -> GroupChange:  # fmt: skip
    return GroupChange(
        group_id=f"aws:prod:{REGION}:asg/{group}", group=group, cloud=Cloud.AWS, region=REGION, size=size,
        from_version="v1", to_version=f"v{version}",
        to=to or VersionSpec(launch_template="web", template_version=version), strategy=strategy or Strategy(),
        expected_seconds=60,
    )  # fmt: skip


def until(rollouts: AwsRollouts, wanted: GroupChange, handle: str, status: str) -> list[RolloutState]:
    """Read the state until it says `status` (each read is one step of the fake); every state read."""
    seen = [rollouts.state(wanted, handle)]
    while seen[-1].status != status:
        assert len(seen) < STEPS, f"stuck: {seen[-1]}"
        assert seen[-1].status in ("pending", "rolling", "rolling_back"), seen[-1]
        seen.append(rollouts.state(wanted, handle))
    return seen


def test_a_refresh_replaces_the_group_in_batches_and_the_group_then_runs_the_version(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    handle = rollouts.start(change())
    seen = until(rollouts, change(), handle, "succeeded")
    assert seen[0].status in ("pending", "rolling") and seen[0].percent == 0
    rolling = [s for s in seen if s.status == "rolling"]
    assert len(rolling) >= 3  # one instance a batch: MinHealthy 90 % of 4 leaves room for the surge of one only
    assert [s.percent for s in seen] == sorted(s.percent for s in seen)
    assert seen[-1].percent == 100 and seen[-1].updated == 4 and seen[-1].healthy == 4 and seen[-1].total == 4
    assert releases.images_of() == [releases.images["2"]] * 4
    assert rollouts.running(change()) == VersionSpec(launch_template="web", template_version=NEXT)
    sent = boto3.client("autoscaling", region_name=REGION, endpoint_url=refresh_proxy.url).describe_instance_refreshes(
        AutoScalingGroupName="web-prod")["InstanceRefreshes"][0]["Preferences"]  # fmt: skip
    assert (sent["MinHealthyPercentage"], sent["MaxHealthyPercentage"], sent["SkipMatching"]) == (90, 125, True)
    assert sent["InstanceWarmup"] == 60 and sent["AutoRollback"] is False


def test_starting_twice_is_one_refresh_in_flight_and_after(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    first = rollouts.start(change())
    assert rollouts.start(change()) == first
    until(rollouts, change(), first, "succeeded")
    assert rollouts.start(change()) == first
    assert refresh_proxy.requests.count("StartInstanceRefresh") == 1


def test_a_version_failing_its_health_checks_fails_the_refresh_and_names_the_instances(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    refresh_proxy.fail_version("web", BROKEN)
    handle = rollouts.start(change(BROKEN))
    failed = until(rollouts, change(BROKEN), handle, "failed")[-1]
    unhealthy = [m["InstanceId"] for m in releases.group()["Instances"] if m["HealthStatus"] == "Unhealthy"]
    assert failed.unhealthy == tuple(sorted(unhealthy)) and len(failed.unhealthy) == 1
    assert "failed their health checks" in failed.detail and failed.unhealthy[0] in failed.detail
    assert failed.percent < 100
    assert rollouts.running(change()) == VersionSpec(launch_template="web", template_version=RUNNING)


def test_pause_keeps_the_replaced_instances_and_resume_replaces_only_the_rest(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    handle = rollouts.start(change())
    while (now := rollouts.state(change(), handle)).updated < 2:
        assert now.status in ("pending", "rolling")
    paused = rollouts.pause(change(), handle)
    assert paused == f"{handle}:paused"
    assert rollouts.pause(change(), paused) == paused  # pressed twice: still the one pause
    replaced = rollouts.state(change(), paused).updated
    for _ in range(3):
        state = rollouts.state(change(), paused)
        assert state.status == "paused" and state.updated == replaced
    assert 2 <= releases.images_of().count(releases.images["2"]) == replaced < 4
    kept = set(releases.members_on(releases.images["2"]))
    resumed = rollouts.resume(change(), paused)
    assert resumed != handle and rollouts.resume(change(), paused) == resumed  # pressed twice: one refresh
    until(rollouts, change(), resumed, "succeeded")
    assert releases.images_of() == [releases.images["2"]] * 4
    assert kept <= set(releases.members_on(releases.images["2"]))  # SkipMatching: those already on it stayed
    assert refresh_proxy.requests.count("StartInstanceRefresh") == 2


def test_resume_right_after_pause_waits_for_aws_to_stop_the_refresh(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    handle = rollouts.start(change())
    rollouts.state(change(), handle)
    resumed = rollouts.resume(change(), rollouts.pause(change(), handle))  # the pause is still Cancelling
    until(rollouts, change(), resumed, "succeeded")
    assert refresh_proxy.requests.count("StartInstanceRefresh") == 2


def test_cancel_stops_the_refresh_for_good_where_it_is(rollouts: AwsRollouts, releases: Releases) -> None:
    handle = rollouts.start(change())
    while rollouts.state(change(), handle).updated < 1:
        pass
    rollouts.cancel(change(), handle)
    rollouts.cancel(change(), handle)  # again: nothing left to stop, no error
    replaced = rollouts.state(change(), handle).updated
    for _ in range(3):
        state = rollouts.state(change(), handle)
        assert state.status == "cancelled" and state.updated == replaced
    assert 1 <= replaced < 4
    assert releases.images_of().count(releases.images["2"]) == replaced
    assert rollouts.running(change()) == VersionSpec(launch_template="web", template_version=RUNNING)


def test_roll_back_in_flight_turns_the_refresh_around(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    handle = rollouts.start(change())
    while rollouts.state(change(), handle).updated < 2:
        pass
    back = rollouts.roll_back(change(RUNNING), handle)
    assert back == f"{handle}:rollback"
    assert rollouts.roll_back(change(RUNNING), handle) == back  # pressed twice: one rollback
    assert refresh_proxy.requests.count("RollbackInstanceRefresh") == 1
    assert rollouts.state(change(), handle).status == "rolling_back"  # the deploy's own view of its refresh
    seen = until(rollouts, change(RUNNING), back, "succeeded")
    assert seen[-1].percent == 100 and seen[-1].updated == 4
    assert releases.images_of() == [releases.images["1"]] * 4
    assert rollouts.state(change(), handle).status == "rolled_back"
    assert rollouts.roll_back(change(RUNNING), handle) == back  # a worker asking again afterwards
    assert refresh_proxy.requests.count("StartInstanceRefresh") == 1


def test_roll_back_after_the_deploy_finished_is_a_refresh_back(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    handle = rollouts.start(change())
    until(rollouts, change(), handle, "succeeded")
    back = rollouts.roll_back(change(RUNNING), handle)
    assert ":" not in back and back != handle
    until(rollouts, change(RUNNING), back, "succeeded")
    assert rollouts.running(change()) == VersionSpec(launch_template="web", template_version=RUNNING)
    assert releases.images_of() == [releases.images["1"]] * 4
    assert "RollbackInstanceRefresh" not in refresh_proxy.requests


def test_roll_back_of_a_group_on_default_cancels_and_refreshes_back(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    """AWS refuses RollbackInstanceRefresh for a group on $Default (IrreversibleInstanceRefresh)."""
    forward, backward = change(group="web-default"), change(RUNNING, group="web-default")
    handle = rollouts.start(forward)
    while rollouts.state(forward, handle).updated < 1:
        pass
    back = rollouts.roll_back(backward, handle)
    assert ":" not in back and back != handle
    assert refresh_proxy.requests.count("RollbackInstanceRefresh") == 1
    assert refresh_proxy.requests.count("CancelInstanceRefresh") == 1
    assert rollouts.state(forward, handle).status == "cancelled"
    until(rollouts, backward, back, "succeeded")
    assert releases.images_of("web-default") == [releases.images["1"]] * 4


def test_an_ami_becomes_one_launch_template_version_of_the_group(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    image = _image(releases.ec2, "web-ami")
    by_ami = change(to=VersionSpec(ami=image))
    handle = rollouts.start(by_ami)
    assert rollouts.start(by_ami) == handle
    until(rollouts, by_ami, handle, "succeeded")
    versions = releases.ec2.describe_launch_template_versions(LaunchTemplateName="web")["LaunchTemplateVersions"]
    made = [v for v in versions if v["LaunchTemplateData"].get("ImageId") == image]
    assert len(made) == 1 and made[0]["VersionDescription"] == "opsbot v3"
    assert releases.images_of() == [image] * 4
    other = change(group="web-default", to=VersionSpec(ami=image))
    rollouts.start(other)
    versions = releases.ec2.describe_launch_template_versions(LaunchTemplateName="web")["LaunchTemplateVersions"]
    assert len([v for v in versions if v["LaunchTemplateData"].get("ImageId") == image]) == 1


def test_another_refresh_of_the_group_is_one_line(rollouts: AwsRollouts, releases: Releases) -> None:
    rollouts.start(change())
    with pytest.raises(ProviderError) as refused:
        rollouts.start(change(BROKEN))
    assert str(refused.value).startswith("AWS web-prod: another instance refresh is running (")
    assert str(refused.value).endswith("): wait for it or cancel it")


def test_a_group_that_is_gone_is_one_line(rollouts: AwsRollouts, releases: Releases) -> None:
    with pytest.raises(ResourceNotFound, match=r"^AWS: group web-gone not found in prod us-east-1$"):
        rollouts.start(change(group="web-gone"))
    with pytest.raises(ProviderError, match=r"^AWS web-prod: launch template web has no version 9: create it"):
        rollouts.start(change("9"))


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (403, "AccessDenied", ProviderAuthError),
        (429, "Throttling", TransientProviderError),
        (400, "ResourceContention", ProviderError),
    ],
)
def test_a_refusal_from_aws_is_one_line(status: int, code: str, error: type[ProviderError]) -> None:
    with fake_aws() as aws:
        aws.answer("DescribeAutoScalingGroups", status, query_error(code, "Rate exceeded or not allowed"))
        session = RoutedSession({REGION: aws.url})
        rollouts = AwsRollouts([ACCOUNT], throttle=NoThrottle(), timeout=2.0, session_factory=lambda _a: session)
        with pytest.raises(error) as raised:
            rollouts.start(change())
    line = str(raised.value)
    assert type(raised.value) is error and "\n" not in line and "AWS" in line


def test_the_strategy_becomes_the_refresh_preferences() -> None:
    careful = Strategy(batch_percent=10, surge=2, min_healthy_percent=80, warmup_seconds=30, checkpoints=(50, 20),
                       auto_rollback=True, alarms=("web-5xx",))  # fmt: skip
    assert preferences(careful, 12, auto_rollback=True) == {
        "MinHealthyPercentage": 90, "MaxHealthyPercentage": 117, "InstanceWarmup": 30, "SkipMatching": True,
        "AutoRollback": True, "CheckpointPercentages": [20, 50, 100], "AlarmSpecification": {"Alarms": ["web-5xx"]},
    }  # fmt: skip
    all_at_once = Strategy(batch_percent=100, surge=100, min_healthy_percent=0)
    assert preferences(all_at_once, 1, auto_rollback=False)["MaxHealthyPercentage"] == 100  # AWS: at most 100 apart
    doubled = Strategy(batch_percent=50, surge=100, min_healthy_percent=50)
    assert preferences(doubled, 1, auto_rollback=False)["MaxHealthyPercentage"] == 150
    assert preferences(Strategy(), 0, auto_rollback=False)["MaxHealthyPercentage"] == 100


def test_a_checkpoint_holds_the_refresh_for_a_step(rollouts: AwsRollouts, releases: Releases) -> None:
    halves = change(strategy=Strategy(batch_percent=50, min_healthy_percent=50, checkpoints=(50,)))
    handle = rollouts.start(halves)
    seen = until(rollouts, halves, handle, "succeeded")
    held = [s for s in seen if "checkpoint of 50%" in s.detail]
    assert held and all(s.percent == 50 and s.status == "rolling" for s in held)


def test_auto_rollback_turns_a_failing_refresh_around(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    refresh_proxy.fail_version("web", BROKEN)
    guarded = change(BROKEN, strategy=Strategy(auto_rollback=True))
    handle = rollouts.start(guarded)
    seen = until(rollouts, guarded, handle, "rolling_back")
    assert seen[-1].detail.startswith("Rollback triggered due to instance refresh failure.")
    while (state := rollouts.state(guarded, handle)).status == "rolling_back":
        pass
    assert state.status == "rolled_back" and state.percent == 0 and state.unhealthy == ()
    assert releases.images_of() == [releases.images["1"]] * 4
    # A group on $Default cannot be rolled back by AWS: opsbot does not ask for AutoRollback there.
    other = change(BROKEN, group="web-default", strategy=Strategy(auto_rollback=True))
    rollouts.start(other)
    sent = boto3.client("autoscaling", region_name=REGION, endpoint_url=refresh_proxy.url).describe_instance_refreshes(
        AutoScalingGroupName="web-default")["InstanceRefreshes"][0]["Preferences"]  # fmt: skip
    assert sent["AutoRollback"] is False
