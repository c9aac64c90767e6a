"""How deploys read in chat: the preview a person confirms (one head line, a line per group, what changed, what was
checked), and the status and history answers. Read on a phone: the key fact first, one line per group or deploy."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from actions.deploy.model import DeployRecord, DeployRequest, GroupChange
from actions.wording import CLOUD_LABELS, where
from core.durations import measured, span

CHANGES_SHOWN = 5  # changelog lines in a preview; the compare link has the rest
_OUTCOME = {
    "succeeded": "done",
    "failed": "FAILED",
    "cancelled": "cancelled",
    "rolled_back": "rolled back",
    "starting": "starting",
    "rolling": "rolling",
    "paused": "paused",
    "rolling_back": "rolling back",
}


def asked(request: DeployRequest) -> str:
    """ "Deploy web v2.4 to prod", "Roll back web in prod to v2.3": what was asked, in a line that refuses it."""
    if request.kind == "rollback":
        return f"Roll back {request.service} in {request.environment} to {request.version}"
    return f"Deploy {request.service} {request.version} to {request.environment}"


def total_seconds(request: DeployRequest) -> int:
    """The whole deploy's expected length: a cloud rolls its groups one after the other, the clouds at once."""
    per_cloud: dict[str, int] = {}
    for g in request.groups:
        per_cloud[g.cloud.value] = per_cloud.get(g.cloud.value, 0) + g.expected_seconds
    return max(per_cloud.values(), default=0)


def head_line(request: DeployRequest, undoing: str | None = None) -> str:
    """ "Deploy web v2.4 to prod: 4 groups in 3 clouds, about 8 min" (a rollback: "Roll back web in prod: v2.4 ->
    v2.3, ...", from `undoing`, the version of the deploy it undoes, else what the groups run)."""
    groups, clouds = len(request.groups), len(request.clouds)
    size = f"{groups} group{'s' if groups != 1 else ''} in {clouds} cloud{'s' if clouds != 1 else ''}"
    about = f"about {span(total_seconds(request))}"
    if request.kind == "rollback":
        froms = [undoing] if undoing else _froms(request)
        to = f": {'/'.join(froms)} -> {request.version}" if froms else f" to {request.version}"
        return f"Roll back {request.service} in {request.environment}{to}, {size}, {about}"
    return f"Deploy {request.service} {request.version} to {request.environment}: {size}, {about}"


def group_line(change: GroupChange) -> str:
    """ "web-prod (AWS us-east-1): v2.3 -> v2.4, 12 instances, batches of 3, surge 1, ~4 min"."""
    place = f"{change.group} ({where(change.cloud, change.region)})"
    versions = f"{change.from_version or 'unknown'} -> {change.to_version}"
    if change.size == 0:
        return f"{place}: {versions}, 0 instances (standby: its model moves to {change.to_version}, nothing rolls)"
    batch = max(1, math.ceil(change.size * change.strategy.batch_percent / 100))
    many = "instance" if change.size == 1 else "instances"
    return (
        f"{place}: {versions}, {change.size} {many}, batches of {batch}, surge {change.strategy.surge}, "
        f"~{span(change.expected_seconds)}"
    )


def preview(
    request: DeployRequest, changes: Sequence[str], compare: str | None, checked_seconds: float, *,
    undoing: str | None = None,
) -> str:  # fmt: skip
    """Everything the confirmer reads before pressing: the head line, each group, what changed, what was checked,
    and an admin's reason to deploy in a freeze."""
    lines = [head_line(request, undoing), *(group_line(g) for g in request.groups)]
    if changes:
        lines.append(
            "Changes: " + "; ".join(changes[:CHANGES_SHOWN]) + (" ..." if len(changes) > CHANGES_SHOWN else "")
        )
    if compare:
        lines.append(f"Compare: {compare}")
    lines.append(f"Checked: images, instance types, quota, health ({measured(checked_seconds)})")
    if request.freeze_override:
        lines.append(f"Freeze overridden by {request.requested_by}: {request.freeze_override}")
    return "\n".join(lines)


def clouds_of(request: DeployRequest) -> str:
    return ", ".join(CLOUD_LABELS[c] for c in request.clouds)


def history_line(record: DeployRecord) -> str:
    """ "#12 v2.3 -> v2.4 prod by alice, 14:02, done in 7 min" (a rollback says so)."""
    request = record.request
    froms = _froms(request)
    versions = f"{'/'.join(froms)} -> {request.version}" if froms else request.version
    kind = "rollback " if request.kind == "rollback" else ""
    when = time.strftime("%a %H:%M", time.localtime(record.created_at))
    outcome = _OUTCOME.get(record.state, record.state)
    ended = record.finished and record.finished_at is not None
    took = f" in {span((record.finished_at or record.created_at) - record.created_at)}" if ended else ""
    why = f": {record.failure}" if record.failure and record.state != "succeeded" else ""
    return (
        f"#{record.id} {kind}{request.service} {versions} {request.environment} by {request.requested_by}, "
        f"{when}, {outcome}{took}{why}"
    )


def history_text(records: Sequence[DeployRecord], service: str | None, since: str | None = None) -> str:
    of = f" of {service}" if service else ""
    if not records:
        when = f" {since}" if since else ""
        return f"No deploys{of}{when} yet. For example: deploy web v2.4 to staging"
    head = f"{len(records)} deploy{'s' if len(records) != 1 else ''}{of}" + (f" {since}" if since else "")
    return "\n".join([f"{head}, newest first:", *(history_line(r) for r in records)])


def _froms(request: DeployRequest) -> list[str]:
    """The versions the groups ran before, other than the one they go to."""
    return sorted({g.from_version for g in request.groups if g.from_version and g.from_version != request.version})
