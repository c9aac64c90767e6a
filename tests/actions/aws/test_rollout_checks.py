"""What stops an AWS group from rolling, checked before anything changes: boto3 -> the instance-refresh fake ->
moto, on the world of test_rollout (web-prod: 4 instances on launch template web version 2). Each problem is one
line naming AWS, the group and the fix; a release that can roll has none. moto has no EC2 Service Quotas: the fake
answers the On-Demand Standard vCPU quota when a test sets one."""

from __future__ import annotations

import pytest

from actions.aws.rollout import AwsRollouts
from actions.deploy.model import Strategy, VersionSpec
from core.errors import ProviderAuthError
from fakes.aws_refresh import AwsRefresh
from tests.actions.aws.conftest import ACCOUNT, REGION, CountingThrottle, RoutedSession
from tests.actions.aws.fake_aws import fake_aws, query_error
from tests.actions.aws.test_rollout import BROKEN, NEXT, Releases, change, refresh_proxy, releases, rollouts, routed

__all__ = ["refresh_proxy", "releases", "rollouts", "routed"]  # the fake, the world and the backend (test_rollout)

UNHEALTHY = (
    "AWS web-prod: only 2 of 4 instances are healthy, 4 needed to start (90%): fix or replace the unhealthy ones first"
)
SURGE = (
    "AWS web-prod: the surge needs 26 vCPUs (13 x m5.large) but 24 of 40 On-Demand vCPUs are free in us-east-1: ask "
    "for a higher quota (L-1216C47A) or lower the surge"
)


def test_a_release_that_can_roll_has_no_problem_and_changes_nothing(routed: RoutedSession, releases: Releases) -> None:
    throttle = CountingThrottle()
    rollouts = AwsRollouts([ACCOUNT], throttle=throttle, timeout=5.0, session_factory=lambda _a: routed)
    before = releases.group()
    assert rollouts.check(change()) == []
    assert rollouts.check(change(BROKEN)) == []  # it fails only once it runs
    assert len(throttle.waits) <= 2 * 8  # a handful of reads each, every one through the account's throttle
    assert set(throttle.waits) == {f"aws:prod:{REGION}"}
    after = releases.group()
    assert after["Instances"] == before["Instances"] and after["LaunchTemplate"] == before["LaunchTemplate"]


def test_a_missing_launch_template_version_is_one_line(rollouts: AwsRollouts, releases: Releases) -> None:
    assert rollouts.check(change("9")) == [
        "AWS web-prod: launch template web has no version 9: create it, or fix versions.v9.aws in the release manifest"
    ]
    assert rollouts.check(change(to=VersionSpec(launch_template="api", template_version="1"))) == [
        "AWS web-prod: launch template api has no version 1: create it, or fix versions.v3.aws in the release manifest"
    ]


def test_a_missing_image_is_one_line(rollouts: AwsRollouts, releases: Releases) -> None:
    gone = "AWS web-prod: image {} of {} does not exist or is not shared with this account: register or share it, "
    gone += "or fix the version in the release manifest"
    # Template version 1 launches an image moto never had.
    assert rollouts.check(change("1")) == [gone.format("ami-12c6146b", "v1")]
    assert rollouts.check(change(to=VersionSpec(ami="ami-0123456789abcdef0"))) == [
        gone.format("ami-0123456789abcdef0", f"v{NEXT}")
    ]


def test_an_instance_type_the_region_does_not_offer_is_one_line(rollouts: AwsRollouts, releases: Releases) -> None:
    data = {"ImageId": releases.images["2"], "InstanceType": "m5.colossal"}
    made = releases.ec2.create_launch_template_version(LaunchTemplateName="web", LaunchTemplateData=data)
    version = str(made["LaunchTemplateVersion"]["VersionNumber"])
    assert rollouts.check(change(version)) == [
        "AWS web-prod: m5.colossal is not offered in us-east-1: pick another instance type in the launch template"
    ]


def test_too_little_room_for_the_surge_is_one_line(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    assert rollouts.check(change(strategy=Strategy(surge=100))) == []  # no quota to read: not checked, not refused
    refresh_proxy.vcpu_quota = 40  # 8 m5.large run (web-prod and web-default): 16 of 40 vCPUs used
    assert rollouts.check(change(strategy=Strategy(surge=12))) == []
    assert rollouts.check(change(strategy=Strategy(surge=13))) == [SURGE]


def test_a_group_too_unhealthy_to_start_is_refused_with_the_numbers(
    rollouts: AwsRollouts, releases: Releases, refresh_proxy: AwsRefresh
) -> None:
    refresh_proxy.vcpu_quota = 40
    members = [m["InstanceId"] for m in releases.group()["Instances"]]
    for instance_id in members[:2]:
        releases.autoscaling.set_instance_health(InstanceId=instance_id, HealthStatus="Unhealthy")
    assert rollouts.check(change()) == [UNHEALTHY]
    assert rollouts.check(change(strategy=Strategy(min_healthy_percent=50, batch_percent=50))) == []
    assert rollouts.check(change(strategy=Strategy(surge=13))) == [SURGE, UNHEALTHY]


def test_a_group_that_is_gone_is_one_line(rollouts: AwsRollouts, releases: Releases) -> None:
    assert rollouts.check(change(group="web-gone")) == [
        "AWS web-gone: no such Auto Scaling group in prod us-east-1: check the inventory"
    ]


@pytest.mark.parametrize("status", [401, 403])
def test_credentials_refused_while_checking_is_the_one_error(status: int) -> None:
    with fake_aws() as aws:
        aws.answer("DescribeAutoScalingGroups", status, query_error("AccessDenied", "User is not authorized"))
        aws.answer("DescribeLaunchTemplateVersions", status, query_error("UnauthorizedOperation", "Not authorized"))
        session = RoutedSession({REGION: aws.url})
        rollouts = AwsRollouts([ACCOUNT], throttle=CountingThrottle(), timeout=2.0, session_factory=lambda _a: session)
        with pytest.raises(ProviderAuthError, match=r"^AWS: credentials refused for prod - check "):
            rollouts.check(change())
