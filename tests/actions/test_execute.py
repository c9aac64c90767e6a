from __future__ import annotations

import subprocess
import sys

import redis

from actions.simulated import SimulatedCloud
from core.models import ActionName
from tests.actions.conftest import SIZE
from tests.actions.helpers import request_for


def test_scale_reports_progress_and_changes_the_group(cloud: SimulatedCloud) -> None:
    lines: list[str] = []
    outcome = cloud.execute(request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=20), lines.append)
    assert outcome.summary == "web-prod is at 20 instances"
    assert lines == [f"web-prod: {n}/20 instances running" for n in (14, 16, 18, 20)]
    web = cloud.get("web-prod")
    assert (web.count, web.hourly_cost, outcome.resource) == (20, 20 * 0.5125, web)
    members = [r for r in cloud.snapshot().resources if r.group == "web-prod"]
    assert len(members) == 20 and all(m.state == "running" for m in members)


def test_running_a_request_twice_leaves_the_same_world(cloud: SimulatedCloud, redis_conn: redis.Redis) -> None:
    request = request_for(cloud.get("web-prod"), ActionName.SCALE, desired_count=20)
    cloud.execute(request, lambda _line: None)
    first = cloud.snapshot().resources
    lines: list[str] = []
    again = cloud.execute(request, lines.append)
    assert again.summary == "web-prod is at 20 instances"
    assert lines == []  # nothing left to do, nothing to report
    assert cloud.snapshot().resources == first


def test_scaling_down_and_up_again_restores_the_same_instances(cloud: SimulatedCloud) -> None:
    original = {r.id for r in cloud.snapshot().resources if r.group == "web-prod"}
    web = cloud.get("web-prod")
    cloud.execute(request_for(web, ActionName.SCALE, desired_count=4), lambda _line: None)
    assert len([r for r in cloud.snapshot().resources if r.group == "web-prod"]) == 4
    cloud.execute(request_for(web, ActionName.SCALE, desired_count=12), lambda _line: None)
    assert {r.id for r in cloud.snapshot().resources if r.group == "web-prod"} == original


def test_two_providers_on_one_redis_share_the_world(redis_conn: redis.Redis) -> None:
    chat = SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)
    worker = SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)
    assert chat.get("web-staging").state == "running"
    worker.execute(request_for(worker.get("web-staging"), ActionName.STOP), lambda _line: None)
    assert chat.get("web-staging").state == "stopped"
    assert chat.get("web-staging").hourly_cost == 0.0
    chat.reset()
    assert worker.get("web-staging").state == "running"


def test_a_change_made_by_another_process_is_seen(redis_conn: redis.Redis, redis_url: str) -> None:
    script = f"""
import redis
from actions.simulated import SimulatedCloud
from core.models import ActionName, ActionRequest
cloud = SimulatedCloud(redis.Redis.from_url({redis_url!r}), size={SIZE}, step_seconds=0.0)
web = cloud.get("web-prod")
request = ActionRequest.on(web, ActionName.SCALE, requested_by="bob", desired_count=16)
print(cloud.execute(request, print).summary)
"""
    here = SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)
    assert here.get("web-prod").count == 12
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.splitlines()[-1] == "web-prod is at 16 instances"
    assert here.get("web-prod").count == 16
    assert sum(1 for r in here.snapshot().resources if r.group == "web-prod") == 16


def test_snapshot_is_reused_until_the_world_changes(cloud: SimulatedCloud) -> None:
    first, second = cloud.snapshot(), cloud.snapshot()
    assert second.resources is first.resources
    assert second.fetched_at >= first.fetched_at and first.error is None
    cloud.execute(request_for(cloud.get("db-prod"), ActionName.STOP), lambda _line: None)
    third = cloud.snapshot()
    assert third.resources is not first.resources
    assert next(r for r in third.resources if r.name == "db-prod").state == "stopped"


def test_failover_brings_the_standby_up_and_moves_traffic(cloud: SimulatedCloud) -> None:
    lines: list[str] = []
    outcome = cloud.execute(request_for(cloud.get("web-prod"), ActionName.FAILOVER), lines.append)
    assert outcome.summary == "web-dr serves web-prod's traffic with 12 instances"
    assert lines[-1] == "web-prod: traffic moving to web-dr"
    dr, prod = cloud.get("web-dr"), cloud.get("web-prod")
    assert (dr.count, dr.state, dr.tags["traffic"]) == (12, "running", "serving")
    assert (prod.count, prod.tags["traffic"]) == (12, "drained")
    assert cloud.execute(request_for(prod, ActionName.FAILOVER), lines.append).resource == dr


def test_stopping_one_member_updates_its_group(cloud: SimulatedCloud) -> None:
    member = next(r for r in cloud.snapshot().resources if r.group == "web-prod")
    outcome = cloud.execute(request_for(member, ActionName.STOP), lambda _line: None)
    assert outcome.summary == f"{member.name} is stopped"
    web = cloud.get("web-prod")
    assert (web.count, web.hourly_cost) == (12, round(11 * 0.5125, 4))
    cloud.execute(request_for(web, ActionName.START), lambda _line: None)
    assert cloud.get(member.name).state == "running"


def test_shutdown_empties_a_group_and_restart_heals_a_degraded_vm(cloud: SimulatedCloud) -> None:
    outcome = cloud.execute(request_for(cloud.get("web-staging"), ActionName.SHUTDOWN), lambda _line: None)
    assert outcome.summary == "web-staging is shut down"
    assert (cloud.get("web-staging").count, cloud.get("web-staging").state) == (0, "stopped")
    sick = next(r for r in cloud.snapshot().resources if r.kind == "instance" and r.state == "degraded" and not r.group)
    lines: list[str] = []
    cloud.execute(request_for(sick, ActionName.RESTART), lines.append)
    assert lines == [f"{sick.name}: stopping", f"{sick.name}: starting", f"{sick.name}: running again"]
    assert cloud.get(sick.id).state == "running"


def test_restarting_a_healthy_vm_still_goes_through_its_steps(cloud: SimulatedCloud) -> None:
    lines: list[str] = []
    outcome = cloud.execute(request_for(cloud.get("db-prod"), ActionName.RESTART), lines.append)
    assert outcome.summary == "db-prod restarted and is running"
    assert lines == ["db-prod: stopping", "db-prod: starting", "db-prod: running again"]
