"""Rollouts in the simulated world: batches over the clock, the world's groups taking the version, a version that
fails its health checks, pause / resume / cancel / roll back, and two processes on one Redis telling one story.
The clock is the test's: time moves, nothing sleeps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from actions.deploy.model import GroupChange, Manifest, Strategy, VersionSpec
from actions.provider import CloudProvider
from actions.simulated import SimulatedCloud
from actions.simulated.rollout import STEPS_PER_BATCH, SimulatedRollouts
from core.errors import ProviderError
from core.models import ActionName
from tests.actions.conftest import SIZE
from tests.actions.helpers import StepClock, request_for

STEP = 0.5
BATCH = STEP * STEPS_PER_BATCH  # seconds per batch


@pytest.fixture
def clock() -> StepClock:
    return StepClock(at=1_000_000.0)


def rollouts(connection: redis.Redis, clock: StepClock, manifest: Manifest | None = None) -> SimulatedRollouts:
    return SimulatedRollouts(
        connection,
        seed=42,
        size=SIZE,
        step_seconds=STEP,
        unhealthy_versions=frozenset({"v2.5"}),
        clock=clock.now,
        manifest=manifest,
    )


@pytest.fixture
def sim(redis_conn: redis.Redis, clock: StepClock) -> SimulatedRollouts:
    return rollouts(redis_conn, clock)


def change_for(cloud: CloudProvider, group: str, version: str, **strategy: int) -> GroupChange:
    found = cloud.get(group)
    return GroupChange(
        group_id=found.id,
        group=group,
        cloud=found.cloud,
        region=found.region,
        size=found.count or 0,
        from_version=found.version,
        to_version=version,
        to=VersionSpec(image=version),
        strategy=Strategy(**strategy),
        expected_seconds=60,
    )


def versions(cloud: SimulatedCloud, group: str) -> list[str | None]:
    return [m.version for m in cloud.members_of(cloud.get(group))]


def test_the_demo_world_starts_on_its_current_releases(cloud: SimulatedCloud) -> None:
    assert cloud.get("web-prod").version == "v2.3"
    assert set(versions(cloud, "web-prod")) == {"v2.3"}
    assert cloud.get("api-prod").version == "v5.1"
    assert cloud.get("web-dr").version == "v2.3"
    assert cloud.get("worker-prod").version is None  # no release manifest names it


def test_a_rollout_replaces_batches_over_time_and_the_world_shows_the_version(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-prod", "v2.4")
    handle = sim.start(change)
    first = sim.state(change, handle)
    assert (first.status, first.percent, first.updated, first.total) == ("rolling", 0, 0, 12)
    assert first.detail == "batch 1 of 4: 3 instances launching"
    assert first.healthy == 11  # the surge launches first; 90% of 12 stay in service
    clock.sleep(BATCH)
    assert (sim.state(change, handle).updated, sim.state(change, handle).percent) == (3, 25)
    seen = []
    for _ in range(12):
        clock.sleep(BATCH / 2)
        seen.append(sim.state(change, handle))
    assert [s.percent for s in seen] == sorted(s.percent for s in seen)
    assert seen[-1].status == "succeeded"
    assert (seen[-1].updated, seen[-1].healthy, seen[-1].unhealthy) == (12, 12, ())
    group = cloud.get("web-prod")
    assert group.version == "v2.4"
    assert set(versions(cloud, "web-prod")) == {"v2.4"}
    assert group.count == 12


def test_a_small_group_rolls_one_instance_at_a_time(sim: SimulatedRollouts, cloud: SimulatedCloud) -> None:
    change = change_for(cloud, "web-canary", "v2.5")
    handle = sim.start(change)
    assert sim.state(change, handle).detail == "batch 1 of 2: 1 instance launching"


def test_a_good_version_may_have_one_unhealthy_instance_that_recovers(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-prod", "v2.4")  # seed 42: one instance of the third batch fails for a while
    handle = sim.start(change)
    states = []
    for _ in range(20):
        states.append(sim.state(change, handle))
        clock.sleep(BATCH / 2)
    hiccups = [s for s in states if s.unhealthy]
    assert hiccups, "expected the seeded hiccup"
    for state in hiccups:
        assert state.status == "rolling"
        assert len(state.unhealthy) == 1 and state.unhealthy[0].startswith("web-prod-")
        assert len(state.unhealthy) * 100 <= change.strategy.max_unhealthy_percent * state.updated
        assert "failing health checks" in state.detail
    assert states[-1].status == "succeeded" and states[-1].unhealthy == ()


def test_a_version_that_fails_health_checks_stops_progressing(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-prod", "v2.5")
    handle = sim.start(change)
    clock.sleep(BATCH)
    stuck = sim.state(change, handle)
    assert stuck.status == "rolling"
    assert len(stuck.unhealthy) == 3
    assert set(stuck.unhealthy) <= {m.name for m in cloud.members_of(cloud.get("web-prod"))}
    assert stuck.detail == "3 new instances on v2.5 failing health checks"
    assert stuck.healthy == 11  # the surge took the place of one; the cloud keeps 90% in service
    clock.sleep(BATCH * 50)
    given_up = sim.state(change, handle)  # like an AWS refresh, the cloud gives up after a while
    assert (given_up.status, given_up.unhealthy, given_up.updated) == ("failed", stuck.unhealthy, stuck.updated)
    assert given_up.detail.startswith("3 new instances failing health checks (web-prod-")
    sim.cancel(change, handle)
    ended = sim.state(change, handle)
    assert (ended.status, ended.unhealthy) == ("cancelled", stuck.unhealthy)
    assert cloud.get("web-prod").version == "v2.3"  # the group's model never moved
    assert versions(cloud, "web-prod").count("v2.5") == 3  # the three it launched stay until rolled back


def test_pause_keeps_progress_and_resume_goes_on(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-prod", "v2.2")
    handle = sim.start(change)
    clock.sleep(BATCH * 1.5)
    assert sim.pause(change, handle) == handle
    paused = sim.state(change, handle)
    assert (paused.status, paused.updated) == ("paused", 3)
    assert paused.detail == "paused at 3 of 12 instances on v2.2"
    clock.sleep(BATCH * 40)
    assert sim.state(change, handle).updated == 3
    assert sim.pause(change, handle) == handle  # again: nothing changes
    assert sim.resume(change, handle) == handle
    clock.sleep(BATCH * 0.5)  # the batch that was half done when paused completes
    assert (sim.state(change, handle).status, sim.state(change, handle).updated) == ("rolling", 6)
    clock.sleep(BATCH * 2)
    assert sim.state(change, handle).status == "succeeded"
    assert cloud.get("web-prod").version == "v2.2"


def test_cancel_stops_for_good_and_the_replaced_instances_keep_the_version(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-prod", "v2.2")
    handle = sim.start(change)
    clock.sleep(BATCH * 2.5)
    sim.cancel(change, handle)
    sim.cancel(change, handle)  # twice: the same
    clock.sleep(BATCH * 40)
    ended = sim.state(change, handle)
    assert (ended.status, ended.updated, ended.percent) == ("cancelled", 6, 50)
    assert ended.detail == "stopped at 6 of 12 instances on v2.2"
    assert versions(cloud, "web-prod").count("v2.2") == 6
    assert cloud.get("web-prod").version == "v2.3"
    with pytest.raises(ProviderError) as refused:
        sim.resume(change, handle)
    assert str(refused.value) == "AWS: web-prod's rollout to v2.2 was cancelled: deploy again to go on"
    again = sim.start(change)  # a new deploy replaces only the six not on it yet
    assert again != handle
    assert sim.state(change, again).updated == 6


def test_roll_back_mid_flight_replaces_only_what_was_rolled(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    forward = change_for(cloud, "web-prod", "v2.2")
    handle = sim.start(forward)
    clock.sleep(BATCH * 2.5)
    back = change_for(cloud, "web-prod", "v2.3")
    rollback = sim.roll_back(back, handle)
    assert rollback != handle
    assert sim.roll_back(back, handle) == rollback  # again: the same rollback
    assert sim.state(forward, handle).status == "cancelled"
    rolling = sim.state(back, rollback)
    assert (rolling.status, rolling.updated, rolling.percent) == ("rolling_back", 6, 50)
    clock.sleep(BATCH * 2)
    done = sim.state(back, rollback)
    assert (done.status, done.updated) == ("rolled_back", 12)
    assert cloud.get("web-prod").version == "v2.3"
    assert set(versions(cloud, "web-prod")) == {"v2.3"}


def test_roll_back_without_a_known_handle_stops_whatever_rolls_the_group(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    broken = change_for(cloud, "web-prod", "v2.5")
    handle = sim.start(broken)
    clock.sleep(BATCH)
    back = sim.roll_back(change_for(cloud, "web-prod", "v2.3"), "sim-rollout-999")  # a handle long gone: as None
    assert sim.state(broken, handle).status == "cancelled"
    clock.sleep(BATCH)
    assert sim.state(change_for(cloud, "web-prod", "v2.3"), back).status == "rolled_back"
    assert set(versions(cloud, "web-prod")) == {"v2.3"}


def test_start_twice_is_one_rollout_and_another_version_is_refused(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "api-prod", "v5.2")
    handle = sim.start(change)
    clock.sleep(BATCH)
    assert sim.start(change) == handle
    with pytest.raises(ProviderError) as refused:
        sim.start(change_for(cloud, "api-prod", "v5.0"))
    assert str(refused.value) == "GCP: api-prod is already rolling to v5.2: cancel that deploy first"
    clock.sleep(BATCH * 20)
    assert sim.state(change, handle).status == "succeeded"
    assert sim.start(change) == handle  # done: still the same one
    cloud.reset()  # the world is back on v5.1: the same deploy rolls again
    again = sim.start(change)
    assert again != handle
    assert (sim.state(change, again).status, sim.state(change, again).updated) == ("rolling", 0)


def test_two_processes_on_one_redis_agree(redis_conn: redis.Redis, cloud: SimulatedCloud, clock: StepClock) -> None:
    chat, worker = rollouts(redis_conn, clock), rollouts(redis.Redis.from_url(_url(redis_conn)), clock)
    change = change_for(cloud, "web-edge-prod", "v2.4")
    handle = chat.start(change)
    assert worker.start(change) == handle
    clock.sleep(BATCH * 1.2)
    assert worker.state(change, handle) == chat.state(change, handle)
    worker.pause(change, handle)
    assert chat.state(change, handle).status == "paused"
    chat.resume(change, handle)
    clock.sleep(BATCH * 5)
    assert worker.state(change, handle).status == "succeeded"
    assert SimulatedCloud(redis_conn, size=SIZE).get("web-edge-prod").version == "v2.4"


def test_processes_starting_one_group_at_once_make_one_rollout(
    redis_conn: redis.Redis, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-prod", "v2.4")
    processes = [rollouts(redis.Redis.from_url(_url(redis_conn)), clock) for _ in range(6)]
    with ThreadPoolExecutor(len(processes)) as pool:
        handles = set(pool.map(lambda process: process.start(change), processes))
    assert len(handles) == 1


def _url(connection: redis.Redis) -> str:
    kwargs = connection.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}"


def test_a_group_at_zero_instances_only_moves_its_model(sim: SimulatedRollouts, cloud: SimulatedCloud) -> None:
    change = change_for(cloud, "web-dr", "v2.4")
    handle = sim.start(change)
    state = sim.state(change, handle)
    assert (state.status, state.percent, state.total) == ("succeeded", 100, 0)
    assert state.detail == "no instances: the group's model now says v2.4"
    assert cloud.get("web-dr").version == "v2.4"


def test_scaling_after_a_deploy_launches_the_new_version(
    sim: SimulatedRollouts, cloud: SimulatedCloud, clock: StepClock
) -> None:
    change = change_for(cloud, "web-staging", "v2.4")
    sim.state(change, sim.start(change))
    clock.sleep(BATCH * 10)
    sim.state(change, sim.start(change))
    cloud.execute(request_for(cloud.get("web-staging"), ActionName.SCALE, desired_count=5), lambda _line: None)
    assert versions(cloud, "web-staging") == ["v2.4"] * 5
    cloud.execute(request_for(cloud.get("web-prod"), ActionName.FAILOVER), lambda _line: None)
    assert set(versions(cloud, "web-dr")) == {"v2.3"}  # the standby launches what its model says


def test_check_refuses_an_unknown_unhealthy_or_stopped_group(sim: SimulatedRollouts, cloud: SimulatedCloud) -> None:
    assert sim.check(change_for(cloud, "web-canary", "v2.4")) == []
    member = cloud.members_of(cloud.get("web-canary"))[0]
    cloud.execute(request_for(member, ActionName.STOP), lambda _line: None)
    assert sim.check(change_for(cloud, "web-canary", "v2.4")) == [
        "AWS: web-canary has 1 of 2 instances healthy, below the 90% the rollout keeps in service: "
        "restart or replace the unhealthy ones first"
    ]
    staging = cloud.get("web-staging")
    cloud.execute(request_for(staging, ActionName.STOP), lambda _line: None)
    assert sim.check(change_for(cloud, "web-staging", "v2.4")) == [
        "AWS: web-staging is stopped: start it first, then deploy"
    ]
    gone = change_for(cloud, "web-prod", "v2.4").model_copy(update={"group": "web-nowhere"})
    assert sim.check(gone) == [
        "AWS: there is no group web-nowhere in us-east-1: check the group names in the release manifest"
    ]


def test_running_names_the_manifest_spec_of_the_groups_version(
    redis_conn: redis.Redis, cloud: SimulatedCloud, clock: StepClock
) -> None:
    manifest = Manifest.model_validate(
        {
            "services": {
                "web": {
                    "environments": {"prod": {"groups": [{"group": "web-edge-prod"}]}},
                    "versions": {"v2.3": {"gcp": {"instance_template": "web-v2-3"}}},
                }
            }
        }
    )
    sim = rollouts(redis_conn, clock, manifest)
    assert sim.running(change_for(cloud, "web-edge-prod", "v2.4")) == VersionSpec(instance_template="web-v2-3")
    assert sim.running(change_for(cloud, "api-prod", "v5.2")) == VersionSpec(image="v5.1")  # a name it does not know
    assert sim.running(change_for(cloud, "worker-prod", "v1")) is None
