"""The dashboard's resource search and resource page. The list is every resource of the inventory as compact rows
(10,000+; the phone filters them as you type), built once per inventory; the page is one resource as chat's `show`
knows it, with its month's cost from the cost cache, its CPU from the metrics reader (a short deadline: a source that
does not answer in time is a `problem`, never a wait), its DR standby, and the actions this user may ask, as the
commands chat understands (the policy judges each again when it is asked)."""

from __future__ import annotations

import threading
from collections import defaultdict

from pydantic import BaseModel, ConfigDict

from actions.costs.forecast import month_bounds
from actions.costs.model import today_number
from actions.metrics.model import Metric
from actions.provider import Resource, Snapshot
from conversation.board_model import Viewer, viewer_of
from conversation.board_people import allowed
from conversation.costs import CostFlow, NoCostData
from conversation.memo import InventoryMemo
from conversation.services import Services
from core.errors import OpsbotError
from core.models import ActionName, Risk

COLUMNS = ("id", "name", "cloud", "kind", "state", "environment", "region")
CPU_DEADLINE = 1.0  # seconds the page waits for the metric sources
CPU_SECONDS = 3600.0  # the sparkline's last hour
CPU_STEP = 60  # a point a minute: 60 points, what a phone-wide sparkline can show


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class ResourceRows(_Part):
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: int
    age_seconds: float | None


class CpuSeries(_Part):
    points: list[tuple[float, float]]  # (unix seconds, percent), oldest first
    problem: str | None


class ResourceAction(_Part):
    label: str
    command: str  # "scale web-prod to {n}": the app puts the number in for {n}
    danger: bool
    needs_number: bool = False


class ResourcePage(_Part):
    id: str
    name: str
    cloud: str
    kind: str
    state: str
    environment: str
    region: str
    count: int | None
    size: str | None
    tags: dict[str, str]
    cost_month: float | None
    cpu: CpuSeries
    standby: str | None
    actions: list[ResourceAction]


_rows: InventoryMemo[str, tuple[tuple[str, ...], ...]] = InventoryMemo()
_rows_lock = threading.Lock()


def _compact(resources: tuple[Resource, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple((r.id, r.name, r.cloud.value, r.kind, r.state, r.environment, r.region) for r in resources)


def _age(snapshot: Snapshot, now: float) -> float | None:
    read = [s.fetched_at for s in snapshot.sources if s.fetched_at is not None]
    if snapshot.sources and not read:
        return None
    return max(0.0, now - (min(read) if read else snapshot.fetched_at))


def resource_rows(services: Services) -> ResourceRows:
    """Every resource as a row of COLUMNS, built once per inventory (the provider hands out the same tuple until
    it changes)."""
    snapshot = services.provider.snapshot()
    with _rows_lock:
        rows = _rows.get(snapshot.resources, "", lambda: _compact(snapshot.resources))
    return ResourceRows.model_construct(
        columns=COLUMNS, rows=rows, total=len(rows), age_seconds=_age(snapshot, services.clock())
    )


def find(services: Services, id_or_name: str) -> Resource | None:
    """By its id, then by its name (a name several share means the one the index files under it)."""
    index = services.index(services.provider.snapshot())
    return index.by_id.get(id_or_name) or index.by_name.get(id_or_name)


def resource_page(services: Services, user: str, id_or_name: str) -> ResourcePage | None:
    """The page of one resource for `user`; None when the inventory has no such id or name."""
    r = find(services, id_or_name)
    if r is None:
        return None
    viewer = viewer_of(services, user)
    return ResourcePage(
        id=r.id, name=r.name, cloud=r.cloud.value, kind=r.kind, state=r.state, environment=r.environment,
        region=r.region, count=r.count, size=r.size or None, tags=dict(r.tags), cost_month=_month_cost(services, r),
        cpu=_cpu(services, r), standby=_standby(services, r), actions=_actions(services, viewer, r),
    )  # fmt: skip


def _month_cost(services: Services, r: Resource) -> float | None:
    """What the cost cache says it cost this month so far; None when the cache has nothing on it."""
    try:
        view = CostFlow(services, lambda _intent: "").view()
    except NoCostData:
        return None
    table = view.table
    mask = table.resource.mask(r.name)
    if not mask.any():
        return None
    first, _ = month_bounds(today_number(services.clock()))
    return round(table.where(mask).between(first, today_number(services.clock())).total(), 2)


def _cpu(services: Services, r: Resource) -> CpuSeries:
    """The last hour's CPU: the resource's own series, or its members' average for a group."""
    now = services.clock()
    try:
        reading = services.metrics.read(Metric.CPU, [r], now - CPU_SECONDS, now, step=CPU_STEP, deadline=CPU_DEADLINE)
    except OpsbotError as exc:
        return CpuSeries(points=[], problem=str(exc))
    by_time: dict[float, list[float]] = defaultdict(list)
    for series in reading.series:
        for at, value in series.points:
            by_time[at].append(value)
    points = [(at, round(sum(v) / len(v), 1)) for at, v in sorted(by_time.items())]
    problem = "; ".join(reading.problems) or (None if points else f"no CPU data for {r.name}")
    return CpuSeries(points=points, problem=problem)


def _standby(services: Services, r: Resource) -> str | None:
    if r.standby:
        return r.standby
    return next((rb.standby for rb in services.runbooks.values() if rb.primary == r.name), None)


def _actions(services: Services, viewer: Viewer, r: Resource) -> list[ResourceAction]:
    """What this user may ask of `r`, in the words chat understands."""
    name = r.name
    asks: list[tuple[ActionName, str, str, bool]] = []
    if r.kind in ("instance", "group"):
        asks.append((ActionName.RESTART, "Restart", f"restart {name}", False))
        if r.state == "stopped":
            asks.append((ActionName.START, "Start", f"start {name}", False))
        else:
            asks.append((ActionName.STOP, "Stop", f"stop {name}", False))
    if r.kind == "group":
        asks.append((ActionName.SCALE, "Scale", f"scale {name} to {{n}}", True))
        asks.append((ActionName.EMERGENCY_SCALE, "Emergency scale", f"emergency scale {name}", False))
    if _standby(services, r) is not None:
        asks.append((ActionName.FAILOVER, "Fail over", f"fail over {name}", False))
    found = []
    for action, label, command, needs_number in asks:
        decision = allowed(services, viewer, action, r.environment)
        if decision.allowed:
            danger = decision.risk is Risk.CRITICAL
            found.append(ResourceAction(label=label, command=command, danger=danger, needs_number=needs_number))
    return found
