"""Inventory of one scope as people will see it: names, kinds, states, groups, environments, costs, CPU."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from actions.aws import AwsBackend
from actions.aws.inventory import group_resource, group_type
from actions.backend import Scope
from actions.provider import Resource
from core.cloud_config import AwsAccount
from core.models import Cloud
from tests.actions.aws.conftest import ACCOUNT, IMAGE, OTHER_REGION, REGION, CountingThrottle, World


def _scope(backend: AwsBackend, region: str = REGION) -> Scope:
    return next(s for s in backend.scopes() if s.region == region)


def _by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


def test_scopes_are_one_per_account_and_region(backend: AwsBackend) -> None:
    assert [(s.key, s.label) for s in backend.scopes()] == [
        ("aws:prod:us-east-1", "AWS prod us-east-1"),
        ("aws:prod:eu-west-1", "AWS prod eu-west-1"),
    ]


def test_fetch_lists_instances_groups_and_volumes(backend: AwsBackend, world: World) -> None:
    resources = backend.fetch(_scope(backend))
    kinds = sorted(r.kind for r in resources)
    assert kinds == ["disk"] * 8 + ["group"] * 2 + ["instance"] * 6  # 3 web-prod members + 3 standalone, root volumes
    named = _by_name(resources)
    db = named["db-prod"]
    assert (db.id, db.state, db.size, db.environment) == (
        f"aws:prod:us-east-1:{world.ids['db-prod']}",
        "running",
        "t3.medium",
        "prod",
    )
    assert db.hourly_cost == 0.0416 and db.group is None
    assert named["batch-staging"].environment == "staging"  # "Env" tag, any case of the key
    unnamed = named[world.ids["unnamed"]]  # no Name tag: the instance id is its name
    assert unnamed.environment == "prod"  # no tag, no account default: treated as prod


def test_group_has_its_count_state_cost_standby_and_members(backend: AwsBackend) -> None:
    resources = backend.fetch(_scope(backend))
    web = _by_name(resources)["web-prod"]
    assert (web.id, web.kind, web.state, web.count, web.size) == (
        "aws:prod:us-east-1:asg/web-prod",
        "group",
        "running",
        3,
        "m5.large",
    )
    assert (web.unit_hourly_cost, web.hourly_cost, web.standby, web.environment) == (0.096, 0.288, "web-dr", "prod")
    members = [r for r in resources if r.group == "web-prod"]
    assert len(members) == 3 and {m.state for m in members} == {"running"}
    assert all(m.environment == "prod" and m.name.startswith("i-") for m in members)
    dr = _by_name(resources)["web-dr"]  # empty group: type from its launch template, state stopped
    assert (dr.state, dr.count, dr.size, dr.unit_hourly_cost, dr.hourly_cost, dr.environment) == (
        "stopped", 0, "m5.large", 0.096, 0.0, "dr",
    )  # fmt: skip


def test_volumes_keep_the_aws_state_word_and_show_size_and_type(backend: AwsBackend, world: World) -> None:
    named = _by_name(backend.fetch(_scope(backend)))
    data, scratch = named["db-data"], named[world.ids["scratch"]]
    assert (data.kind, data.state, data.size, data.id) == (
        "disk",
        "in-use",
        "100 GiB gp3",
        f"aws:prod:us-east-1:{world.ids['db-data']}",
    )
    assert (scratch.state, scratch.size) == ("available", "20 GiB gp2")
    assert round(data.hourly_cost * 730, 2) == 8.0


def test_every_page_is_read_and_each_request_throttled_once(world: World) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    for index in range(12):  # one reservation each: moto's MaxResults counts reservations
        tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"worker-{index}"}]}]
        ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, InstanceType="t3.small", TagSpecifications=tags)
    session, answered = boto3.Session(), []
    session.events.register("after-call", lambda model, **_: answered.append(model.name))
    throttle = CountingThrottle()
    backend = AwsBackend(
        [ACCOUNT], poll_seconds=0.05, throttle=throttle, page_size=5, session_factory=lambda _account: session
    )
    resources = backend.fetch(_scope(backend))
    names = {r.name for r in resources}
    assert {f"worker-{i}" for i in range(12)} <= names
    assert sum(1 for r in resources if r.kind == "instance") == 18
    # 16 reservations in pages of 5: 4 pages of DescribeInstances; each request waited for the throttle once.
    assert answered.count("DescribeInstances") == 4
    assert len(throttle.waits) == len(answered) and set(throttle.waits) == {"aws:prod:us-east-1"}


def test_two_regions_are_separate_scopes(backend: AwsBackend, world: World) -> None:
    europe = [r for r in backend.fetch(_scope(backend, OTHER_REGION)) if r.kind == "instance"]
    assert [(r.name, r.region, r.environment, r.size) for r in europe] == [
        ("api-eu", "eu-west-1", "staging", "m5.xlarge")
    ]
    assert europe[0].id == f"aws:prod:eu-west-1:{world.ids['api-eu']}"
    assert "api-eu" not in _by_name(backend.fetch(_scope(backend)))


def test_account_environment_applies_to_untagged_resources(world: World) -> None:
    account = AwsAccount(name="shared", regions=[REGION], environment="staging")
    backend = AwsBackend([account], poll_seconds=0.05)
    named = _by_name(backend.fetch(backend.scopes()[0]))
    assert named[world.ids["unnamed"]].environment == "staging"
    assert named["db-prod"].environment == "prod"  # a tag wins over the account's default
    assert named["web-prod"].id == "aws:shared:us-east-1:asg/web-prod"


def test_cpu_samples_come_from_cloudwatch_oldest_first(backend: AwsBackend, world: World) -> None:
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    now = datetime.now(UTC)
    members = [r for r in backend.fetch(_scope(backend)) if r.group == "web-prod"]
    series = {world.ids["db-prod"]: (20.0, 40.0, 60.0)} | {m.id.split(":")[-1]: (10.0, 30.0, 50.0) for m in members[:2]}
    for instance_id, values in series.items():
        cloudwatch.put_metric_data(
            Namespace="AWS/EC2",
            MetricData=[
                {"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                 "Timestamp": now - timedelta(minutes=minutes), "Value": value}
                for minutes, value in zip((12, 7, 2), values, strict=True)
            ],
        )  # fmt: skip
    named = _by_name(backend.fetch(_scope(backend)))
    assert named["db-prod"].cpu == (20.0, 40.0, 60.0)
    assert named["batch-staging"].cpu == ()
    assert named["web-prod"].cpu == (10.0, 30.0, 50.0)  # mean of the members that report


def test_group_with_fewer_instances_in_service_than_wanted_is_degraded() -> None:
    # moto replaces missing instances at once, so this state is built from the record AWS would send.
    members = [{"InstanceId": f"i-{n}", "InstanceType": "m5.large", "LifecycleState": state}
               for n, state in enumerate(("InService", "InService", "Pending"))]  # fmt: skip
    record = {"AutoScalingGroupName": "web-prod", "DesiredCapacity": 3, "Instances": members, "Tags": []}
    scope = Scope(cloud=Cloud.AWS, account="prod", region=REGION, label="AWS prod us-east-1")
    web = group_resource(scope, record, group_type(record) or "")
    assert (web.state, web.count, web.size, web.environment) == ("degraded", 3, "m5.large", "prod")
