"""The instance-refresh fake answers as the Auto Scaling API reference says, seen through boto3's own modelled
errors (botocore's service model: InstanceRefreshInProgressFault, ActiveInstanceRefreshNotFoundFault,
IrreversibleInstanceRefreshFault are 400s with those codes), and still forwards and limits everything else."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fakes.aws_refresh import IN_PROGRESS_MESSAGE, AwsRefresh
from tests.actions.aws.conftest import REGION
from tests.actions.aws.test_rollout import NEXT, Releases, refresh_proxy, releases, routed

__all__ = ["refresh_proxy", "releases", "routed"]  # the fake and its moto world (test_rollout)

TO_NEXT = {"LaunchTemplate": {"LaunchTemplateName": "web", "Version": NEXT}}


def _client(proxy: AwsRefresh) -> Any:
    return boto3.client("autoscaling", region_name=REGION, endpoint_url=proxy.url)


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = error.value.response
    return int(response["ResponseMetadata"]["HTTPStatusCode"]), str(response["Error"]["Code"])


def test_one_active_refresh_per_group_and_its_rollback(refresh_proxy: AwsRefresh, releases: Releases) -> None:
    client = _client(refresh_proxy)
    with pytest.raises(client.exceptions.ActiveInstanceRefreshNotFoundFault):
        client.cancel_instance_refresh(AutoScalingGroupName="web-prod")
    with pytest.raises(client.exceptions.ActiveInstanceRefreshNotFoundFault):
        client.rollback_instance_refresh(AutoScalingGroupName="web-prod")
    started = client.start_instance_refresh(AutoScalingGroupName="web-prod", DesiredConfiguration=TO_NEXT)
    with pytest.raises(client.exceptions.InstanceRefreshInProgressFault) as busy:
        client.start_instance_refresh(AutoScalingGroupName="web-prod", DesiredConfiguration=TO_NEXT)
    assert _code(busy) == (400, "InstanceRefreshInProgress")
    assert busy.value.response["Error"]["Message"] == IN_PROGRESS_MESSAGE
    refresh = client.describe_instance_refreshes(AutoScalingGroupName="web-prod")["InstanceRefreshes"][0]
    assert refresh["InstanceRefreshId"] == started["InstanceRefreshId"] and refresh["Status"] == "InProgress"
    assert refresh["DesiredConfiguration"] == TO_NEXT and refresh["Strategy"] == "Rolling"
    client.describe_instance_refreshes(AutoScalingGroupName="web-prod")  # a batch replaced
    assert client.rollback_instance_refresh(AutoScalingGroupName="web-prod")["InstanceRefreshId"] == refresh[
        "InstanceRefreshId"]  # fmt: skip
    with pytest.raises(client.exceptions.InstanceRefreshInProgressFault):
        client.rollback_instance_refresh(AutoScalingGroupName="web-prod")
    back = client.describe_instance_refreshes(AutoScalingGroupName="web-prod")["InstanceRefreshes"][0]
    assert back["Status"] in ("RollbackInProgress", "RollbackSuccessful")  # one instance to put back: one step
    assert back["RollbackDetails"]["PercentageCompleteOnRollback"] == 25
    assert back["RollbackDetails"]["RollbackReason"] == "Rollback triggered due to user request."


def test_a_group_on_default_cannot_be_rolled_back(refresh_proxy: AwsRefresh, releases: Releases) -> None:
    client = _client(refresh_proxy)
    client.start_instance_refresh(AutoScalingGroupName="web-default", DesiredConfiguration=TO_NEXT)
    client.describe_instance_refreshes(AutoScalingGroupName="web-default")
    with pytest.raises(client.exceptions.IrreversibleInstanceRefreshFault) as refused:
        client.rollback_instance_refresh(AutoScalingGroupName="web-default")
    assert _code(refused) == (400, "IrreversibleInstanceRefresh")
    client.cancel_instance_refresh(AutoScalingGroupName="web-default")
    with pytest.raises(ClientError) as auto:
        client.start_instance_refresh(AutoScalingGroupName="web-default", DesiredConfiguration=TO_NEXT,
                                      Preferences={"AutoRollback": True})  # fmt: skip
    assert _code(auto) == (400, "InstanceRefreshInProgress")  # still cancelling
    client.describe_instance_refreshes(AutoScalingGroupName="web-default")  # cancelled now
    with pytest.raises(ClientError, match=r"\$Latest or \$Default") as auto:
        client.start_instance_refresh(AutoScalingGroupName="web-default", DesiredConfiguration=TO_NEXT,
                                      Preferences={"AutoRollback": True})  # fmt: skip
    assert _code(auto) == (400, "ValidationError")


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        ({"Preferences": {"AutoRollback": True}}, "The AutoRollback parameter cannot be set to true when the "
                                                 "DesiredConfiguration parameter is empty"),
        ({"Preferences": {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 200}}, "must be less than or equal"),
        ({"DesiredConfiguration": {"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "99"}}},
         "You must use a valid fully-formed launch template."),
        ({"AutoScalingGroupName": "web-gone"}, "AutoScalingGroup name not found"),
    ],
)  # fmt: skip
def test_a_request_aws_would_refuse_is_a_validation_error(
    refresh_proxy: AwsRefresh, releases: Releases, request_: dict[str, Any], words: str
) -> None:
    with pytest.raises(ClientError) as refused:
        _client(refresh_proxy).start_instance_refresh(**({"AutoScalingGroupName": "web-prod"} | request_))
    assert _code(refused) == (400, "ValidationError")
    assert words in refused.value.response["Error"]["Message"]


def test_a_refresh_without_a_desired_configuration_replaces_every_instance(
    refresh_proxy: AwsRefresh, releases: Releases
) -> None:
    client = _client(refresh_proxy)
    before = {m["InstanceId"] for m in releases.group()["Instances"]}
    client.start_instance_refresh(AutoScalingGroupName="web-prod", Preferences={"MinHealthyPercentage": 50})
    for _ in range(10):
        refresh = client.describe_instance_refreshes(AutoScalingGroupName="web-prod")["InstanceRefreshes"][0]
        if refresh["Status"] == "Successful":
            break
    assert refresh["Status"] == "Successful" and refresh["PercentageComplete"] == 100
    after = {m["InstanceId"] for m in releases.group()["Instances"]}
    assert len(after) == 4 and not before & after
    assert releases.images_of() == [releases.images["1"]] * 4  # the same version, new instances


def test_everything_else_reaches_moto_inside_the_group_limits(refresh_proxy: AwsRefresh, releases: Releases) -> None:
    client = _client(refresh_proxy)
    with pytest.raises(ClientError, match="above max value 10"):
        client.set_desired_capacity(AutoScalingGroupName="web-prod", DesiredCapacity=20)
    client.set_desired_capacity(AutoScalingGroupName="web-prod", DesiredCapacity=5)
    assert len(releases.group()["Instances"]) == 5
