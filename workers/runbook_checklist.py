"""The one checklist message a runbook run edits as it goes, written for a phone: a head line (what runs, its state,
how far), one line per step (done and how long it took, who ticked it, what it waits for), who approved; the
buttons that fit the run's state (a tick for the human step it waits on, Pause or Resume, Abort); and the one-line
status the broadcasts carry."""

from __future__ import annotations

from actions.dr.model import RunbookRun, StepRun
from actions.dr.runs import run_label
from core.durations import span
from core.models import Button
from policies.runbook_model import Runbook, Step

_MARKS = {"pending": "[ ]", "running": "[>]", "waiting": "[>]", "done": "[x]", "failed": "[!]", "skipped": "[-]",
          "undoing": "[<]", "undone": "[~]"}  # fmt: skip
_STATES = {"running": "running", "paused": "paused", "waiting_human": "waiting for a person",
           "aborting": "aborting (undoing)", "aborted": "aborted", "succeeded": "done", "failed": "FAILED"}  # fmt: skip


def title(run: RunbookRun, runbook: Runbook) -> str:
    """ "Failover 4: Fail web-prod over to web-dr" ("Drill 6: ..." for a dry run)."""
    label = run_label(run)
    return f"{label[0].upper()}{label[1:]}: {runbook.title}"


def elapsed(run: RunbookRun, now: float) -> float:
    return (run.finished_at or now) - run.created_at


def status_line(run: RunbookRun, runbook: Runbook, now: float) -> str:
    """One line for the incident channels and the stakeholders: what, its state, the step it is on, how long."""
    total = len(runbook.steps)
    state = _STATES[run.state]
    if run.finished:
        where = f"{sum(s.status == 'done' for s in run.steps)} of {total} steps done"
    else:
        index = min(run.step, total - 1)
        where = f"step {index + 1} of {total}: {runbook.steps[index].name}"
    line = f"{title(run, runbook)} - {state}, {where}, {span(elapsed(run, now))}"
    if run.failure and run.state in ("failed", "aborting", "aborted"):
        line += f" ({run.failure})"
    return line


def step_line(index: int, step: Step, record: StepRun, now: float) -> str:
    """ "[x] 2. Scale web-dr to 12 - 2m 58s: web-dr 12/12 running" and who ticked a human step."""
    line = f"{_MARKS[record.status]} {index + 1}. {step.name}"
    if step.human:
        line += f" ({step.role or 'operator'})"
    if record.started_at is not None and record.status in ("done", "failed", "undone", "skipped"):
        line += f" - {span((record.finished_at or now) - record.started_at)}"
    if record.by:
        line += f", ticked by {record.by}"
    if record.detail:
        line += f": {record.detail}"
    return line


def checklist_text(run: RunbookRun, runbook: Runbook, now: float) -> str:
    steps = run.steps if len(run.steps) == len(runbook.steps) else tuple(StepRun() for _ in runbook.steps)
    head = f"{title(run, runbook)} - {_STATES[run.state]}"  # no running clock: the message changes with the steps
    lines = [head + (f", {span(elapsed(run, now))}" if run.finished else "")]
    lines += [step_line(i, step, record, now) for i, (step, record) in enumerate(zip(runbook.steps, steps,
                                                                                       strict=True))]  # fmt: skip
    who = f"Asked by {run.request.requested_by}"
    if run.approved_by:
        who += f", approved by {run.approved_by}"
    if run.paused_by and run.state == "paused":
        who += f"; paused by {run.paused_by}"
    if run.aborted_by:
        who += f"; aborted by {run.aborted_by}"
    lines.append(who)
    if run.failure:
        lines.append(f"Why: {run.failure}")
    return "\n".join(lines)


def checklist_buttons(run: RunbookRun, runbook: Runbook) -> tuple[Button, ...]:
    """A tick for the human step the run waits on; Pause or Resume; Abort (asks its own confirmation)."""
    if run.finished or run.state == "aborting":
        return ()
    buttons: list[Button] = []
    if run.state == "waiting_human" and run.step < len(runbook.steps):
        step = runbook.steps[run.step]
        buttons.append(Button(id=f"runbook:tick:{run.id}:{run.step}", label=f"Done: {step.name}"[:60],
                              style="primary"))  # fmt: skip
    if run.state == "paused":
        buttons.append(Button(id=f"runbook:resume:{run.id}", label="Resume", style="primary"))
    else:
        buttons.append(Button(id=f"runbook:pause:{run.id}", label="Pause"))
    buttons.append(Button(id=f"runbook:abort:{run.id}", label="Abort", style="danger"))
    return tuple(buttons)
