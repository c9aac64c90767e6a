"""The deploy figures of the chat path, in the simulated world on the real Redis: a whole opsbot (bot.runtime.Runtime
with its in-process worker and deploy watcher) is asked "deploy web v2.4 to staging", Confirm is pressed, and the
clock runs until the deploy's record holds the cloud's handle of a group (the job started it); mid-flight "rollback
web in staging" is confirmed and timed until every group of the rollback has its handle. Each run waits for the
rollback to end and resets the world, so the next deploy really rolls.

Then 20 deploys are left running (one simulated group each, rolling slowly) beside 200 finished ones: a deploy
watcher's tick is timed, and how long after the tick began each deploy's progress edit is in the outbox (the
outbox stream's entry id is Redis's clock in ms); the "shown" marks are cleared before each tick, so every deploy's
message is edited - the case of every deploy having moved. "deploy status" is typed and timed there too."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import redis

from actions.deploy.model import DeployRecord, DeployRequest, GroupChange, RolloutState, Strategy, VersionSpec
from actions.deploy.records import DeployBook
from actions.provider import Resource
from actions.simulated.provider import SimulatedCloud
from bench.figures import Figure
from bot.runtime import Runtime
from core.metrics import quantile
from core.models import ConversationRef, Message, Reply
from core.settings import Settings
from workers.context import build_context
from workers.deploy_report import SHOWN_PREFIX
from workers.deploy_watch import DeployWatcher

ROOM = ConversationRef(channel="console", conversation_id="bench-deploy")
WATCHED = ConversationRef(channel="console", conversation_id="bench-deploys-running")
LOOSE = Strategy(max_unhealthy_percent=100, warmup_seconds=0)  # a simulated hiccup never stops a measured deploy
T = TypeVar("T")


def _until(what: Callable[[], T | None], timeout: float, poll: float = 0.002) -> T:
    deadline = time.monotonic() + timeout
    while (found := what()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"deploy bench: nothing after {timeout:g} s")
        time.sleep(poll)
    return found


def _say(runtime: Runtime, text: str = "", press: str | None = None) -> list[Reply]:
    msg = Message(ref=ROOM, sender="alice", text=text, button_id=press, received_at=time.time())
    return runtime.conversation.handle(msg)


def _confirm(replies: list[Reply]) -> str:
    for reply in replies:
        for button in reply.buttons:
            if button.label == "Confirm":
                return button.id
    raise RuntimeError("deploy bench: no Confirm button in " + repr([r.text for r in replies]))


def _current(book: DeployBook, kind: str, every_group: bool) -> Callable[[], DeployRecord | None]:
    def found() -> DeployRecord | None:
        record = book.current("web", "staging")
        if record is None or record.request.kind != kind:
            return None
        begun = [g.handle is not None for g in record.groups]
        return record if (all(begun) if every_group else any(begun)) else None

    return found


def chat_figures(runtime: Runtime, runs: int) -> list[Figure]:
    """confirm -> first group rolling, and confirm of a rollback mid-flight -> every group's rollback accepted."""
    book, settings = DeployBook(runtime.connection), runtime.settings
    world = SimulatedCloud(runtime.connection, seed=settings.sim_seed, size=settings.sim_resources)
    starts, rollbacks = [], []
    for _ in range(runs):
        press = _confirm(_say(runtime, "deploy web v2.4 to staging"))
        began = time.perf_counter()
        _say(runtime, press=press)
        _until(_current(book, "deploy", every_group=False), 30.0)
        starts.append(time.perf_counter() - began)
        if book.current("web", "staging") is None:
            raise RuntimeError("deploy bench: the deploy ended before its rollback was asked (not mid-flight)")
        press = _confirm(_say(runtime, "rollback web in staging"))
        began = time.perf_counter()
        _say(runtime, press=press)
        _until(_current(book, "rollback", every_group=True), 30.0)
        rollbacks.append(time.perf_counter() - began)
        _until(lambda: True if book.current("web", "staging") is None else None, 60.0, poll=0.02)
        world.reset()
    return [
        Figure(f"confirm -> first group rolling p50 ({runs} runs)", quantile(starts, 0.5) * 1000, "ms", "<= 1,000 ms"),
        Figure(f"confirm -> first group rolling p99 ({runs} runs)", quantile(starts, 0.99) * 1000, "ms",
               "<= 1,000 ms"),
        Figure("rollback initiation mid-flight p50 (simulated)", quantile(rollbacks, 0.5) * 1000, "ms", "<= 5,000 ms"),
        Figure("rollback initiation mid-flight p99 (simulated)", quantile(rollbacks, 0.99) * 1000, "ms",
               "<= 5,000 ms"),
    ]  # fmt: skip


def _change(group: Resource, size: int, version: str) -> GroupChange:
    return GroupChange(
        group_id=group.id, group=group.name, cloud=group.cloud, region=group.region, size=size,
        from_version=group.version, to_version=version, to=VersionSpec(image=version), strategy=LOOSE,
        expected_seconds=600,
    )  # fmt: skip


def _record(book: DeployBook, service: str, change: GroupChange) -> DeployRecord:
    request = DeployRequest(kind="deploy", service=service, environment="bench", version=change.to_version,
                            groups=(change,), requested_by="alice")  # fmt: skip
    return book.create(request, WATCHED, f"bench-progress-{service}", approved_by="alice")


def populate(settings: Settings, connection: redis.Redis, running: int, finished: int) -> list[int]:
    """`finished` finished deploys and `running` rolling ones (one simulated group each); the running ids."""
    ctx = build_context(settings, connection)
    book, backends = ctx.deploys.book, ctx.deploys.backends()
    world = SimulatedCloud(connection, seed=settings.sim_seed, size=settings.sim_resources)
    groups = [(g, len(world.members_of(g))) for g in world.snapshot().resources if g.kind == "group"]
    groups = [(g, size) for g, size in groups if size > 0]
    if len(groups) < running:
        raise RuntimeError(f"deploy bench: the simulated world has {len(groups)} groups, not {running}")
    for n in range(finished):
        group, size = groups[n % len(groups)]
        record = _record(book, f"old{n % 10}", _change(group, size, f"v1.{n}"))
        done = RolloutState(status="succeeded", percent=100, updated=size, healthy=size, total=size)
        now = time.time()
        rollouts = tuple(g.model_copy(update={"state": done, "finished_at": now}) for g in record.groups)
        book.save(record.model_copy(update={"state": "succeeded", "finished_at": now, "groups": rollouts}))
    ids = []
    for n, (group, size) in enumerate(groups[:running]):
        change = _change(group, size, f"v9.{n}")
        record = _record(book, f"svc{n:02d}", change)
        handle, now = backends[change.cloud].start(change), time.time()
        rolling = record.groups[0].model_copy(
            update={"handle": handle, "started_at": now, "state": RolloutState(status="rolling", total=size)}
        )
        book.save(record.model_copy(update={"state": "rolling", "groups": (rolling,)}))
        ids.append(record.id)
    return ids


def watcher_figures(settings: Settings, connection: redis.Redis, ids: list[int], ticks: int) -> list[Figure]:
    """Ticks of a deploy watcher over the running deploys: each tick's time, and tick start -> edit in the outbox."""
    ctx = build_context(settings, connection)
    watcher = DeployWatcher(ctx, every_seconds=3600.0, holder="bench-watcher")
    keys = {f"bench-progress-svc{n:02d}" for n in range(len(ids))}
    tick_times, edits = [], []
    try:
        for _ in range(ticks):
            connection.delete(*(SHOWN_PREFIX + str(i) for i in ids))
            after = ctx.outbox.last_id(WATCHED.channel)
            began, start = time.time(), time.perf_counter()
            followed = watcher.tick()
            tick_times.append(time.perf_counter() - start)
            if len(followed) != len(ids):
                raise RuntimeError(f"deploy bench: the watcher followed {len(followed)} deploys, not {len(ids)}")
            for entry, reply in ctx.outbox.read(WATCHED.channel, after):
                if reply.edit_of in keys:
                    edits.append(int(entry.split("-")[0]) / 1000 - began)
    finally:
        watcher.stop()
    running = len(ids)
    return [
        Figure(f"watcher tick, {running} deploys running p50", quantile(tick_times, 0.5) * 1000, "ms"),
        Figure(f"watcher tick, {running} deploys running p99", quantile(tick_times, 0.99) * 1000, "ms"),
        Figure(f"progress edit latency ({running} running, {len(edits)} edits) p50", quantile(edits, 0.5) * 1000,
               "ms"),
        Figure(f"progress edit latency ({running} running) p99", quantile(edits, 0.99) * 1000, "ms", "<= 500 ms"),
    ]  # fmt: skip


def status_figures(runtime: Runtime, runs: int, running: int, finished: int) -> list[Figure]:
    """ "deploy status" typed, answered from the deploy records."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        (answer,) = _say(runtime, "deploy status")
        times.append(time.perf_counter() - start)
    if "svc" not in answer.text:
        raise RuntimeError("deploy bench: deploy status did not list the running deploys: " + answer.text[:200])
    where = f"{running} running, {finished} finished"
    return [
        Figure(f'"deploy status", {where} p50', quantile(times, 0.5) * 1000, "ms"),
        Figure(f'"deploy status", {where} p99', quantile(times, 0.99) * 1000, "ms", "<= 1,000 ms"),
    ]
