"""The world the runbook engine's tests run in: real Redis, the simulated clouds, the shipped runbooks, a clock the
test moves, a pager that keeps what it was asked to send, and a scripted stand-in for the steps (how many looks
each step takes, which fails) that counts every call - so a test can say "step 2 was never run again"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import redis
from pydantic import SecretStr

from actions.dr.model import RunbookRequest, RunbookRun, RunKind, StepOutcome
from actions.simulated.provider import SimulatedCloud
from audit.log import AuditLog
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from core.settings import Settings
from policies.runbook_model import Runbook
from policies.runbooks import load_runbooks, runbook_hash
from tests.clock import ManualClock
from workers.context import DrParts, WorkerContext, clear_context, install_context
from workers.paging import PageRef
from workers.runbook_jobs import start_run
from workers.runbook_watch import RunbookWatcher

REF = ConversationRef(channel="console", conversation_id="ops-room", thread_id="t1")
INCIDENT = "slack:C0INCIDENT"


class KeptPager:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def sms(self, to: str, text: str, page: PageRef) -> str:
        self.sent.append((to, text))
        return f"SM{len(self.sent)}"

    def call(self, to: str, page: PageRef) -> str:
        raise AssertionError("a runbook never calls")


@dataclass
class Script:
    """`looks[i]`: how many looks step i takes before "done" (default 1); `fails`: steps that fail."""

    looks: dict[int, int] = field(default_factory=dict)
    fails: set[int] = field(default_factory=set)
    performed: list[int] = field(default_factory=list)
    reversed: list[int] = field(default_factory=list)

    def perform(
        self, ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, *, clock: Callable[[], float]
    ) -> StepOutcome:
        self.performed.append(index)
        if index in self.fails:
            return StepOutcome(status="failed", detail="web-dr 3/12 running after 600 s: timed out")
        if self.performed.count(index) < self.looks.get(index, 1):
            return StepOutcome(status="waiting", detail=f"look {self.performed.count(index)}")
        return StepOutcome(status="done", detail=f"step {index + 1} did it", memo={"did": "1"})

    def reverse(
        self, ctx: WorkerContext, run: RunbookRun, runbook: Runbook, index: int, *, clock: Callable[[], float]
    ) -> StepOutcome:
        assert run.steps[index].memo.get("did") == "1" or run.steps[index].status == "undoing"
        self.reversed.append(index)
        return StepOutcome(status="done", detail="back as it was")


@dataclass
class World:
    ctx: WorkerContext
    clock: ManualClock
    pager: KeptPager
    runbooks: dict[str, Runbook]
    script: Script = field(default_factory=Script)
    watchers: list[RunbookWatcher] = field(default_factory=list)

    def watcher(
        self, *, real_steps: bool = False, lease_seconds: float | None = None, every_seconds: float | None = None
    ) -> RunbookWatcher:
        perform, reverse = (None, None) if real_steps else (self.script.perform, self.script.reverse)
        watcher = RunbookWatcher(self.ctx, clock=self.clock, holder=f"w{len(self.watchers)}",
                                 every_seconds=every_seconds, lease_seconds=lease_seconds, perform=perform,
                                 reverse=reverse)  # fmt: skip
        self.watchers.append(watcher)
        return watcher

    def start(self, kind: RunKind = "run", name: str = "web-failover", *, hash: str | None = None) -> RunbookRun:
        """An approved run of the runbook, as the conversation makes it: created, then started."""
        runbook = self.runbooks[name]
        request = RunbookRequest(
            runbook=name, runbook_hash=hash or runbook_hash(runbook), kind=kind, service=runbook.service,
            primary=runbook.primary, standby=runbook.standby, primary_size=12, standby_size=0,
            requested_by="alice",
        )  # fmt: skip
        channels = (ConversationRef(channel="slack", conversation_id="C0INCIDENT"),)
        run = self.ctx.dr.book.create(request, REF, "checklist-1", "bob", channels, steps=len(runbook.steps))
        start_run(self.ctx, run)
        return run

    def run(self, id: int) -> RunbookRun:
        found = self.ctx.dr.book.get(id)
        assert found is not None
        return found

    def said(self, channel: str, conversation: str | None = None) -> list[Reply]:
        return [r for _, r in self.ctx.outbox.read(channel)
                if conversation is None or r.ref.conversation_id == conversation]  # fmt: skip

    def edits(self) -> list[Reply]:
        return [r for r in self.said(REF.channel) if r.edit_of == "checklist-1"]

    def thread(self) -> list[str]:
        return [r.text for r in self.said(REF.channel) if r.reply_to == "checklist-1"]


def build_world(settings: Settings, connection: redis.Redis, *, platforms: bool = True) -> World:
    """`platforms`: Slack and Telegram configured (the stakeholders' direct messages go there), else console only."""
    chat = {"slack_bot_token": SecretStr("xoxb-test"), "telegram_token": SecretStr("123456:" + "a" * 30)}
    settings = settings.model_copy(update={"incident_channels": [INCIDENT], **(chat if platforms else {})})
    clock = ManualClock(1_800_000_000.0)
    pager = KeptPager()
    runbooks = load_runbooks(None)
    cloud = SimulatedCloud(connection, seed=settings.sim_seed, size=settings.sim_resources,
                           step_seconds=settings.sim_step_seconds)  # fmt: skip
    parts = DrParts(settings, connection, runbooks=runbooks, pager=pager, clock=clock)
    ctx = WorkerContext(settings=settings, connection=connection, provider=cloud, audit=AuditLog(settings.data_dir),
                        outbox=Outbox(connection), dr_parts=parts)  # fmt: skip
    return World(ctx, clock, pager, runbooks)


def installed_world(settings: Settings, redis_conn: redis.Redis) -> Iterator[World]:
    """The runbook tests' `world` fixture: the world with its context installed; its watchers stopped afterwards."""
    built = build_world(settings, redis_conn)
    install_context(built.ctx)
    yield built
    for watcher in built.watchers:
        watcher.stop()
    clear_context()
