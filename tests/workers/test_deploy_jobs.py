"""The deploy's jobs on a real worker: pause, resume and cancel from the message's buttons (what the message then
says, and that the rollouts really stand still), two deploys of one service refused, a failover in the way, and a
start that no cloud accepts."""

from __future__ import annotations

import time

import pytest
import redis

from actions.deploy.model import Manifest
from actions.deploy.plan import plan_deploy
from actions.deploy.records import DeployBusy
from audit.log import AuditEvent
from core.models import ActionName, ActionRequest, Reply
from core.settings import Settings
from tests.eventually import eventually
from workers.deploy_jobs import enqueue_control, enqueue_deploy, failover_running
from workers.jobs import ActionJob, enqueue_action

from . import test_deploy_watch as watched
from .test_deploy_watch import REF, World, build_world, deploy_events, edits, thread

# The same world as the watcher's tests: the simulated rollouts on a clock the test moves, a worker running the jobs.
manifest, world = watched.manifest, watched.world


def _state(world: World, record_id: int, state: str) -> bool:
    record = world.ctx.deploys.book.get(record_id)
    return record is not None and record.state == state


def _shown(world: World, head: str) -> Reply:
    """The progress message's last edit once it begins with `head`."""

    def last() -> Reply | None:
        shown = edits(world)
        return shown[-1] if shown and shown[-1].text.startswith(head) else None

    return eventually(last, what=f"an edit saying {head!r}", seen=lambda: [e.text[:40] for e in edits(world)])


def test_pause_resume_and_cancel_stop_and_restart_the_rollouts(world: World) -> None:
    record = world.started(world.deploy("v2.4"))
    watcher = world.watcher()
    world.clock.advance(10)
    watcher.tick()

    enqueue_control(world.ctx, record.id, "pause", "carol")
    paused = _shown(world, "Paused: ")
    lines = paused.text.split("\n")
    assert lines[0].startswith("Paused: web v2.4 to prod at ")
    assert lines[1].startswith("Paused by carol ") and lines[1].endswith(" UTC")
    assert [b.id for b in paused.buttons] == [f"deploy:resume:{record.id}", f"deploy:cancel:{record.id}"]
    before = world.ctx.deploys.book.get(record.id)
    world.clock.advance(120)
    watcher.tick()
    after = world.ctx.deploys.book.get(record.id)
    assert before is not None and after is not None
    assert [g.state.updated for g in after.groups] == [g.state.updated for g in before.groups]  # nothing rolled

    enqueue_control(world.ctx, record.id, "resume", "carol")
    resumed = _shown(world, "Deploying ")
    assert resumed.text.startswith("Deploying web v2.4 to prod: ")
    assert [b.id for b in resumed.buttons] == [f"deploy:pause:{record.id}", f"deploy:cancel:{record.id}"]
    world.clock.advance(10)
    watcher.tick()
    moved = world.ctx.deploys.book.get(record.id)
    assert moved is not None
    assert sum(g.state.updated for g in moved.groups) > sum(g.state.updated for g in after.groups)

    enqueue_control(world.ctx, record.id, "cancel", "dave")
    cancelled = _shown(world, "Cancelled: ")
    assert cancelled.text.startswith("Cancelled: web v2.4 to prod at ")
    assert "\nCancelled by dave " in cancelled.text
    assert [b.id for b in cancelled.buttons] == [f"deploy:rollback:{record.id}"]
    eventually(lambda: thread(world)[-1].startswith(f"Deploy {record.id} cancelled by dave"), what="the reply")
    assert world.ctx.deploys.book.busy("web", "prod") is None
    events = deploy_events(world, record.id)
    assert events == [AuditEvent.STARTED, AuditEvent.SUCCEEDED, AuditEvent.SUCCEEDED, AuditEvent.CANCELLED]
    # A stale Pause pressed after the end changes nothing and says where the deploy is.
    enqueue_control(world.ctx, record.id, "pause", "carol")
    world.clock.advance(30)
    assert watcher.tick() == []
    assert _state(world, record.id, "cancelled")


def test_a_second_deploy_of_the_same_service_and_environment_is_refused(world: World) -> None:
    first = world.deploy("v2.4")

    with pytest.raises(DeployBusy) as refused:
        world.deploy("v2.5", key="progress-2")

    assert str(refused.value).startswith(f"web prod is busy: deploy {first.id} (v2.4, by alice, ")
    assert str(refused.value).endswith("- wait for it or `cancel deploy web`")
    with pytest.raises(DeployBusy):  # a rollback of some other deploy does not take this one over
        world.deploy("v2.2", kind="rollback", rollback_of=first.id + 5, key="progress-3")
    assert [r.id for r in world.ctx.deploys.book.running()] == [first.id]


def test_a_failover_of_a_group_queued_is_reported(
    settings: Settings, redis_conn: redis.Redis, manifest: Manifest
) -> None:
    quiet = build_world(settings, redis_conn, manifest)  # no worker: the failover stays queued
    web_prod, standby = quiet.cloud.get("web-prod"), quiet.cloud.get("web-dr")
    request = ActionRequest.on(web_prod, ActionName.FAILOVER, requested_by="erin", destination_id=standby.id)
    job = ActionJob(request=request, ref=REF, reply_key="m-1", idempotency_key="failover-1", enqueued_at=time.time())
    assert failover_running(redis_conn, ["web-prod"]) is None

    enqueue_action(quiet.ctx, job)

    assert failover_running(redis_conn, ["web-prod", "web-canary"]) == (
        "a failover of web-prod is queued: deploy web-prod once it has finished"
    )
    assert failover_running(redis_conn, ["web-dr"]) == (
        "a failover of web-prod is queued: deploy web-dr once it has finished"
    )  # its standby too
    assert failover_running(redis_conn, ["api-prod"]) is None


def test_groups_that_cannot_start_fail_the_deploy_and_the_others_are_stopped(world: World) -> None:
    inventory = {r.name: r for r in world.cloud.snapshot().resources if r.kind == "group"}
    planned = plan_deploy(world.manifest, kind="deploy", service="web", environment="prod", version="v2.2",
                          groups=inventory, running={}, requested_by="zed")  # fmt: skip
    for change in planned.groups:  # someone rolls web-prod, web-canary and web-edge-prod to v2.2 by hand
        if change.size:
            world.rollouts.inner.start(change)

    record = world.started(world.deploy("v2.4"))

    assert record.state == "rolling"
    refused = {g.change.group: g.state.detail for g in record.groups if g.state.status == "failed"}
    assert set(refused) == {"web-prod", "web-canary", "web-edge-prod"}
    assert refused["web-prod"] == "AWS: web-prod is already rolling to v2.2: cancel that deploy first"
    failed = world.run_until_finished(record.id, world.watcher())
    assert failed.state == "failed"
    assert failed.failure is not None
    assert failed.failure.startswith("web-prod: AWS: web-prod is already rolling to v2.2")
    assert edits(world)[-1].kind == "error"
    assert world.ctx.deploys.book.busy("web", "prod") is None
    assert deploy_events(world, record.id) == [AuditEvent.STARTED, AuditEvent.FAILED]


def test_a_deploy_job_queued_twice_starts_its_rollouts_once(world: World) -> None:
    record = world.deploy("v2.4")
    enqueue_deploy(world.ctx, record)
    world.started(record)
    enqueue_deploy(world.ctx, record)
    eventually(lambda: len(thread(world)) >= 1, what="the started reply")

    assert sorted(world.rollouts.begun) == sorted(["web-prod", "web-canary", "web-edge-prod", "web-dr"])
    assert len([t for t in thread(world) if " started: " in t]) == 1


def test_a_cancelled_rollback_leaves_the_deploy_it_undid_failed_with_a_rollback_button(world: World) -> None:
    deploy = world.started(world.deploy("v2.4"))
    rollback = world.started(world.deploy("v2.3", kind="rollback", rollback_of=deploy.id, key="progress-2"))

    enqueue_control(world.ctx, rollback.id, "cancel", "dave")

    undone = _shown(world, "Failed: web v2.4 to prod at ")
    assert undone.text.split("\n")[1] == f"Rollback {rollback.id} cancelled"
    assert [b.id for b in undone.buttons] == [f"deploy:rollback:{deploy.id}"]
    assert _state(world, rollback.id, "cancelled")
    assert world.ctx.deploys.book.busy("web", "prod") is None
