"""Ids, names and tags on a real cloud inventory: opsbot over boto3 against moto, where the members of an Auto
Scaling group carry the group's Name tag (so their names say nothing apart), two instances share a name, and a
volume is called like its instance. A member is shown, restarted and stopped by its instance id, and the cloud
really got the change on that instance only; `find` filters by the tags the instances carry."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
import redis

from actions.aws import AwsBackend
from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from tests.actions.aws.conftest import ACCOUNT, IMAGE, REGION, World, empty_world, moto_url
from tests.conversation.conftest import button, outbox_after, runtime_on, speaker

__all__ = ["moto_url"]  # the session's moto server, shared with the AWS backend's own tests


def _instances(ec2: object, count: int, **tags: str) -> list[str]:
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    launched = ec2.run_instances(  # type: ignore[attr-defined]
        ImageId=IMAGE, MinCount=count, MaxCount=count, InstanceType="t3.medium", TagSpecifications=spec
    )
    return [str(i["InstanceId"]) for i in launched["Instances"]]


def _build(url: str) -> World:
    world, ec2, autoscaling = empty_world(url)
    propagated = {"Name": "web-prod", "environment": "prod", "team": "web"}
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-prod", LaunchTemplate={"LaunchTemplateName": "web"}, MinSize=0, MaxSize=10,
        DesiredCapacity=3, AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in propagated.items()],
    )  # fmt: skip
    [world.ids["db-prod"]] = _instances(ec2, 1, Name="db-prod", environment="prod", team="payments")
    volume = ec2.create_volume(
        Size=100, VolumeType="gp3", AvailabilityZone=f"{REGION}a",
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "db-prod"}]}],
    )  # fmt: skip
    world.ids["db-prod volume"] = volume["VolumeId"]
    world.ids["batch 1"], world.ids["batch 2"] = _instances(ec2, 2, Name="batch", environment="staging", team="data")
    return world


class Account:
    def __init__(self, world: World, runtime: Runtime) -> None:
        self.world, self.runtime = world, runtime
        self.ec2 = boto3.client("ec2", region_name=REGION)

    def say(self, text: str = "", *, user: str = "alice", press: str | None = None) -> list[Reply]:
        return speaker(self.runtime)(text, user=user, press=press)

    def members(self) -> list[str]:
        groups = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
            AutoScalingGroupNames=["web-prod"]
        )["AutoScalingGroups"]
        return sorted(str(i["InstanceId"]) for i in groups[0]["Instances"])

    def states(self) -> dict[str, str]:
        found = self.ec2.describe_instances()["Reservations"]
        return {str(i["InstanceId"]): str(i["State"]["Name"]) for r in found for i in r["Instances"]}


@pytest.fixture
def account(moto_url: str, settings: Settings, redis_conn: redis.Redis) -> Iterator[Account]:
    world = _build(moto_url)
    aws = AwsBackend([ACCOUNT.model_copy(update={"regions": [REGION]})], timeout=5.0, poll_seconds=0.05)
    with runtime_on([aws], settings, redis_conn) as (runtime, _provider):
        yield Account(world, runtime)


def test_members_named_like_their_group_are_shown_by_instance_id(account: Account) -> None:
    first, second, _ = account.members()
    [shown] = account.say(f"show {first}")
    assert shown.text.startswith(f"web-prod {first}: running. AWS instance, us-east-1, prod."), shown.text
    assert "In group web-prod" in shown.text
    [whole] = account.say(f"show aws:prod:{REGION}:{second}")
    assert whole.text.startswith(f"web-prod {second}: running. AWS instance"), whole.text
    assert account.say("show web-prod")[0].text.startswith("web-prod: running. AWS group")  # the name: the group


def test_a_member_is_restarted_by_its_instance_id_and_only_it(account: Account) -> None:
    member = account.members()[1]
    [ask] = account.say(f"restart {member}")
    assert ask.kind == "confirm", ask.text
    account.say(press=button([ask], "Confirm"))
    texts = [r.text for r in outbox_after(account.runtime)]
    assert any(t.startswith("Done") for t in texts), texts
    changed = {r.params.get("resource_id") for r in account.runtime.conversation.services.audit.records()}
    assert f"aws:prod:{REGION}:{member}" in changed
    assert not any(f"aws:prod:{REGION}:{other}" in changed for other in account.members() if other != member)


def test_a_member_stopped_by_its_instance_id_is_the_one_the_cloud_stops(account: Account) -> None:
    member = account.members()[2]
    [ask] = account.say(f"stop {member}")
    assert "Critical (stop in prod)" in ask.text, ask.text
    account.say(press=button([ask], "Approve"), user="carol")  # an admin
    outbox_after(account.runtime)
    states = account.states()
    assert states[member] == "stopped"
    assert [states[m] for m in account.members() if m != member] == ["running", "running"]


def test_a_name_two_instances_share_asks_with_their_ids(account: Account) -> None:
    one, two = account.world.ids["batch 1"], account.world.ids["batch 2"]
    [asked] = account.say("show batch")
    assert one in asked.text and two in asked.text and asked.text.startswith("No batch. Did you mean"), asked.text
    [shown] = account.say(f"show {two}")
    assert shown.text.startswith(f"batch {two}: running. AWS instance"), shown.text
    [asked] = account.say("restart batch")
    assert {b.label for b in asked.buttons} >= {one, two}, asked.text


def test_a_name_means_the_instance_before_its_volume_and_the_volume_answers_to_its_id(account: Account) -> None:
    assert account.say("show db-prod")[0].text.startswith("db-prod: running. AWS instance")
    volume = account.world.ids["db-prod volume"]
    assert account.say(f"show {volume}")[0].text.startswith(f"db-prod {volume}: available. AWS disk")


def test_find_filters_by_the_tags_the_cloud_carries(account: Account) -> None:
    [found] = account.say("find team=payments")
    assert found.text.startswith("1 of 1:\n- db-prod (AWS us-east-1, instance"), found.text
    [found] = account.say("find environment=prod team=web")
    assert found.text.startswith("4 of 4:\n- web-prod (AWS us-east-1, group"), found.text
    [found] = account.say("find Name=batch stopped")
    assert found.text.startswith("Nothing matches"), found.text
    [found] = account.say("find name=batch running")
    assert found.text.startswith("2 of 2:"), found.text
    assert account.say("find owner=bob")[0].text.startswith("No resource has a tag owner (tags: ")
