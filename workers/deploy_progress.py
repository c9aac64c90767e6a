"""The one message a deploy edits as it goes, written for a phone: the head line with the share done, one line per
group, elapsed and ETA, who approved; and the buttons that fit the deploy's state. Also the one-line status
("deploy status") and the thread replies at milestones."""

from __future__ import annotations

from datetime import UTC, datetime

from actions.deploy.model import DeployRecord, GroupRollout
from actions.wording import CLOUD_LABELS
from core.durations import span
from core.models import Button

_HEADS = {
    "starting": "Starting",
    "paused": "Paused",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "rolling_back": "Being rolled back",
    "rolled_back": "Rolled back",
}
_GROUP_ENDS = {"succeeded": "done", "rolled_back": "done", "failed": "failed", "cancelled": "stopped",
               "paused": "paused", "pending": "waiting"}  # fmt: skip


def percent(record: DeployRecord) -> int:
    """Share of the deploy's instances on the new version; a group of no instances counts once it is done."""
    total = sum(g.state.total for g in record.groups)
    if total == 0:
        done = sum(g.state.status in ("succeeded", "rolled_back") for g in record.groups)
        return 100 * done // len(record.groups)
    return min(100, 100 * sum(min(g.state.updated, g.state.total) for g in record.groups) // total)


def subject(record: DeployRecord) -> str:
    """ "web v2.4 to prod", or for a rollback "web back to v2.3 in prod"."""
    request = record.request
    if request.kind == "rollback":
        return f"{request.service} back to {request.version} in {request.environment}"
    return f"{request.service} {request.version} to {request.environment}"


def head_line(record: DeployRecord, now: float) -> str:
    request = record.request
    if record.state == "rolling":
        verb = "Rolling" if request.kind == "rollback" else "Deploying"
        return f"{verb} {subject(record)}: {percent(record)}%"
    if record.state == "succeeded":
        took = span((record.finished_at or now) - record.created_at)
        count = f"{len(record.groups)} group{'s' if len(record.groups) > 1 else ''}"
        if request.kind == "rollback":
            return f"Rolled back: {request.service} to {request.version} in {request.environment}, {count}, {took}"
        return f"Done: {request.service} {request.version} in {request.environment}, {count}, {took}"
    return f"{_HEADS[record.state]}: {subject(record)} at {percent(record)}%"


def group_line(rollout: GroupRollout) -> str:
    """ "web-prod (AWS) 6/12 new, 12/12 healthy" and what the cloud says when it stands still or failed."""
    change, state = rollout.change, rollout.state
    where = f"{change.group} ({CLOUD_LABELS[change.cloud]})"
    if state.total == 0 and change.size == 0:
        line = f"{where} standby, 0 instances"
    elif state.status == "pending":  # nothing read from its cloud yet: no counts rather than made-up zeros
        line = f"{where} {change.size} instances"
    else:
        total = state.total or change.size
        line = f"{where} {state.updated}/{total} new, {state.healthy}/{total} healthy"
    if state.status in _GROUP_ENDS:
        line += f" - {_GROUP_ENDS[state.status]}"
    if state.unhealthy:
        line += f"; failing: {', '.join(state.unhealthy[:3])}" + (" ..." if len(state.unhealthy) > 3 else "")
    return line


def progress_text(record: DeployRecord, now: float) -> str:
    lines = [head_line(record, now)]
    if record.failure:
        lines.append(record.failure)
    lines += [group_line(g) for g in record.groups]
    lines.append(_timing(record, now))
    return "\n".join(lines)


def _timing(record: DeployRecord, now: float) -> str:
    parts = [f"Deploy {record.id}"]
    if record.finished:
        parts.append(f"took {span((record.finished_at or now) - record.created_at)}")
    else:
        parts.append(f"elapsed {_minutes(now - record.created_at)}")
        left = eta_seconds(record, now)
        if record.state == "rolling" and left is not None:
            parts.append(f"ETA {_minutes(left)}")
    who = f"asked by {record.request.requested_by}"
    if record.approved_by and record.approved_by != record.request.requested_by:
        who += f", approved by {record.approved_by}"
    return ", ".join(parts) + f" ({who})"


def _minutes(seconds: float) -> str:
    """A running deploy's times in whole minutes ("<1 min", "3 min", "1 h 5 min"): a seconds counter would change
    the message at every poll, and each edit is a platform call on a rate limit."""
    return "<1 min" if seconds < 60 else span(60 * (seconds // 60))


def eta_seconds(record: DeployRecord, now: float) -> float | None:
    """Seconds until the slowest group should be done, from its expected length (groups roll side by side)."""
    left = [
        g.change.expected_seconds - (now - (g.started_at or now))
        for g in record.groups
        if g.state.status not in ("succeeded", "rolled_back", "failed", "cancelled")
    ]
    return max(0.0, max(left)) if left else None


def progress_buttons(record: DeployRecord) -> tuple[Button, ...]:
    """Pause and Cancel while rolling, Resume and Cancel paused, Rollback once a deploy ended or failed."""
    id = record.id
    if record.state == "rolling":
        return (Button(id=f"deploy:pause:{id}", label="Pause"), _cancel(id))
    if record.state == "paused":
        return (Button(id=f"deploy:resume:{id}", label="Resume", style="primary"), _cancel(id))
    if record.state in ("failed", "succeeded", "cancelled") and record.request.kind == "deploy":
        return (Button(id=f"deploy:rollback:{id}", label="Rollback", style="danger"),)
    return ()


def _cancel(id: int) -> Button:
    return Button(id=f"deploy:cancel:{id}", label="Cancel", style="danger")


def status_line(record: DeployRecord, now: float) -> str:
    """ "Deploy 17: web v2.4 to prod, rolling 45%, 3 min, by alice" - one line of "deploy status"."""
    request = record.request
    what = "Rollback" if request.kind == "rollback" else "Deploy"
    state = record.state.replace("_", " ")
    if record.finished:
        ago = span(now - (record.finished_at or record.created_at))
        return f"{what} {record.id}: {subject(record)}, {state} {ago} ago, by {request.requested_by}"
    return (
        f"{what} {record.id}: {subject(record)}, {state} {percent(record)}%, {span(now - record.created_at)}, "
        f"by {request.requested_by}"
    )


def started_line(record: DeployRecord, now: float) -> str:
    """The thread reply when the clouds took the rollouts: "Deploy 17 started: web v2.4 to prod (4 groups, 3
    clouds), ETA 8 min"."""
    what = "Rollback" if record.request.kind == "rollback" else "Deploy"
    clouds = len(record.request.clouds)
    eta = eta_seconds(record, now)
    tail = f", ETA {span(eta)}" if eta is not None else ""
    plural = "s" if clouds > 1 else ""
    return f"{what} {record.id} started: {subject(record)} ({len(record.groups)} groups, {clouds} cloud{plural}){tail}"


def clock_time(at: float) -> str:
    """ "03:12": UTC, as every time in chat."""
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M")
