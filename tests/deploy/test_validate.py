"""Validating a deploy against the clouds: every group checked at once in the simulated world (real Redis), one line
per problem in the order of the groups, a cloud without an account, a check that fails, and a cloud that does not
answer in time."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis

from actions.deploy.manifest import load_manifest
from actions.deploy.model import DeployRequest, GroupChange, RolloutBackend, RolloutState, VersionSpec
from actions.deploy.plan import plan_deploy
from actions.deploy.validate import validate
from actions.simulated import SimulatedCloud
from actions.simulated.rollout import SimulatedRollouts
from core.errors import ProviderError, TransientProviderError
from core.models import ActionName, ActionRequest, Cloud

SIZE = 2000  # the demo world's groups and a few thousand others


@pytest.fixture
def world(redis_conn: redis.Redis) -> SimulatedCloud:
    return SimulatedCloud(redis_conn, size=SIZE, step_seconds=0.0)


@pytest.fixture
def sim(redis_conn: redis.Redis) -> SimulatedRollouts:
    return SimulatedRollouts(
        redis_conn,
        seed=42,
        size=SIZE,
        step_seconds=0.0,
        unhealthy_versions=frozenset({"v2.5"}),
        manifest=load_manifest(),
    )


def web_to_prod(world: SimulatedCloud) -> DeployRequest:
    groups = {r.name: r for r in world.snapshot().resources if r.kind == "group"}
    return plan_deploy(
        load_manifest(),
        kind="deploy",
        service="web",
        environment="prod",
        version="v2.4",
        groups=groups,
        running={},
        requested_by="alice",
    )


class Standing(RolloutBackend):
    """A cloud that checks through `inner`, except that `broken` groups fail and, while `hold` is unset, the
    groups in `slow` do not answer."""

    def __init__(
        self, inner: RolloutBackend, *, broken: frozenset[str] = frozenset(), slow: frozenset[str] = frozenset()
    ) -> None:
        self.cloud, self.inner, self.broken, self.slow = inner.cloud, inner, broken, slow
        self.hold = threading.Event()

    def check(self, change: GroupChange) -> list[str]:
        if change.group in self.broken:
            raise TransientProviderError(f"AWS: {change.group}: the Auto Scaling API answered 503: try again")
        if change.group in self.slow:
            self.hold.wait(timeout=30)
        return self.inner.check(change)

    def running(self, change: GroupChange) -> VersionSpec | None:
        raise NotImplementedError

    def start(self, change: GroupChange) -> str:
        raise NotImplementedError

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        raise NotImplementedError

    def pause(self, change: GroupChange, handle: str) -> str:
        raise NotImplementedError

    def resume(self, change: GroupChange, handle: str) -> str:
        raise NotImplementedError

    def cancel(self, change: GroupChange, handle: str) -> None:
        raise NotImplementedError

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        raise NotImplementedError


def stop_one_of(world: SimulatedCloud, group: str) -> None:
    member = world.members_of(world.get(group))[0]
    world.execute(ActionRequest.on(member, ActionName.STOP, requested_by="alice"), lambda _line: None)


def test_a_healthy_release_across_three_clouds_passes(world: SimulatedCloud, sim: SimulatedRollouts) -> None:
    request = web_to_prod(world)
    assert request.clouds == (Cloud.AWS, Cloud.GCP, Cloud.AZURE)
    assert validate(request, dict.fromkeys(Cloud, sim)) == []


def test_every_problem_is_a_line_in_the_order_of_the_groups(world: SimulatedCloud, sim: SimulatedRollouts) -> None:
    stop_one_of(world, "web-edge-prod")
    stop_one_of(world, "web-canary")  # 1 of 2 healthy: enough for its own strategy (50%)
    request = web_to_prod(world)
    aws = Standing(sim, broken=frozenset({"web-prod"}))
    assert validate(request, {Cloud.AWS: aws, Cloud.GCP: sim}) == [
        "AWS: web-prod: the Auto Scaling API answered 503: try again",
        "GCP: web-edge-prod has 5 of 6 instances healthy, below the 90% the rollout keeps in service: restart or "
        "replace the unhealthy ones first",
        "No Azure account is configured for web-dr.",
    ]


@pytest.fixture
def slow_aws(sim: SimulatedRollouts) -> Iterator[Standing]:
    aws = Standing(sim, slow=frozenset({"web-prod", "web-canary"}))
    yield aws
    aws.hold.set()  # the checks left behind end with the test


def test_a_cloud_that_does_not_answer_in_time_is_one_line(
    world: SimulatedCloud, sim: SimulatedRollouts, slow_aws: Standing
) -> None:
    stop_one_of(world, "web-edge-prod")
    request = web_to_prod(world)
    backends: dict[Cloud, RolloutBackend] = {Cloud.AWS: slow_aws, Cloud.GCP: sim, Cloud.AZURE: sim}
    assert validate(request, backends, deadline=0.3) == [
        "AWS did not answer in 0.3 s for web-prod, web-canary: try again",
        "GCP: web-edge-prod has 5 of 6 instances healthy, below the 90% the rollout keeps in service: restart or "
        "replace the unhealthy ones first",
    ]


def test_the_groups_are_checked_at_once(world: SimulatedCloud, sim: SimulatedRollouts) -> None:
    """Each check waits for all the others to have begun: checked one after another, none would return."""
    request = web_to_prod(world)
    everyone = threading.Barrier(len(request.groups), timeout=10)

    class Together(Standing):
        def check(self, change: GroupChange) -> list[str]:
            try:
                everyone.wait()
            except threading.BrokenBarrierError as exc:
                raise ProviderError(f"{change.group} was checked alone") from exc
            return super().check(change)

    assert validate(request, dict.fromkeys(Cloud, Together(sim)), deadline=20) == []
