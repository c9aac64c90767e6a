"""Deploys from the start job to their end, as a user would see them: the one progress message edited through the
outbox, thread replies at milestones, the audit, and the simulated world's groups on the new version - on real
Redis, with the simulated rollouts on a clock the test moves. Also the fixtures the other deploy tests use."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis

from actions.deploy.manifest import load_manifest
from actions.deploy.model import (
    DeployRecord,
    GroupChange,
    Manifest,
    RolloutBackend,
    RolloutState,
    Strategy,
    VersionSpec,
)
from actions.deploy.plan import plan_deploy
from actions.rollout_backends import unhealthy_versions
from actions.simulated.provider import SimulatedCloud
from actions.simulated.rollout import SimulatedRollouts
from audit.log import AuditEvent, AuditLog
from core.models import Cloud, ConversationRef, Reply
from core.outbox import Outbox
from core.settings import Settings
from tests.clock import ManualClock
from tests.eventually import eventually
from workers.context import DeployParts, WorkerContext, clear_context, install_context
from workers.deploy_jobs import enqueue_deploy
from workers.deploy_watch import DeployWatcher
from workers.runner import InProcessWorker

REF = ConversationRef(channel="console", conversation_id="ops-room", thread_id="t1")
STEP_SECONDS = 2.0  # the simulated world's step: a batch takes 4 of them (8 s of the test's clock)


class CountingRollouts:
    """The simulated rollouts, counting the calls that begin a rollout (a restarted watcher must make none)."""

    def __init__(self, inner: SimulatedRollouts) -> None:
        self.cloud = inner.cloud
        self.inner = inner
        self.begun: list[str] = []

    def running(self, change: GroupChange) -> VersionSpec | None:
        return self.inner.running(change)

    def check(self, change: GroupChange) -> list[str]:
        return self.inner.check(change)

    def start(self, change: GroupChange) -> str:
        self.begun.append(change.group)
        return self.inner.start(change)

    def roll_back(self, change: GroupChange, handle: str | None) -> str:
        self.begun.append(change.group)
        return self.inner.roll_back(change, handle)

    def state(self, change: GroupChange, handle: str) -> RolloutState:
        return self.inner.state(change, handle)

    def pause(self, change: GroupChange, handle: str) -> str:
        return self.inner.pause(change, handle)

    def resume(self, change: GroupChange, handle: str) -> str:
        return self.inner.resume(change, handle)

    def cancel(self, change: GroupChange, handle: str) -> None:
        self.inner.cancel(change, handle)


@dataclass
class World:
    ctx: WorkerContext
    cloud: SimulatedCloud
    clock: ManualClock
    rollouts: CountingRollouts
    manifest: Manifest
    watchers: list[DeployWatcher] = field(default_factory=list)

    def watcher(self, **kwargs: float) -> DeployWatcher:
        watcher = DeployWatcher(self.ctx, clock=self.clock, holder=f"w{len(self.watchers)}", **kwargs)
        self.watchers.append(watcher)
        return watcher

    def deploy(self, version: str, *, kind: str = "deploy", rollback_of: int | None = None,
               key: str = "progress-1") -> DeployRecord:  # fmt: skip
        """A confirmed deploy of web to prod, as the conversation makes it, with its start job queued."""
        inventory = {r.name: r for r in self.cloud.snapshot().resources if r.kind == "group"}
        request = plan_deploy(
            self.manifest, kind="rollback" if kind == "rollback" else "deploy", service="web", environment="prod",
            version=version, groups=inventory, running={}, requested_by="alice", rollback_of=rollback_of,
        )  # fmt: skip
        record = self.ctx.deploys.book.create(request, REF, key, "bob")
        enqueue_deploy(self.ctx, record)
        return record

    def started(self, record: DeployRecord) -> DeployRecord:
        """The record once its start job ended: its message edited and, when it rolls, the started reply sent."""

        def told() -> DeployRecord | None:
            now = _not_starting(self.ctx, record.id)
            said = [r for _, r in self.ctx.outbox.read(REF.channel) if record.reply_key in (r.edit_of, r.reply_to)]
            if now is None or not said or (now.state == "rolling" and not any(r.reply_to for r in said)):
                return None
            return now

        return eventually(told, what=f"deploy {record.id} started")

    def run_until_finished(self, record_id: int, watcher: DeployWatcher, *, step: float = 5.0) -> DeployRecord:
        for _ in range(200):
            self.clock.advance(step)
            watcher.tick()
            current = self.ctx.deploys.book.get(record_id)
            assert current is not None
            if current.finished:
                return current
        raise AssertionError(f"deploy {record_id} did not finish")


def _not_starting(ctx: WorkerContext, record_id: int) -> DeployRecord | None:
    record = ctx.deploys.book.get(record_id)
    return record if record is not None and record.state != "starting" else None


def build_world(settings: Settings, connection: redis.Redis, manifest: Manifest) -> World:
    clock = ManualClock()
    cloud = SimulatedCloud(connection, seed=settings.sim_seed, size=settings.sim_resources,
                           step_seconds=settings.sim_step_seconds)  # fmt: skip
    inner = SimulatedRollouts(
        connection, seed=settings.sim_seed, size=settings.sim_resources, step_seconds=STEP_SECONDS,
        unhealthy_versions=unhealthy_versions(manifest), clock=clock, manifest=manifest,
    )  # fmt: skip
    rollouts = CountingRollouts(inner)
    backends: dict[Cloud, RolloutBackend] = dict.fromkeys(Cloud, rollouts)
    parts = DeployParts(settings, connection, manifest=manifest, backends=backends, clock=clock)
    ctx = WorkerContext(settings=settings, connection=connection, provider=cloud, audit=AuditLog(settings.data_dir),
                        outbox=Outbox(connection), deploy_parts=parts)  # fmt: skip
    return World(ctx, cloud, clock, rollouts, manifest)


def with_auto_rollback(manifest: Manifest) -> Manifest:
    web = manifest.services["web"]
    prod = web.environments["prod"]
    groups = tuple(g.model_copy(update={"strategy": None}) for g in prod.groups)
    strategy = Strategy(batch_percent=25, warmup_seconds=60, auto_rollback=True)
    prod = prod.model_copy(update={"groups": groups, "strategy": strategy})
    web = web.model_copy(update={"environments": {**web.environments, "prod": prod}})
    return manifest.model_copy(update={"services": {**manifest.services, "web": web}})


@pytest.fixture
def manifest() -> Manifest:
    return load_manifest(None)


@pytest.fixture
def world(settings: Settings, redis_conn: redis.Redis, manifest: Manifest) -> Iterator[World]:
    """The shipped manifest's world with its context installed and a worker running the jobs."""
    built = build_world(settings, redis_conn, manifest)
    install_context(built.ctx)
    worker = InProcessWorker(built.ctx)
    worker.start()
    yield built
    worker.stop()
    for watcher in built.watchers:
        watcher.stop()
    clear_context()


def edits(world: World, key: str = "progress-1") -> list[Reply]:
    return [r for _, r in world.ctx.outbox.read(REF.channel) if r.edit_of == key]


def thread(world: World, key: str = "progress-1") -> list[str]:
    return [r.text for _, r in world.ctx.outbox.read(REF.channel) if r.reply_to == key]


def deploy_events(world: World, record_id: int) -> list[AuditEvent]:
    return [r.event for r in AuditLog(world.ctx.settings.data_dir).records() if r.params.get("deploy_id") == record_id]


# -- the tests --------------------------------------------------------------------------------------------------------
def test_a_deploy_rolls_every_group_to_the_version_with_one_message_and_milestones(world: World) -> None:
    record = world.started(world.deploy("v2.4"))
    assert record.state == "rolling"
    assert world.cloud.get("web-prod").version == "v2.3"
    first = edits(world)[0]
    assert first.text.startswith("Deploying web v2.4 to prod: ")
    assert "\nweb-prod (AWS) 0/12 new, 11/12 healthy\n" in first.text  # one old instance drains for the surge
    assert [b.id for b in first.buttons] == [f"deploy:pause:{record.id}", f"deploy:cancel:{record.id}"]
    assert thread(world)[0].startswith(f"Deploy {record.id} started: web v2.4 to prod (4 groups, 3 clouds), ETA ")

    done = world.run_until_finished(record.id, world.watcher())

    assert done.state == "succeeded"
    shown = edits(world)
    last = shown[-1]
    assert last.kind == "result"
    assert last.text.startswith("Done: web v2.4 in prod, 4 groups, ")
    assert "web-prod (AWS) 12/12 new, 12/12 healthy - done" in last.text
    assert "approved by bob" in last.text
    assert [b.id for b in last.buttons] == [f"deploy:rollback:{record.id}"]
    texts = [e.text for e in shown]
    assert all(a != b for a, b in itertools.pairwise(texts))  # an edit only when the text changed
    assert any(t.startswith("Deploying web v2.4 to prod: ") and ": 0%" not in t.split("\n")[0] for t in texts)
    replies = thread(world)
    assert len(replies) == len(set(replies))  # each milestone once
    assert {r.split(":")[0] for r in replies if " done" in r.split(":")[0]} == {
        "web-prod done", "web-canary done", "web-edge-prod done", "web-dr done"
    }  # fmt: skip
    assert replies[-1].startswith("Done: web v2.4 in prod")
    for name in ("web-prod", "web-canary", "web-edge-prod", "web-dr"):
        assert world.cloud.get(name).version == "v2.4"
    book = world.ctx.deploys.book
    assert book.busy("web", "prod") is None
    assert book.last_good("web", "prod", before=None) == "v2.4"
    assert book.running_versions("web", "prod")["web-prod"] == "v2.4"
    assert deploy_events(world, record.id) == [AuditEvent.STARTED, AuditEvent.SUCCEEDED]


def test_a_version_failing_its_health_checks_stops_itself_and_offers_rollback(world: World) -> None:
    record = world.started(world.deploy("v2.5"))

    failed = world.run_until_finished(record.id, world.watcher())

    assert failed.state == "failed"
    assert failed.failure is not None
    assert "web-prod: 3 new instances failing health checks (web-prod-" in failed.failure
    assert all(g.state.status in ("failed", "cancelled", "succeeded") for g in failed.groups)
    assert not any(g.state.status == "rolling" for g in failed.groups)
    last = edits(world)[-1]
    assert last.kind == "error"
    assert last.text.startswith("Failed: web v2.5 to prod at ")
    assert [b.id for b in last.buttons] == [f"deploy:rollback:{record.id}"]
    assert thread(world)[-1].startswith(f"Deploy {record.id} failed: web-prod: 3 new instances failing")
    failed_reply = [r for _, r in world.ctx.outbox.read(REF.channel) if r.reply_to == "progress-1"][-1]
    assert [b.id for b in failed_reply.buttons] == [f"deploy:rollback:{record.id}"]  # one tap from the notification
    assert world.cloud.get("web-prod").version == "v2.3"  # the group's model never moved
    assert world.ctx.deploys.book.busy("web", "prod") is None
    assert deploy_events(world, record.id) == [AuditEvent.STARTED, AuditEvent.FAILED]
    # Stopped, not waiting for anyone: later ticks change nothing.
    world.clock.advance(600)
    assert world.watchers[0].tick() == []


def test_auto_rollback_from_the_manifest_takes_the_failed_deploy_back(
    settings: Settings, redis_conn: redis.Redis, manifest: Manifest
) -> None:
    world = build_world(settings, redis_conn, with_auto_rollback(manifest))
    install_context(world.ctx)
    try:
        with InProcessWorker(world.ctx):
            record = world.started(world.deploy("v2.5"))
            watcher = world.watcher()
            world.run_until_finished(record.id, watcher)
            rollback = eventually(lambda: world.ctx.deploys.book.get(record.id + 1), what="the rollback's record")
            assert rollback.request.kind == "rollback"
            assert rollback.request.rollback_of == record.id
            assert rollback.request.requested_by == "opsbot"
            assert rollback.request.version == "v2.3"
            world.started(rollback)
            back = world.run_until_finished(rollback.id, watcher)
    finally:
        clear_context()

    assert back.state == "succeeded"
    original = world.ctx.deploys.book.get(record.id)
    assert original is not None and original.state == "rolled_back"
    progress = [r for _, r in world.ctx.outbox.read(REF.channel) if r.key == rollback.reply_key]
    assert progress[0].reply_to == record.reply_key  # its own message, in the failed deploy's thread
    assert edits(world, rollback.reply_key)[-1].text.startswith("Rolled back: web to v2.3 in prod, 4 groups")
    for name in ("web-prod", "web-canary", "web-edge-prod"):
        assert {m.version for m in world.cloud.members_of(world.cloud.get(name))} == {"v2.3"}
    audit = [r for r in AuditLog(settings.data_dir).records() if r.params.get("deploy_id") == rollback.id]
    assert audit[0].actor == "opsbot" and audit[0].outcome == "auto_rollback in the release manifest"


def test_a_rollback_mid_flight_stops_the_deploy_and_returns_every_group(world: World) -> None:
    record = world.started(world.deploy("v2.4"))
    watcher = world.watcher()
    for _ in range(3):
        world.clock.advance(5)
        watcher.tick()
    halfway = world.ctx.deploys.book.get(record.id)
    assert halfway is not None and halfway.state == "rolling"
    assert 0 < sum(g.state.updated for g in halfway.groups) < 20

    rollback = world.started(world.deploy("v2.3", kind="rollback", rollback_of=record.id, key="progress-2"))
    taken = world.ctx.deploys.book.get(record.id)
    assert taken is not None and taken.state == "rolling_back"
    assert [r.id for r in world.ctx.deploys.book.running()] == [rollback.id]
    back = world.run_until_finished(rollback.id, watcher)

    assert back.state == "succeeded"
    original = world.ctx.deploys.book.get(record.id)
    assert original is not None and original.state == "rolled_back"
    assert edits(world)[-1].text.startswith("Rolled back: web v2.4 to prod at ")
    for name in ("web-prod", "web-canary", "web-edge-prod", "web-dr"):
        group = world.cloud.get(name)
        assert group.version == "v2.3"
        assert {m.version for m in world.cloud.members_of(group)} <= {"v2.3"}
    assert world.ctx.deploys.book.busy("web", "prod") is None


def test_a_watcher_that_dies_mid_deploy_is_replaced_without_starting_anything_again(world: World) -> None:
    record = world.started(world.deploy("v2.4"))
    first = world.watcher(lease_seconds=0.3)
    world.clock.advance(5)
    assert first.tick() == [record.id]
    # The first watcher's process is killed: it never ticks again and never releases its lease.
    second = world.watcher(lease_seconds=0.3)
    assert second.tick() == []
    eventually(lambda: second.tick() == [record.id], what="the second watcher taking the deploy over")

    done = world.run_until_finished(record.id, second)

    assert done.state == "succeeded"
    assert sorted(world.rollouts.begun) == sorted(["web-prod", "web-canary", "web-edge-prod", "web-dr"])
    assert len([t for t in thread(world) if t.startswith("Done:")]) == 1


def test_a_deploy_whose_start_job_never_ran_is_failed_and_frees_the_service(
    settings: Settings, redis_conn: redis.Redis, manifest: Manifest
) -> None:
    world = build_world(settings, redis_conn, manifest)  # no worker, and the job is never queued
    inventory = {r.name: r for r in world.cloud.snapshot().resources if r.kind == "group"}
    request = plan_deploy(manifest, kind="deploy", service="web", environment="prod", version="v2.4",
                          groups=inventory, running={}, requested_by="alice")  # fmt: skip
    record = world.ctx.deploys.book.create(request, REF, "progress-1", "bob")
    watcher = world.watcher()
    world.clock.advance(60)
    assert watcher.tick() == []
    assert world.ctx.deploys.book.busy("web", "prod") is not None

    world.clock.advance(20 * 60)
    watcher.tick()

    failed = world.ctx.deploys.book.get(record.id)
    assert failed is not None and failed.state == "failed"
    assert failed.failure == "Not started: no worker started it (was its job lost?) - ask again"
    assert edits(world)[-1].text.startswith("Failed: web v2.4 to prod at 0%\nNot started: no worker started it")
    assert world.ctx.deploys.book.busy("web", "prod") is None
    assert world.rollouts.begun == []
