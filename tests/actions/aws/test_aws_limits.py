"""An Auto Scaling group's MinSize/MaxSize, through boto3 -> the limit-enforcing proxy -> moto: the inventory
carries them, plans that cross them are refused before any confirmation (in the conversation too: one line, no
Confirm button), and a request that reaches AWS outside them anyway comes back as AWS's own ValidationError."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import redis
from botocore.exceptions import ClientError

from actions.aws import AwsBackend
from actions.multicloud import MultiCloud
from bot.runtime import Runtime
from core.errors import ProviderError
from core.models import ActionName, ActionRequest, Cloud, Reply
from core.settings import Settings
from fakes.aws_limits import AwsLimits
from tests.actions.aws.conftest import ACCOUNT, REGION, RoutedSession, World
from tests.conversation.conftest import ROOM, runtime_on, speaker

WEB = "aws:prod:us-east-1:asg/web-prod"
WORKER = "aws:prod:us-east-1:asg/worker-prod"


@pytest.fixture
def limits(world: World) -> Iterator[AwsLimits]:
    proxy = AwsLimits(world.url).start()
    autoscaling = boto3.client("autoscaling", region_name=REGION, endpoint_url=proxy.url)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="worker-prod", LaunchTemplate={"LaunchTemplateName": "web"}, MinSize=1, MaxSize=8,
        DesiredCapacity=2, AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": "environment", "Value": "prod", "PropagateAtLaunch": True}],
    )  # fmt: skip
    yield proxy
    proxy.stop()


@pytest.fixture
def aws(limits: AwsLimits) -> AwsBackend:
    session = RoutedSession({REGION: limits.url})
    return AwsBackend([ACCOUNT], timeout=5.0, poll_seconds=0.05, session_factory=lambda _account: session)


def _desired(url: str, name: str) -> int:
    client = boto3.client("autoscaling", region_name=REGION, endpoint_url=url)
    return int(
        client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["DesiredCapacity"]
    )


def _request(action: ActionName, resource_id: str, name: str, count: int | None = None) -> ActionRequest:
    return ActionRequest(
        action=action, resource_id=resource_id, resource_name=name, cloud=Cloud.AWS, region=REGION, environment="prod",
        desired_count=count, requested_by="alice",
    )  # fmt: skip


def test_the_proxy_refuses_a_capacity_outside_the_bounds_as_aws_does(limits: AwsLimits, world: World) -> None:
    autoscaling = boto3.client("autoscaling", region_name=REGION, endpoint_url=limits.url)
    with pytest.raises(ClientError) as above:
        autoscaling.set_desired_capacity(AutoScalingGroupName="web-prod", DesiredCapacity=20)
    assert above.value.response["Error"]["Code"] == "ValidationError"
    assert above.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert above.value.response["Error"]["Message"] == (
        "New SetDesiredCapacity value 20 is above max value 10 for the AutoScalingGroup."
    )
    with pytest.raises(ClientError, match="New SetDesiredCapacity value 0 is below min value 1"):
        autoscaling.set_desired_capacity(AutoScalingGroupName="worker-prod", DesiredCapacity=0)
    with pytest.raises(ClientError, match="Desired capacity:12 must be between the specified min size:0 and max"):
        autoscaling.update_auto_scaling_group(AutoScalingGroupName="web-prod", DesiredCapacity=12)
    assert _desired(world.url, "web-prod") == 3 and _desired(world.url, "worker-prod") == 2  # moto never saw them
    autoscaling.set_desired_capacity(AutoScalingGroupName="web-prod", DesiredCapacity=4)  # inside: forwarded
    assert _desired(world.url, "web-prod") == 4


def test_moto_alone_does_not_check_the_bounds(limits: AwsLimits, world: World) -> None:
    """Why the proxy exists: straight to moto, the same request goes through."""
    boto3.client("autoscaling", region_name=REGION).set_desired_capacity(
        AutoScalingGroupName="web-prod", DesiredCapacity=20
    )
    assert _desired(world.url, "web-prod") == 20


def test_the_inventory_carries_each_groups_bounds_from_the_same_listing(aws: AwsBackend) -> None:
    groups = {r.name: r for r in aws.fetch(aws.scopes()[0]) if r.kind == "group"}
    assert (groups["web-prod"].min_count, groups["web-prod"].max_count) == (0, 10)
    assert (groups["worker-prod"].min_count, groups["worker-prod"].max_count) == (1, 8)
    assert groups["worker-prod"].limits_from == "Auto Scaling group"
    fresh = aws.get(WORKER)
    assert (fresh.min_count, fresh.max_count, fresh.count) == (1, 8, 2)


def test_a_scale_sent_outside_the_bounds_comes_back_as_awss_refusal(aws: AwsBackend, world: World) -> None:
    """Bypassing the plan (the limit changed after it was made): AWS's own sentence, nothing changed."""
    web = aws.get(WEB)
    boto3.client("autoscaling", region_name=REGION).update_auto_scaling_group(
        AutoScalingGroupName="web-prod", MaxSize=5
    )
    with pytest.raises(ProviderError) as refused:
        aws.scale(web, 8, lambda _line: None, timeout=2.0)
    assert (
        str(refused.value)
        == "AWS refused: New SetDesiredCapacity value 8 is above max value 5 for the AutoScalingGroup."
    )
    assert _desired(world.url, "web-prod") == 3


@pytest.fixture
def clouds(aws: AwsBackend, redis_conn: redis.Redis, settings: Settings) -> Iterator[tuple[Runtime, MultiCloud]]:
    with runtime_on([aws], settings, redis_conn, attempts=1) as (runtime, provider):
        yield runtime, provider


def test_plans_crossing_the_bounds_are_refused_before_any_confirmation(
    clouds: tuple[Runtime, MultiCloud],
) -> None:
    _runtime, provider = clouds
    with pytest.raises(ProviderError, match=r"^web-prod's maximum is 10 \(Auto Scaling group\): ask for 10 or less"):
        provider.plan(_request(ActionName.SCALE, WEB, "web-prod", 20))
    for action in (ActionName.STOP, ActionName.SHUTDOWN):
        with pytest.raises(ProviderError, match=r"^worker-prod's minimum is 1 .*: it cannot go to 0"):
            provider.plan(_request(action, WORKER, "worker-prod"))
    capped = provider.plan(_request(ActionName.EMERGENCY_SCALE, WEB, "web-prod", 7))
    assert capped.summary.startswith("web-prod (AWS us-east-1): emergency scale 3 -> 7 instances")
    assert "capped" not in capped.summary
    assert provider.plan(_request(ActionName.SHUTDOWN, WEB, "web-prod")).summary.startswith(
        "web-prod (AWS us-east-1): 3 -> 0 instances"
    )


def _say(runtime: Runtime, text: str) -> list[Reply]:
    return speaker(runtime)(text)


def test_the_conversation_refuses_a_scale_past_the_maximum_in_one_line(
    clouds: tuple[Runtime, MultiCloud], world: World
) -> None:
    runtime, _provider = clouds
    [answer] = _say(runtime, "scale web-prod to 20")
    assert answer.text == (
        "web-prod's maximum is 10 (Auto Scaling group): ask for 10 or less, or raise the maximum in AWS first"
    )
    assert answer.kind != "confirm"  # the change of the limit is only offered, as a button (test_aws_limit_change)
    assert [b.label for b in answer.buttons] == ["Raise max to 20 and scale (admin approves)"]
    assert runtime.conversation.services.confirmations.latest(ROOM) is None
    [stop] = _say(runtime, "stop worker-prod")
    assert stop.text.startswith("worker-prod's minimum is 1") and stop.buttons == ()
    [asked] = _say(runtime, "scale web-prod to 10")
    assert asked.kind == "confirm" and asked.text.startswith("Scale: web-prod (AWS us-east-1): 3 -> 10 instances")
    assert _desired(world.url, "web-prod") == 3


def test_a_confirmed_raise_of_the_maximum_reaches_aws_with_the_scale(
    clouds: tuple[Runtime, MultiCloud], world: World
) -> None:
    _runtime, provider = clouds
    request = _request(ActionName.SCALE, WEB, "web-prod", 12).model_copy(update={"new_max_count": 12})
    assert provider.plan(request).summary.startswith("web-prod (AWS us-east-1): 3 -> 12 instances, max 10 -> 12")
    outcome = provider.execute(request, lambda _line: None)
    assert outcome.summary == "web-prod is at 12 instances"
    assert (outcome.resource.min_count, outcome.resource.max_count) == (0, 12)
    group = boto3.client("autoscaling", region_name=REGION, endpoint_url=world.url).describe_auto_scaling_groups(
        AutoScalingGroupNames=["web-prod"]
    )["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 12, 12)


def test_a_scale_without_a_new_limit_leaves_the_limits_alone(aws: AwsBackend, world: World) -> None:
    aws.scale(aws.get(WEB), 5, lambda _line: None, timeout=5.0)
    group = boto3.client("autoscaling", region_name=REGION, endpoint_url=world.url).describe_auto_scaling_groups(
        AutoScalingGroupNames=["web-prod"]
    )["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 10, 5)
