"""What people do to a run, one line back each: ticks on a paused run, on a finished or unknown one, pause and abort
when they no longer apply; and a drill whose step would fail ends with the report that says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from core.settings import Settings
from tests.workers.runbook_world import World, installed_world
from workers.runbook_jobs import abort, pause, resume, tick_human


@pytest.fixture
def world(settings: Settings, redis_conn: redis.Redis) -> Iterator[World]:
    yield from installed_world(settings, redis_conn)


def test_a_tick_on_a_paused_run_is_kept_and_the_run_stays_paused(world: World) -> None:
    run = world.start()
    watcher = world.watcher()
    watcher.tick()
    pause(world.ctx, run.id, "carol")
    assert tick_human(world.ctx, run.id, 3, "erin", True).startswith("Ticked step 4")
    watcher.tick()
    paused = world.run(run.id)
    assert paused.state == "paused" and paused.step == 4 and world.script.performed == [0, 1, 2]
    resume(world.ctx, run.id, "carol")
    watcher.tick()
    assert world.script.performed == [0, 1, 2, 4, 5, 6]


def test_lines_for_runs_that_are_not_there_or_have_ended(world: World) -> None:
    assert tick_human(world.ctx, 4242, 3, "erin", True) == "There is no runbook run 4242."
    assert pause(world.ctx, 4242, "carol") == "There is no runbook run 4242."
    run = world.start()
    watcher = world.watcher()
    watcher.tick()
    abort(world.ctx, run.id, "carol")
    watcher.tick()
    assert world.run(run.id).state == "aborted"
    assert tick_human(world.ctx, run.id, 3, "erin", True) == f"Failover {run.id} is aborted: nothing to tick."
    assert resume(world.ctx, run.id, "carol") == f"Failover {run.id} is aborted: it cannot be resumed now."
    assert world.ctx.dr.book.busy("web") is None  # the service is free for the next run


def test_a_drill_that_would_fail_says_what_would_have_failed(world: World) -> None:
    world.script.fails.add(2)
    run = world.start(kind="drill")
    world.watcher().tick()
    report = world.thread()[-1]
    assert report.startswith(f"Drill {run.id}: Fail web-prod over to web-dr - FAILED, 2 of 9 steps done")
    assert (
        "Would have failed: step 3 (Wait until web-dr is healthy): web-dr 3/12 running after 600 s: timed out" in report
    )
    assert "Not run: steps 4, 5, 6, 7, 8, 9" in report
