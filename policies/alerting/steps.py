"""The escalation planner: which page comes next and after how long, and who a step pages. Pure: the
worker keeps the `Cursor` of an alert, sleeps the delay, pages, and asks again; an acknowledgement stops it.

`after` is counted from the previous page. A step with `every` pages again at that interval: `times` in all,
then the next step comes `after` its last page. An `until_acked` step has no last page: it repeats until the
next step is due, `after` its first page, or (the last step) until someone acknowledges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from policies.alerting.model import SCHEDULE_PREFIX, AlertingPolicy, Escalation, Step
from policies.alerting.oncall import Override, on_call, rotation_after
from policies.alerting.schedule import Schedule


@dataclass(frozen=True)
class Cursor:
    step: int  # index in the escalation's steps
    time: int  # repeats of that step done before this page (0: its first page)
    round: int  # runs of the whole list done before this one (0: the first run)


def next_page(escalation: Escalation, cursor: Cursor | None) -> tuple[Cursor, Step, float] | None:
    """The page after `cursor` (None: the first page), with its delay in seconds after the previous page
    (for the first page: after the alert arrived). None when the escalation is over."""
    steps = escalation.steps
    if cursor is None:
        return Cursor(0, 0, 0), steps[0], steps[0].after
    step = steps[cursor.step]
    again = Cursor(cursor.step, cursor.time + 1, cursor.round)
    has_next = cursor.step + 1 < len(steps)
    if step.every is not None and (step.until_acked or cursor.time + 1 < int(step.times)):
        if not (step.until_acked and has_next):
            return again, step, step.every
        due = steps[cursor.step + 1].after - cursor.time * step.every  # from this page to the next step
        if step.every < due:
            return again, step, step.every
        return Cursor(cursor.step + 1, 0, cursor.round), steps[cursor.step + 1], due
    if has_next:
        return Cursor(cursor.step + 1, 0, cursor.round), steps[cursor.step + 1], steps[cursor.step + 1].after
    if cursor.round < escalation.repeat:
        return Cursor(0, 0, cursor.round + 1), steps[0], steps[0].after
    return None


def schedule_for(alerting: AlertingPolicy, step: Step) -> str | None:
    """The name of the schedule `step` pages from (a `schedule:<name>`, else the default), or None."""
    target = step.target
    if target is None:
        return None
    if target.startswith(SCHEDULE_PREFIX):
        return target.removeprefix(SCHEDULE_PREFIX)
    return alerting.default_schedule if target in ("oncall", "next", "manager") else None


def resolve_target(
    step: Step,
    schedule: Schedule | None,
    at: datetime,
    overrides: Sequence[Override] = (),
    *,
    paged_before: Sequence[str] = (),
) -> str | None:
    """The one user `step` pages at `at`, `schedule` being the one `schedule_for` names. None for a channel
    step, or when nobody fits (no schedule, no manager, or `next` finds nobody not already paged)."""
    target = step.target
    if target is None:
        return None
    if target not in ("oncall", "next", "manager") and not target.startswith(SCHEDULE_PREFIX):
        return target
    if schedule is None:
        return None
    now = on_call(schedule, at, overrides)
    if target == "manager":
        return now.manager
    if target == "next":
        skip = {now.person, *paged_before}
        return next((person for person in rotation_after(schedule, at) if person not in skip), None)
    return now.person
