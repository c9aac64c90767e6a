"""Each runbook step on the simulated world (real Redis, the simulated DNS on the test's clock): what it changes,
that a second look changes nothing more, its undo, waits timing out, a drill changing nothing, and a health check
against a local HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
import redis

from actions.dns.model import DnsTarget
from actions.dr.model import RunbookRequest, RunbookRun, StepOutcome, StepRun
from actions.simulated.dns import SimulatedDns
from actions.simulated.provider import SimulatedCloud
from core.models import ActionName, ConversationRef
from core.settings import Settings
from fakes.loopback import LoopbackHandler, LoopbackServer
from policies.runbook_model import Do, Runbook, Step, Wait
from tests.clock import ManualClock as Clock
from tests.workers.conftest import make_context
from workers.context import DrParts, WorkerContext
from workers.runbook_steps import perform, reverse

REF = ConversationRef(channel="console", conversation_id="ops-room")
ROOM = ConversationRef(channel="slack", conversation_id="C0INCIDENT")
DNS = DnsTarget(
    cloud=None, zone="wedding.example", name="www.wedding.example.",
    places={"web-prod": ("203.0.113.10",), "web-dr": ("198.51.100.20",)},
)  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock(1000.0)


@pytest.fixture
def dns(redis_conn: redis.Redis, settings: Settings, clock: Clock) -> SimulatedDns:
    return SimulatedDns(redis_conn, seed=settings.sim_seed, size=settings.sim_resources, clock=clock,
                        propagation_seconds=30)  # fmt: skip


@pytest.fixture
def ctx(settings: Settings, redis_conn: redis.Redis, cloud: SimulatedCloud, dns: SimulatedDns) -> WorkerContext:
    base = make_context(settings, redis_conn, cloud)
    parts = DrParts(settings, redis_conn, runbooks={}, dns=dict.fromkeys([None], dns))
    return WorkerContext(settings=base.settings, connection=base.connection, provider=base.provider,
                         audit=base.audit, outbox=base.outbox, dr_parts=parts)  # fmt: skip


def runbook(*steps: Step, kind: str = "failover", parameters: dict[str, str | int | float] | None = None) -> Runbook:
    return Runbook(name=f"web-{kind}", title="Fail web-prod over to web-dr", kind=kind, service="web",
                   primary="web-prod", standby="web-dr", dns=DNS, steps=steps,
                   parameters=parameters or {})  # fmt: skip


def new_run(book: Runbook, *, kind: str = "run", primary_size: int = 12, run_id: int = 1) -> RunbookRun:
    request = RunbookRequest(runbook=book.name, runbook_hash="h", kind=kind, service="web", primary="web-prod",
                             standby="web-dr", primary_size=primary_size, standby_size=0,
                             requested_by="alice")  # fmt: skip
    return RunbookRun(id=run_id, request=request, steps=tuple(StepRun() for _ in book.steps), ref=REF,
                      reply_key="checklist-1", channels=(ROOM,), approved_by="bob", created_at=0.0)  # fmt: skip


def look(ctx: WorkerContext, run: RunbookRun, book: Runbook, index: int, clock: Clock, *,
         undo: bool = False) -> tuple[RunbookRun, StepOutcome]:  # fmt: skip
    """What the engine does on one tick: start the step's clock, look at it, keep its memo and status."""
    step = run.steps[index]
    if step.started_at is None:
        step = step.model_copy(update={"started_at": clock.now})
    run = _with(run, index, step)
    outcome = (reverse if undo else perform)(ctx, run, book, index, clock=clock)
    status = "done" if outcome.status == "done" and not undo else outcome.status
    changed = step.model_copy(update={"status": status, "detail": outcome.detail, "memo": step.memo | outcome.memo})
    return _with(run, index, changed), outcome


def until_done(ctx: WorkerContext, run: RunbookRun, book: Runbook, index: int, clock: Clock, *,
               undo: bool = False) -> tuple[RunbookRun, StepOutcome]:  # fmt: skip
    for _ in range(50):
        run, outcome = look(ctx, run, book, index, clock, undo=undo)
        if outcome.status != "waiting":
            return run, outcome
        clock.now += 1
    raise AssertionError(f"step {index} still waiting: {outcome.detail}")


def _with(run: RunbookRun, index: int, step: StepRun) -> RunbookRun:
    steps = list(run.steps)
    steps[index] = step
    return run.model_copy(update={"steps": tuple(steps)})


def count(cloud: SimulatedCloud, name: str) -> int:
    return cloud.get(name).count or 0


def test_scale_standby_scales_once_and_its_undo_drains_it(ctx: WorkerContext, cloud: SimulatedCloud,
                                                         clock: Clock) -> None:  # fmt: skip
    book = runbook(Step(name="Scale web-dr", do=Do.SCALE_STANDBY))
    run, outcome = until_done(ctx, new_run(book), book, 0, clock)
    assert (outcome.status, count(cloud, "web-dr")) == ("done", 12)
    assert "web-dr is at 12 instances" in outcome.detail
    assert run.steps[0].memo["size_before"] == "0"
    again = perform(ctx, run, book, 0, clock=clock)  # a worker taking over looks again
    assert again.status == "done" and again.memo == {"size_before": "0"}
    _, undone = until_done(ctx, run, book, 0, clock, undo=True)
    assert (undone.status, count(cloud, "web-dr")) == ("done", 0)


def test_drain_primary_and_undo_brings_it_back(ctx: WorkerContext, cloud: SimulatedCloud, clock: Clock) -> None:
    book = runbook(Step(name="Drain web-prod", do=Do.DRAIN_PRIMARY))
    run, outcome = until_done(ctx, new_run(book), book, 0, clock)
    assert (outcome.status, count(cloud, "web-prod"), run.steps[0].memo["size_before"]) == ("done", 0, "12")
    _, undone = until_done(ctx, run, book, 0, clock, undo=True)
    assert (undone.status, count(cloud, "web-prod")) == ("done", 12)


def test_scale_beyond_the_group_maximum_fails_in_one_line(ctx: WorkerContext, cloud: SimulatedCloud,
                                                           clock: Clock) -> None:  # fmt: skip
    book = runbook(Step(name="Scale web-dr", do=Do.SCALE_STANDBY))
    _, outcome = until_done(ctx, new_run(book, primary_size=50), book, 0, clock)
    assert outcome.status == "failed" and "web-dr's maximum is 40" in outcome.detail
    assert count(cloud, "web-dr") == 0


def test_switch_dns_waits_until_settled_and_undo_points_back(ctx: WorkerContext, dns: SimulatedDns,
                                                             clock: Clock) -> None:  # fmt: skip
    book = runbook(Step(name="Switch DNS", do=Do.SWITCH_DNS),
                   Step(name="DNS settled", wait=Wait.DNS_SETTLED, timeout_seconds=300))  # fmt: skip
    run, outcome = until_done(ctx, new_run(book), book, 0, clock)
    assert outcome.status == "done" and dns.read(DNS).pointing == ("web-dr",)
    assert run.steps[0].memo["dns_before"] == "web-prod"
    again = perform(ctx, run, book, 0, clock=clock)
    assert again.memo["dns_change"] == run.steps[0].memo["dns_change"]  # the same change: nothing moved again
    run, first = look(ctx, run, book, 1, clock)
    assert first.status == "waiting" and "not yet live" in first.detail
    clock.now += 30
    _, settled = look(ctx, run, book, 1, clock)
    assert settled.status == "done" and "www.wedding.example. live after 30 s" in settled.detail
    _, undone = until_done(ctx, run, book, 0, clock, undo=True)
    assert undone.status == "done" and dns.read(DNS).pointing == ("web-prod",)


@pytest.mark.parametrize(
    ("wait", "limit", "detail"),
    [(Wait.STANDBY_HEALTHY, 120, "web-dr 0/12 running"), (Wait.DNS_SETTLED, 20, "not yet live")],
)
def test_a_wait_fails_after_its_timeout(ctx: WorkerContext, clock: Clock, wait: Wait, limit: int, detail: str) -> None:
    book = runbook(Step(name="Switch DNS", do=Do.SWITCH_DNS), Step(name="Wait", wait=wait, timeout_seconds=limit))
    run, _ = until_done(ctx, new_run(book), book, 0, clock)  # DNS goes live 30 s after the switch
    run, early = look(ctx, run, book, 1, clock)
    clock.now += limit - 1
    run, still = look(ctx, run, book, 1, clock)
    clock.now += 1
    _, late = look(ctx, run, book, 1, clock)
    assert (early.status, still.status, late.status) == ("waiting", "waiting", "failed")
    assert detail in late.detail and f"after {limit} s: timed out" in late.detail


def test_standby_healthy_once_it_runs_the_primary_size(ctx: WorkerContext, clock: Clock) -> None:
    book = runbook(Step(name="Scale", do=Do.SCALE_STANDBY), Step(name="Healthy", wait=Wait.STANDBY_HEALTHY))
    run, _ = until_done(ctx, new_run(book), book, 0, clock)
    _, healthy = look(ctx, run, book, 1, clock)
    assert healthy.status == "done" and "web-dr 12/12 running" in healthy.detail


def test_post_goes_to_the_incident_channels_exactly_once(ctx: WorkerContext, clock: Clock) -> None:
    book = runbook(Step(name="Tell them", do=Do.POST, message="Failing web-prod over to web-dr"))
    fresh = new_run(book)
    run, outcome = look(ctx, fresh, book, 0, clock)
    _, taken_over = look(ctx, fresh, book, 0, clock)  # a worker that died before the memo was saved
    assert outcome.status == taken_over.status == "done"
    posts = [r.text for _, r in ctx.outbox.read("slack")]
    assert posts == ["Failing web-prod over to web-dr"]
    assert reverse(ctx, run, book, 0, clock=clock).detail == "nothing to undo"


def test_a_drill_changes_nothing_and_says_what_it_would_do(ctx: WorkerContext, cloud: SimulatedCloud,
                                                           dns: SimulatedDns, clock: Clock) -> None:  # fmt: skip
    book = runbook(
        Step(name="Tell them", do=Do.POST, message="Failing over", expect_seconds=0),
        Step(name="Scale web-dr", do=Do.SCALE_STANDBY, expect_seconds=180),
        Step(name="Healthy", wait=Wait.STANDBY_HEALTHY, expect_seconds=60),
        Step(name="Switch DNS", do=Do.SWITCH_DNS, expect_seconds=60),
        Step(name="DNS settled", wait=Wait.DNS_SETTLED, expect_seconds=60),
        Step(name="Drain web-prod", do=Do.DRAIN_PRIMARY, expect_seconds=120),
    )
    run = new_run(book, kind="drill")
    details = []
    for index in range(len(book.steps)):
        run, outcome = until_done(ctx, run, book, index, clock)
        assert outcome.status == "done", outcome.detail
        details.append(outcome.detail)
    assert (count(cloud, "web-dr"), count(cloud, "web-prod"), dns.read(DNS).pointing) == (0, 12, ("web-prod",))
    assert ctx.outbox.read("slack") == []
    assert details[1] == "would scale web-dr 0 -> 12 (simulated)"
    assert details[3] == "would point www.wedding.example. at web-dr (now web-prod) (simulated)"
    assert [s.memo.get("simulated_seconds") for s in run.steps] == ["0", "180", "60", "60", "60", "120"]
    assert reverse(ctx, run, book, 1, clock=clock).status == "done" and count(cloud, "web-dr") == 0


def test_a_drill_reports_what_would_fail(ctx: WorkerContext, clock: Clock) -> None:
    book = runbook(Step(name="Scale web-dr", do=Do.SCALE_STANDBY))
    _, outcome = look(ctx, new_run(book, kind="drill", primary_size=50), book, 0, clock)
    assert outcome.status == "failed" and outcome.detail.startswith("would fail: web-dr's maximum is 40")


class Health(LoopbackHandler):
    status = 200
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.reply(type(self).status, b"ok")


@pytest.fixture
def health() -> Iterator[LoopbackServer]:
    Health.status = 200
    Health.paths = []
    with LoopbackServer(Health, "health") as server:
        yield server


def test_health_check_passes_on_the_expected_status(ctx: WorkerContext, clock: Clock, health: LoopbackServer) -> None:
    book = runbook(Step(name="Check", do=Do.HEALTH_CHECK, url=f"{health.url}/healthz"))
    _, outcome = look(ctx, new_run(book), book, 0, clock)
    assert outcome.status == "done" and outcome.detail.startswith("HTTP 200 in ")


def test_health_check_fails_after_its_timeout(ctx: WorkerContext, clock: Clock, health: LoopbackServer) -> None:
    Health.status = 503
    book = runbook(Step(name="Check", do=Do.HEALTH_CHECK, url=f"{health.url}/healthz", timeout_seconds=60))
    run, first = look(ctx, new_run(book), book, 0, clock)
    clock.now += 60
    _, last = look(ctx, run, book, 0, clock)
    assert first.status == "waiting" and "HTTP 503, expected 200" in first.detail
    assert last.status == "failed" and last.detail.endswith("HTTP 503, expected 200 after 60 s")


def test_a_throttled_scale_is_tried_again_on_the_next_look(ctx: WorkerContext, cloud: SimulatedCloud,
                                                           clock: Clock) -> None:  # fmt: skip
    cloud.inject("transient", action=ActionName.SCALE)
    book = runbook(Step(name="Scale web-dr", do=Do.SCALE_STANDBY))
    run, first = look(ctx, new_run(book), book, 0, clock)
    assert first.status == "waiting" and "throttling requests for web-dr; trying again" in first.detail
    _, second = look(ctx, run, book, 0, clock)
    assert (second.status, count(cloud, "web-dr")) == ("done", 12)


def test_nothing_to_undo_for_a_step_that_never_changed_anything(ctx: WorkerContext, clock: Clock) -> None:
    book = runbook(Step(name="Scale web-dr", do=Do.SCALE_STANDBY), Step(name="Switch DNS", do=Do.SWITCH_DNS))
    run = new_run(book)
    assert [reverse(ctx, run, book, i, clock=clock).detail for i in (0, 1)] == ["nothing to undo"] * 2


def test_a_human_step_waits_for_its_tick(ctx: WorkerContext, clock: Clock) -> None:
    book = runbook(Step(name="Confirm the database replica is promoted", human=True, role="admin"))
    outcome = perform(ctx, new_run(book), book, 0, clock=clock)
    assert (outcome.status, outcome.detail) == ("waiting", "waiting for admin to tick it")


def test_parameters_are_filled_in_a_post_and_a_health_check(
    ctx: WorkerContext, clock: Clock, health: LoopbackServer
) -> None:  # fmt: skip
    host = health.url.removeprefix("http://")
    book = runbook(
        Step(name="Tell them", do=Do.POST, message="{standby} takes {service} traffic from {primary} ({{ticket}})"),
        Step(name="Check", do=Do.HEALTH_CHECK, url="http://{host}/{path}"),
        parameters={"host": host, "path": "healthz"},
    )
    run, posted = look(ctx, new_run(book), book, 0, clock)
    _, checked = look(ctx, run, book, 1, clock)
    assert posted.status == checked.status == "done"
    assert [r.text for _, r in ctx.outbox.read("slack")] == ["web-dr takes web traffic from web-prod ({ticket})"]
    assert Health.paths == ["/healthz"]
