"""Reading one resource fresh, powering instances and scaling the group, as the chat thread would show it."""

from __future__ import annotations

import boto3
import pytest

from actions.aws import AwsBackend
from core.errors import ProviderError, ProviderTimeout
from tests.actions.aws.conftest import ACCOUNT, REGION, World
from tests.actions.helpers import StepClock


def _members(backend: AwsBackend) -> list[str]:
    scope = backend.scopes()[0]
    return [r.name for r in backend.fetch(scope) if r.group == "web-prod" and r.state == "running"]


def test_get_reads_each_kind_fresh(backend: AwsBackend, world: World) -> None:
    db = backend.get(f"aws:prod:us-east-1:{world.ids['db-prod']}")
    assert (db.name, db.kind, db.state, db.size) == ("db-prod", "instance", "running", "t3.medium")
    web = backend.get("aws:prod:us-east-1:asg/web-prod")
    assert (web.name, web.kind, web.count, web.state, web.standby) == ("web-prod", "group", 3, "running", "web-dr")
    disk = backend.get(f"aws:prod:us-east-1:{world.ids['db-data']}")
    assert (disk.name, disk.kind, disk.state, disk.size) == ("db-data", "disk", "in-use", "100 GiB gp3")
    europe = backend.get(f"aws:prod:eu-west-1:{world.ids['api-eu']}")
    assert (europe.name, europe.region) == ("api-eu", "eu-west-1")
    boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[world.ids["db-prod"]])
    assert backend.get(db.id).state == "stopped"  # fresh, not cached


def test_stop_start_and_restart_reach_their_state_with_progress(backend: AwsBackend, world: World) -> None:
    db = backend.get(f"aws:prod:us-east-1:{world.ids['db-prod']}")
    lines: list[str] = []
    stopped = backend.set_power(db, "stop", lines.append, timeout=5.0)
    assert stopped.state == "stopped" and lines == ["db-prod: stopping", "db-prod: stopped"]
    assert backend.get(db.id).state == "stopped"
    lines.clear()
    started = backend.set_power(stopped, "start", lines.append, timeout=5.0)
    assert started.state == "running" and lines == ["db-prod: starting", "db-prod: running"]
    lines.clear()
    restarted = backend.set_power(started, "restart", lines.append, timeout=5.0)
    assert restarted.state == "running" and lines == ["db-prod: restarting", "db-prod: running"]


def test_groups_are_scaled_not_powered(backend: AwsBackend) -> None:
    web = backend.get("aws:prod:us-east-1:asg/web-prod")
    with pytest.raises(ProviderError, match=r"^web-prod is a group: scale it instead$"):
        backend.set_power(web, "stop", lambda _line: None, timeout=1.0)
    db = next(r for r in backend.fetch(backend.scopes()[0]) if r.name == "db-prod")
    with pytest.raises(ProviderError, match=r"^db-prod is not a group"):
        backend.scale(db, 3, lambda _line: None, timeout=1.0)


def test_scale_up_reaches_the_count(backend: AwsBackend) -> None:
    web = backend.get("aws:prod:us-east-1:asg/web-prod")
    lines: list[str] = []
    scaled = backend.scale(web, 5, lines.append, timeout=5.0)
    assert (scaled.count, scaled.state, scaled.hourly_cost) == (5, "running", 0.48)
    assert lines[0] == "web-prod: 3 -> 5 instances" and lines[-1] == "web-prod: 5/5 instances running"
    assert len(_members(backend)) == 5


def test_scale_down_reaches_the_count(backend: AwsBackend) -> None:
    web = backend.get("aws:prod:us-east-1:asg/web-prod")
    lines: list[str] = []
    scaled = backend.scale(web, 1, lines.append, timeout=5.0)
    assert (scaled.count, scaled.state) == (1, "running")
    assert lines == ["web-prod: 3 -> 1 instances", "web-prod: 1 instances, going down to 1"]
    assert len(_members(backend)) == 1
    assert backend.scale(scaled, 0, lambda _line: None, timeout=5.0).state == "stopped"


def test_scale_that_cannot_finish_times_out_naming_where_it_got(world: World, shared_session: boto3.Session) -> None:
    autoscaling = boto3.client("autoscaling", region_name=REGION)
    (group,) = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web-prod"])["AutoScalingGroups"]
    members = [m["InstanceId"] for m in group["Instances"]]
    assert len(members) == 3
    autoscaling.set_instance_protection(AutoScalingGroupName="web-prod", InstanceIds=members, ProtectedFromScaleIn=True)
    clock = StepClock()
    backend = AwsBackend([ACCOUNT], poll_seconds=0.05, session_factory=lambda _account: shared_session, clock=clock)
    web = backend.get("aws:prod:us-east-1:asg/web-prod")
    lines: list[str] = []
    with pytest.raises(
        ProviderTimeout, match=r"^web-prod still has 3 instances, not 1, after 0\.2 s; check show web-prod$"
    ):
        backend.scale(web, 1, lines.append, timeout=0.2)
    assert lines == ["web-prod: 3 -> 1 instances", "web-prod: 3 instances, going down to 1"]
    assert clock.slept == [0.05] * 4  # read at 0, 0.05, 0.1, 0.15 and 0.2 s: the last at the deadline
