"""The runbook engine as the people on call see it: the one checklist message edited as steps finish, human steps
waiting for a tick by the right role, pause and resume, abort undoing the completed steps newest first, a watcher
dying and another carrying on at the step it was on, the broadcasts (incident channels, stakeholders' direct
messages, SMS at start and end) on their cadence, and the final summary - on real Redis with a clock the test moves.
The steps are scripted here (tests/workers/test_runbook_steps.py tests the real ones), except in the drill."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from core.settings import Settings
from tests.eventually import eventually
from tests.workers.runbook_world import World, build_world, installed_world
from workers.runbook_jobs import abort, pause, resume, tick_human

HUMAN_DB, HUMAN_COORDINATORS = 3, 7  # the shipped failover's human steps (0-based)


@pytest.fixture
def world(settings: Settings, redis_conn: redis.Redis) -> Iterator[World]:
    yield from installed_world(settings, redis_conn)


def test_a_failover_runs_to_the_end_with_one_checklist_ticks_broadcasts_and_a_summary(world: World) -> None:
    run = world.start()
    watcher = world.watcher()
    first = world.edits()[0]
    assert first.text.startswith(f"Failover {run.id}: Fail web-prod over to web-dr - running")
    assert "[ ] 4. Confirm the database replica is promoted (admin)" in first.text

    watcher.tick()  # the post, the scale and the wait finish at once here; the human step waits
    now = world.run(run.id)
    assert now.state == "waiting_human" and now.step == HUMAN_DB
    shown = world.edits()[-1]
    assert "[x] 1. Announce the failover - 0 s: step 1 did it" in shown.text
    assert "[>] 4. Confirm the database replica is promoted (admin)" in shown.text
    assert [b.id for b in shown.buttons] == [f"runbook:tick:{run.id}:3", f"runbook:pause:{run.id}",
                                             f"runbook:abort:{run.id}"]  # fmt: skip
    edits = len(world.edits())
    world.clock.advance(5)
    watcher.tick()
    assert len(world.edits()) == edits  # nothing changed: no edit

    world.clock.advance(60)
    said = tick_human(world.ctx, run.id, HUMAN_DB, "erin", True)
    assert said == f"Ticked step 4 of failover {run.id}: Confirm the database replica is promoted."
    assert tick_human(world.ctx, run.id, HUMAN_DB, "erin", True).startswith("Step 4 of failover")  # once only
    watcher.tick()
    assert world.run(run.id).step == HUMAN_COORDINATORS
    tick_human(world.ctx, run.id, HUMAN_COORDINATORS, "alice", True)
    watcher.tick()

    done = world.run(run.id)
    assert done.state == "succeeded" and done.finished_at is not None
    assert world.script.performed == [0, 1, 2, 4, 5, 6, 8]  # each action and wait once; a person's never
    last = world.edits()[-1]
    assert last.kind == "result" and last.buttons == ()
    assert last.text.startswith(f"Failover {run.id}: Fail web-prod over to web-dr - done, 1 min")
    assert "1 min, ticked by erin" in last.text
    summary = world.thread()[-1]
    assert "4. Confirm the database replica is promoted: done, 1 min, ticked by erin" in summary
    assert "Asked by alice, approved by bob" in summary
    incident = [r.text for r in world.said("slack", "C0INCIDENT")]
    assert len(incident) == 2 and "running, step 1 of 9" in incident[0] and "done, 9 of 9 steps done" in incident[1]
    assert len(world.said("slack", "U345CDE")) == 2 and len(world.said("telegram", "345678901")) == 2  # carol's DMs
    assert [to for to, _ in world.pager.sent] == ["+15550100003", "+15550100003"]  # at start and end


def test_a_human_step_is_not_ticked_by_the_wrong_role(world: World) -> None:
    run = world.start()
    watcher = world.watcher()
    watcher.tick()
    said = tick_human(world.ctx, run.id, HUMAN_DB, "dave", False)
    assert said == "dave may not tick step 4 (Confirm the database replica is promoted): it needs admin."
    watcher.tick()
    still = world.run(run.id)
    assert still.state == "waiting_human" and still.steps[HUMAN_DB].status == "waiting"
    assert tick_human(world.ctx, run.id, 1, "erin", True).startswith("Step 2 of failover")  # not a person's step


def test_pause_stops_before_the_next_step_and_resume_carries_on(world: World) -> None:
    world.script.looks[1] = 2  # the scale takes two looks
    run = world.start()
    watcher = world.watcher()
    watcher.tick()
    assert pause(world.ctx, run.id, "carol") == f"Paused failover {run.id}: it stops before its next step."
    assert "Resume" in [b.label for b in world.edits()[-1].buttons]
    for _ in range(3):
        world.clock.advance(5)
        watcher.tick()
    assert world.script.performed == [0, 1]
    assert world.run(run.id).state == "paused"
    assert pause(world.ctx, run.id, "carol").endswith("it cannot be paused now.")
    assert resume(world.ctx, run.id, "carol") == f"Resumed failover {run.id}."
    watcher.tick()
    assert world.script.performed == [0, 1, 1, 2]
    assert world.run(run.id).state == "waiting_human"


def test_abort_undoes_the_completed_action_steps_newest_first(world: World) -> None:
    world.script.looks[6] = 99  # the drain of web-prod is under way when the abort comes
    run = world.start()
    watcher = world.watcher()
    watcher.tick()
    tick_human(world.ctx, run.id, HUMAN_DB, "erin", True)
    watcher.tick()
    assert world.run(run.id).step == 6
    said = abort(world.ctx, run.id, "carol")
    assert said == f"Aborting failover {run.id}: undoing its completed steps, newest first."
    watcher.tick()
    ended = world.run(run.id)
    assert ended.state == "aborted" and ended.aborted_by == "carol"
    assert world.script.reversed == [6, 4, 1]  # drain, DNS, scale; the posts and waits have no undo
    assert [s.status for s in ended.steps] == ["done", "undone", "done", "done", "undone", "done", "undone",
                                               "skipped", "skipped"]  # fmt: skip
    text = world.edits()[-1].text
    assert f"Failover {run.id}: Fail web-prod over to web-dr - aborted" in text
    assert "[~] 2. Scale web-dr to web-prod's size" in text and "undo: back as it was" in text
    assert "Not run: steps 8, 9" in world.thread()[-1]
    assert abort(world.ctx, run.id, "carol").endswith("it cannot be aborted now.")


def test_a_failed_step_fails_the_run_and_says_so_everywhere(world: World) -> None:
    world.script.fails.add(2)
    run = world.start()
    world.watcher().tick()
    failed = world.run(run.id)
    assert failed.state == "failed"
    assert failed.failure == "step 3 (Wait until web-dr is healthy) failed: web-dr 3/12 running after 600 s: timed out"
    assert world.edits()[-1].kind == "error"
    assert failed.failure in world.thread()
    assert "FAILED" in world.said("slack", "C0INCIDENT")[-1].text


def test_another_watcher_takes_over_a_dead_ones_run_at_its_step(world: World) -> None:
    world.script.looks[1] = 3
    run = world.start()
    dead = world.watcher(lease_seconds=0.3)
    dead.tick()  # then it is "killed": it never looks again nor gives its lease back
    assert world.script.performed == [0, 1]
    alive = world.watcher(lease_seconds=0.3)
    assert alive.tick() == []  # the dead one's lease has not run out yet
    time.sleep(0.4)
    assert alive.tick() == [run.id]
    assert world.script.performed == [0, 1, 1]  # on at step 2; step 1 is not run again
    alive.tick()
    assert world.script.performed == [0, 1, 1, 1, 2]
    assert world.run(run.id).step == HUMAN_DB
    assert len([r for r in world.said("slack", "C0INCIDENT")]) == 1  # the start was told once


def test_broadcasts_go_every_broadcast_minutes_on_the_clock(world: World) -> None:
    world.script.looks[1] = 10_000  # a scale that takes its time
    run = world.start()
    watcher = world.watcher()
    counts = []
    for advance in (0, 60, 239, 1, 100, 199, 1):
        world.clock.advance(advance)
        watcher.tick()
        counts.append(len(world.said("slack", "C0INCIDENT")))
    assert counts == [1, 1, 1, 2, 2, 2, 3]  # at start, then every 5 min (OPSBOT_DR_BROADCAST_MINUTES)
    assert world.said("slack", "C0INCIDENT")[-1].text.startswith(f"Failover {run.id}: Fail web-prod over to web-dr")
    assert len(world.pager.sent) == 1  # SMS at the start only, until the end


def test_a_runbook_changed_since_its_approval_is_not_run(world: World) -> None:
    run = world.start(hash="0" * 64)
    world.watcher().tick()
    failed = world.run(run.id)
    assert failed.state == "failed" and world.script.performed == []
    assert failed.failure == "runbook web-failover changed since it was approved: ask again"
    assert world.thread() == [
        f"Failover {run.id} failed: runbook web-failover changed since it was approved: ask again"
    ]


def test_a_drill_runs_the_reads_simulates_the_changes_and_reports_its_rto(world: World) -> None:
    run = world.start(kind="drill")
    watcher = world.watcher(real_steps=True)
    for _ in range(40):
        world.clock.advance(1)
        watcher.tick()
        now = world.run(run.id)
        if now.state == "waiting_human":
            tick_human(world.ctx, run.id, now.step, "erin", True)
        if now.finished:
            break
    done = world.run(run.id)
    assert done.state == "succeeded", done.failure
    report = world.thread()[-1]
    assert report.startswith(f"Drill {run.id}: Fail web-prod over to web-dr - done, 9 of 9 steps done")
    assert "2. Scale web-dr to web-prod's size: done, 3 min (simulated)" in report
    assert "4. Confirm the database replica is promoted: done, 0 s, ticked by erin" in report
    # 180 + 120 + 60 + 60 + 120 s of simulated changes and waits, and the people's ticks as they came
    assert "RTO estimate: 9 min (measured reads and checks, simulated changes; the runbook expects 16 min)" in report
    assert "Nothing would have failed." in report
    assert "would scale web-dr 0 -> 12 (simulated)" in world.edits()[-1].text
    assert world.ctx.provider.snapshot().resources  # the simulated world is as it was: nothing was scaled
    assert [g.count for g in world.ctx.provider.snapshot().resources if g.name == "web-dr"] == [0]


def test_on_the_console_alone_the_stakeholders_get_no_direct_messages(
    settings: Settings, redis_conn: redis.Redis
) -> None:
    world = build_world(settings, redis_conn, platforms=False)
    run = world.start()
    world.watcher().tick()
    world.watchers[0].stop()
    assert world.run(run.id).state == "waiting_human"
    assert len(world.said("slack", "C0INCIDENT")) == 1  # the incident channel, as configured
    assert world.said("slack", "U345CDE") == [] and world.said("telegram") == []


def test_a_running_watcher_is_woken_by_a_start_and_a_tick_not_its_next_poll(world: World) -> None:
    watcher = world.watcher(every_seconds=600)  # it would look again only in 10 minutes
    watcher.start()
    run = world.start()

    def at(state: str) -> bool:
        return world.run(run.id).state == state

    eventually(lambda: at("waiting_human"), timeout=10, what="the first steps run on the start's wake-up")
    tick_human(world.ctx, run.id, HUMAN_DB, "erin", True)
    eventually(lambda: world.run(run.id).step == HUMAN_COORDINATORS, timeout=10, what="the tick's wake-up")
    abort(world.ctx, run.id, "carol")
    eventually(lambda: at("aborted"), timeout=10, what="the abort's wake-up")
