"""The board's sections about things (health, alerts, runbook runs, deploys, incidents), each read from the same
query or book chat answers from: the status query, the alert store, the runbook and deploy records, the incident
book. conversation.board_people has the ones about people and money (on call, cost, what this user may run)."""

from __future__ import annotations

import threading
from collections import Counter

from actions import queries
from actions.dr.runs import run_label
from actions.provider import Resource, Snapshot
from actions.queries import CloudStatus, Scope
from alerts.incidents import IncidentBook
from alerts.model import Alert, AlertState, Severity
from alerts.store import AlertBook
from conversation.board_model import AlertItem, DeployItem, HealthRow, IncidentItem, RunItem, Viewer, Worst
from conversation.memo import InventoryMemo
from conversation.services import Services
from conversation.status import WARN_AFTER_PERIODS, problem_line
from core.models import IntentName
from policies.engine import PolicyRequest

ALERTS_SHOWN = 50  # the newest open alerts; the phone shows the first screens of them
RECENT_SECONDS = 3600.0  # ended runs and deploys stay on the board this long
# Resource states from worst to best; a state not listed sits between "stopped" and the good ones.
_STATE_ORDER = ("failed", "unhealthy", "impaired", "degraded", "error", "stopped", "stopping", "terminated")
_GOOD = ("pending", "starting", "updating", "available", "running", "healthy")
_WORST_ORDER: dict[str, int] = {"down": 0, "unknown": 1, "degraded": 2, "ok": 3}
_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}

_health: InventoryMemo[tuple[object, ...], list[HealthRow]] = InventoryMemo()
_health_lock = threading.Lock()


def _state_rank(state: str) -> int:
    if state in _STATE_ORDER:
        return _STATE_ORDER.index(state)
    if state in _GOOD:
        return len(_STATE_ORDER) + 1 + _GOOD.index(state)
    return len(_STATE_ORDER)


def _tally(resources: tuple[Resource, ...]) -> dict[tuple[str, str], Counter[str]]:
    counts: dict[tuple[str, str], Counter[str]] = {}
    for r in resources:
        if r.kind != "group":  # a group's members are counted themselves
            counts.setdefault((r.cloud.value, r.environment), Counter())[r.state] += 1
    return counts


def _worst(status: CloudStatus) -> Worst:
    if status.fetched_at is None:
        return "unknown"
    kinds = {p.kind for p in status.problems}
    if "group_stopped" in kinds:
        return "down"
    return "degraded" if kinds else "ok"


def health(services: Services, viewer: Viewer) -> list[HealthRow]:
    """Each cloud's environments by state, worst first, each with its data's age and its first problem in the
    words status uses. The same for every user: computed once per inventory, state of its sources and 5 seconds
    (10,000 resources take tens of milliseconds; data turns stale with time alone), as chat's status is."""
    snapshot: Snapshot = services.provider.snapshot()
    key = (snapshot.error, snapshot.sources, int(viewer.now // 5))
    with _health_lock:
        return _health.get(snapshot.resources, key, lambda: _health_rows(services, snapshot, viewer.now))


def _health_rows(services: Services, snapshot: Snapshot, now: float) -> list[HealthRow]:
    counts = _tally(snapshot.resources)
    stale_after = services.settings.inventory_refresh_seconds * WARN_AFTER_PERIODS
    rows: list[HealthRow] = []
    for environment in sorted({env for _, env in counts}):
        scope = Scope(environment=environment)
        report = queries.status(snapshot, scope=scope, now=now, stale_after=stale_after)
        for cloud in report.clouds:
            found = counts.get((cloud.cloud.value, environment), Counter())
            states = sorted(found, key=lambda s: (_state_rank(s), s))
            first = cloud.problems[0] if cloud.problems else None
            rows.append(
                HealthRow(
                    cloud=cloud.cloud.value,
                    environment=environment,
                    total=sum(found.values()),
                    counts={s: found[s] for s in states},
                    states=states,
                    worst=_worst(cloud),
                    age_seconds=cloud.data_age_seconds,
                    problem=problem_line(first, scope).removeprefix("! ") if first is not None else None,
                )
            )
    rows.sort(key=lambda r: (_WORST_ORDER[r.worst], r.cloud, r.environment))
    return rows


def alerts(services: Services, viewer: Viewer) -> list[AlertItem]:
    """The open alerts, critical first, then the newest; `can_ack` as the policy answers an Ack from this user."""
    found, _total = AlertBook(services.connection).open_alerts(ALERTS_SHOWN)
    decision = services.policy.evaluate(PolicyRequest(user=viewer.user, intent=IntentName.ACK, ref=viewer.ref))
    found.sort(key=lambda a: (_SEVERITY_ORDER.get(a.severity, 3), -a.first_seen))
    return [_alert(a, can_ack=decision.allowed and a.state is AlertState.FIRING) for a in found]


def _alert(a: Alert, *, can_ack: bool) -> AlertItem:
    state = "acked" if a.state is AlertState.ACKED else "firing"
    return AlertItem(
        id=str(a.number),
        title=a.summary,
        severity=a.severity.value,
        resource=a.resource,
        state=state,
        since=a.first_seen,
        acked_by=a.acked_by,
        can_ack=can_ack,
    )


def runs(services: Services, viewer: Viewer) -> list[RunItem]:
    """Runbook runs going on, then those that ended in the last hour, with their progress."""
    book = services.runs
    going = book.running()
    ended = [r for r in book.history(limit=20) if r.finished and (r.finished_at or 0) >= viewer.now - RECENT_SECONDS]
    items = []
    for run in [*going, *ended]:
        runbook = services.runbooks.get(run.request.runbook)
        title = runbook.title if runbook is not None else run_label(run)
        current = None
        if not run.finished and runbook is not None and run.step < len(runbook.steps):
            current = runbook.steps[run.step].name
        done = sum(1 for s in run.steps if s.status in ("done", "skipped"))
        items.append(
            RunItem(
                id=str(run.id),
                title=title,
                state=run.state,
                done=done,
                total=len(run.steps),
                current=current,
                started_at=run.created_at,
                drill=run.request.kind == "drill",
            )
        )
    return items


def deploys(services: Services, viewer: Viewer) -> list[DeployItem]:
    """Deploys going on, then those that ended in the last hour; `percent` of their instances on the new version."""
    book = services.deploys
    going = book.running()
    ended = [d for d in book.history(limit=20, since=viewer.now - RECENT_SECONDS) if d.finished]
    items = []
    for record in [*going, *ended]:
        sizes = [max(g.change.size, g.state.total, 1) for g in record.groups]
        updated = sum(size * g.state.percent for size, g in zip(sizes, record.groups, strict=True))
        percent = round(updated / sum(sizes)) if sizes else 0
        if record.state == "succeeded":
            percent = 100
        request = record.request
        items.append(
            DeployItem(
                id=str(record.id),
                service=request.service,
                environment=request.environment,
                version=request.version,
                state=record.state,
                percent=percent,
                started_at=record.created_at,
            )
        )
    return items


def incidents(services: Services, viewer: Viewer) -> list[IncidentItem]:
    """The open incidents, the most severe first, then the newest."""
    book = IncidentBook(services.connection, clock=services.clock)
    found = sorted(book.open(), key=lambda i: (i.severity, -i.declared_at))
    return [
        IncidentItem(
            id=str(i.number),
            severity=i.severity,
            title=i.title,
            state="open" if i.open else "resolved",
            declared_at=i.declared_at,
        )
        for i in found
    ]
