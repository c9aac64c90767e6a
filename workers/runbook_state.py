"""The changes the runbook watcher makes to a run's record, each a pure function of the record as stored (applied
with RunBook.update, which may call it twice when another writer got there first) that returns None when the
record moved on meanwhile: a tick, a pause or an abort may come between the watcher's read and its write."""

from __future__ import annotations

from actions.dr.model import RunbookRun, RunState, StepOutcome, StepRun
from policies.runbook_model import UNDO, Runbook

ACTIVE = frozenset({"running", "waiting_human"})
STOPPABLE = frozenset({"running", "waiting_human", "paused"})
ABORTING = frozenset({"aborting"})
ANY = frozenset({"running", "waiting_human", "paused", "aborting"})
UNDOABLE = frozenset({"done", "running", "waiting", "undoing"})  # an action step that may have changed something


def padded(run: RunbookRun, runbook: Runbook) -> RunbookRun | None:
    if len(run.steps) == len(runbook.steps):
        return None
    return run.model_copy(update={"steps": tuple(StepRun() for _ in runbook.steps)})


def began(run: RunbookRun, index: int, now: float, *, human: bool) -> RunbookRun | None:
    if run.step != index or run.state not in ("running", "waiting_human"):
        return None
    record = run.steps[index]
    if human:
        if record.status == "waiting" and run.state == "waiting_human":
            return None
        record = record.model_copy(update={"status": "waiting", "started_at": record.started_at or now})
        return run.model_copy(update={"steps": replaced(run.steps, index, record), "state": "waiting_human"})
    if record.status != "pending":
        return None
    record = record.model_copy(update={"status": "running", "started_at": now})
    return run.model_copy(update={"steps": replaced(run.steps, index, record)})


def looked(run: RunbookRun, index: int, outcome: StepOutcome, now: float) -> RunbookRun | None:
    """The outcome of one look, kept even when the run was paused or aborted meanwhile (the memo is what an undo
    needs); the run moves on only when the step is done and the run still running."""
    record = run.steps[index]
    if run.step != index or record.status not in ("running", "waiting"):
        return None
    status = {"done": "done", "waiting": "waiting", "failed": "failed"}[outcome.status]
    finished = now if outcome.status != "waiting" else None
    record = record.model_copy(update={"status": status, "detail": outcome.detail, "finished_at": finished,
                                       "memo": record.memo | outcome.memo})  # fmt: skip
    step = index + 1 if outcome.status == "done" else index
    return run.model_copy(update={"steps": replaced(run.steps, index, record), "step": step})


def to_undo(run: RunbookRun, runbook: Runbook) -> int | None:
    """The newest action step that may have changed something and has an undo, not yet undone."""
    for index in range(len(runbook.steps) - 1, -1, -1):
        step, record = runbook.steps[index], run.steps[index]
        if step.do is not None and UNDO[step.do] is not None and step.undo and record.status in UNDOABLE:
            return index
    return None


def undoing(run: RunbookRun, index: int) -> RunbookRun | None:
    record = run.steps[index]
    if record.status == "undoing" or run.state != "aborting":
        return None
    return run.model_copy(update={"steps": replaced(run.steps, index, record.model_copy(update={"status": "undoing"}))})


def undone(run: RunbookRun, index: int, outcome: StepOutcome, now: float) -> RunbookRun | None:
    record = run.steps[index]
    if record.status != "undoing":
        return None
    status = "undone" if outcome.status == "done" else "failed" if outcome.status == "failed" else "undoing"
    detail = f"undo: {outcome.detail}" if outcome.detail else record.detail
    record = record.model_copy(update={"status": status, "detail": detail, "memo": record.memo | outcome.memo})
    return run.model_copy(update={"steps": replaced(run.steps, index, record)})


def ended(
    run: RunbookRun, state: RunState, failure: str | None, now: float, *, when: frozenset[str]
) -> RunbookRun | None:
    """The run ends in `state` if it is still in one of `when` (a tick, a pause or an abort may have come first)."""
    if run.finished or run.state not in when:
        return None
    # What had not run, and a person's step or a wait left waiting, did not happen: skipped.
    left = ("pending", "waiting", "running")
    steps = tuple(s.model_copy(update={"status": "skipped"}) if s.status in left else s for s in run.steps)
    return run.model_copy(update={"state": state, "failure": failure, "finished_at": now, "steps": steps})


def replaced(steps: tuple[StepRun, ...], index: int, record: StepRun) -> tuple[StepRun, ...]:
    return (*steps[:index], record, *steps[index + 1 :])
