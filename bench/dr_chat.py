"""The DR figures of the chat path, in the simulated world on the real Redis: a whole opsbot (bot.runtime.Runtime
with its in-process worker and runbook watcher) is asked "fail over web-prod" by alice and carol presses Approve;
the clock runs until the run's record shows its first step started. The run goes on to its first human step (the
replica's promotion); there each finished step's checklist edit is found in the outbox (the stream's entry id is
Redis's clock in ms, the step's finished_at the worker's clock: one machine), then bob presses Abort and confirms,
timed until the first undo is under way. Each run waits for the abort to end and resets the world and its DNS.

`whole_run` runs the shipped failover (or a drill) end to end, ticking each human step as soon as it waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from actions.dr.model import RunbookRun
from actions.dr.runs import RunBook
from actions.simulated.dns import SimulatedDns
from actions.simulated.provider import SimulatedCloud
from bench.figures import Figure
from bot.runtime import Runtime
from core.metrics import quantile
from core.models import ConversationRef, Message, Reply
from policies.runbook_model import Runbook

ROOM = ConversationRef(channel="console", conversation_id="bench-dr")
T = TypeVar("T")


def _until(what: Callable[[], T | None], timeout: float, poll: float = 0.002) -> T:
    deadline = time.monotonic() + timeout
    while (found := what()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"dr bench: nothing after {timeout:g} s")
        time.sleep(poll)
    return found


def _say(runtime: Runtime, user: str, text: str = "", press: str | None = None) -> list[Reply]:
    msg = Message(ref=ROOM, sender=user, text=text, button_id=press, received_at=time.time())
    return runtime.conversation.handle(msg)


def _button(replies: list[Reply], label_start: str) -> str:
    for reply in replies:
        for button in reply.buttons:
            if button.label.startswith(label_start):
                return button.id
    raise RuntimeError(f"dr bench: no {label_start!r} button in " + repr([r.text[:200] for r in replies]))


def _run_of(book: RunBook, kind: str) -> Callable[[], RunbookRun | None]:
    def found() -> RunbookRun | None:
        runs = [r for r in book.running() if r.request.service == "web" and r.request.kind == kind]
        return runs[0] if runs else None

    return found


def _where(book: RunBook, run_id: int, holds: Callable[[RunbookRun], bool]) -> Callable[[], RunbookRun | None]:
    def found() -> RunbookRun | None:
        run = book.get(run_id)
        return run if run is not None and holds(run) else None

    return found


def _edit_delays(runtime: Runtime, key: str, run: RunbookRun) -> list[float]:
    """For each finished step: its finished_at -> the first checklist edit in the outbox that shows it done."""
    edits = [(int(entry.split("-")[0]) / 1000, r.text) for entry, r in runtime.outbox.read(ROOM.channel, "0-0")
             if r.edit_of == key]  # fmt: skip
    delays = []
    for i, step in enumerate(run.steps):
        if step.status != "done" or step.finished_at is None:
            continue
        shown = next((at for at, text in edits if f"[x] {i + 1}. " in text), None)
        if shown is not None:
            delays.append(max(0.0, shown - step.finished_at))
    return delays


def chat_figures(runtime: Runtime, runs: int) -> list[Figure]:
    """approve -> first step running, step done -> checklist edit, and abort confirmed -> first undo under way."""
    book, settings = RunBook(runtime.connection), runtime.settings
    world = SimulatedCloud(runtime.connection, seed=settings.sim_seed, size=settings.sim_resources)
    dns = SimulatedDns(runtime.connection, seed=settings.sim_seed, size=settings.sim_resources)
    starts: list[float] = []
    edits: list[float] = []
    aborts: list[float] = []
    for _ in range(runs):
        (preview,) = _say(runtime, "alice", "fail over web-prod")
        approve = _button([preview], "Approve")
        began = time.perf_counter()
        _say(runtime, "carol", press=approve)
        run = _until(_run_of(book, "run"), 30.0)
        _until(_where(book, run.id, lambda r: r.steps[0].status != "pending"), 30.0)
        starts.append(time.perf_counter() - began)

        run = _until(_where(book, run.id, lambda r: r.state == "waiting_human"), 60.0, poll=0.01)
        time.sleep(0.2)  # the last edit before the human step is out
        edits += _edit_delays(runtime, preview.key, run)

        ask = _say(runtime, "bob", press=f"runbook:abort:{run.id}")
        confirm = _button(ask, "Abort and undo")
        began = time.perf_counter()
        _say(runtime, "bob", press=confirm)
        _until(_where(book, run.id, lambda r: any(s.status in ("undoing", "undone") for s in r.steps)), 30.0)
        aborts.append(time.perf_counter() - began)
        _until(_where(book, run.id, lambda r: r.finished), 60.0, poll=0.01)
        world.reset()
        dns.reset()
    if not edits:
        raise RuntimeError("dr bench: no checklist edit showed a finished step")
    return [
        Figure(f"approve -> first step running p50 ({runs} runs)", quantile(starts, 0.5) * 1000, "ms", "<= 1,000 ms"),
        Figure(f"approve -> first step running p99 ({runs} runs)", quantile(starts, 0.99) * 1000, "ms",
               "<= 2,000 ms (seed)"),
        Figure(f"step done -> checklist edit p50 ({len(edits)} steps)", quantile(edits, 0.5) * 1000, "ms"),
        Figure(f"step done -> checklist edit p99 ({len(edits)} steps)", quantile(edits, 0.99) * 1000, "ms",
               "<= 500 ms"),
        Figure(f"abort confirmed -> first undo started p50 ({runs} runs)", quantile(aborts, 0.5) * 1000, "ms"),
        Figure(f"abort confirmed -> first undo started p99 ({runs} runs)", quantile(aborts, 0.99) * 1000, "ms",
               "<= 2,000 ms"),
    ]  # fmt: skip


def whole_run(runtime: Runtime, runbook: Runbook, drill: bool, timeout: float) -> tuple[RunbookRun, float]:
    """The shipped failover of web-prod (or its drill) from the approval to its end, each human step ticked as soon
    as it waits (by carol for an admin's step, bob otherwise); the finished run and its wall time in seconds."""
    book = RunBook(runtime.connection)
    if drill:
        (preview,) = _say(runtime, "bob", "dr drill web-prod")
        user, press = "bob", _button([preview], "Confirm")
    else:
        (preview,) = _say(runtime, "alice", "fail over web-prod")
        user, press = "carol", _button([preview], "Approve")
    began = time.perf_counter()
    _say(runtime, user, press=press)
    run = _until(_run_of(book, "drill" if drill else "run"), 30.0)
    deadline = time.monotonic() + timeout
    while not run.finished:
        if time.monotonic() > deadline:
            raise RuntimeError(f"dr bench: run {run.id} not finished after {timeout:g} s (step {run.step + 1})")
        if run.state == "waiting_human":
            step = runbook.steps[run.step]
            who = "carol" if step.role == "admin" else "bob"
            _say(runtime, who, press=f"runbook:tick:{run.id}:{run.step}")
        time.sleep(0.01)
        run = book.get(run.id) or run
    wall = time.perf_counter() - began
    if run.state != "succeeded":
        raise RuntimeError(f"dr bench: run {run.id} ended {run.state}: {run.failure}")
    return run, wall
