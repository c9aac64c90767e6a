"""What to cut: savings found in the inventory, each with the change opsbot can make for it (a button whose press
goes through the normal change flow: policy, confirmation, audit), biggest saving first.

Rules, one recommendation per resource (the one that saves most):
- idle: CPU p95 under 5% over the last 7 days -> stop it (a group: scale it to its minimum).
- oversized: CPU p95 under 20% -> one size down (an instance: resize by hand, opsbot has no resize) or, for a
  group, fewer instances (enough for a p95 of about 40%).
- schedule: a non-prod instance or group running nights and weekends -> on 40 of the week's 168 hours only, which
  saves 128/168 of its cost; the button stops it now (a group: scales it to 0).
- unattached_disk: a disk no instance uses (AWS "available", Azure "Unattached") -> delete it (by hand).
- stopped_with_disks: a stopped instance still paying for the disks attached to it (a disk's `attached_to` tag
  names the instance) -> snapshot and delete them, or terminate it (by hand).

Prices: the resource's own `hourly_cost` is what it costs now. One size down is priced with the ratio of the two
sizes in the price list the caller gives (`list_price`: the simulated world's actions/simulated/prices.py
`hourly_price`, whose sizes are not linear) when it knows both, else at half: every family in the clouds' list-price
tables (actions/aws|azure|gcp/prices.py) halves in price per size step down. No table is imported here: each cloud
package's import loads its SDK (seconds) and a savings answer is read in the chat path, and the simulated backend
imports this package (a cycle)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from actions.provider import Resource
from core.models import Cloud, IntentName

IDLE_P95 = 5.0  # % CPU: below it for 7 days, nothing is being served
OVERSIZED_P95 = 20.0  # % CPU: below it, half the capacity would still run under 40%
TARGET_P95 = 40.0  # what a group scaled down for being oversized should run at
SCHEDULE_SHARE = 128 / 168  # nights (19:00-07:00) and weekends off: 40 of 168 hours on
NOT_PROD_SCHEDULED = frozenset({"prod", "dr"})  # dr standbys run at 0 already; prod serves around the clock
UNATTACHED_STATES = frozenset({"available", "unattached"})  # AWS volume, Azure disk words
SCHEDULED_TAGS = ("schedule", "stop-at", "auto-stop")  # a resource someone already switches off by a schedule
ATTACHED_TAG = "attached_to"  # on a disk: the id or name of the instance it is attached to
HOURS_PER_MONTH = 730
STEP_DOWN_RATIO = 0.5  # one size down costs half (checked against every family in actions/*/prices.py)

ListPrice = Callable[[Cloud, str], float]  # (cloud, instance size) -> USD per hour; 0 when unknown

_AWS_SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge",
              "16xlarge", "24xlarge")  # fmt: skip
_NUMBERED = re.compile(r"^(?P<head>.*?)(?P<n>\d+)(?P<tail>[a-z]*(?:_v\d+)?)$")  # Standard_D8s_v5, n2-standard-8
_GCP_SHARED = ("e2-micro", "e2-small", "e2-medium")


@dataclass(frozen=True)
class Recommendation:
    kind: str  # "idle", "unattached_disk", "stopped_with_disks", "oversized", "schedule"
    resource: str  # its name
    resource_id: str
    cloud: Cloud
    environment: str
    monthly_saving: float  # USD
    text: str  # "web-staging-vm3: CPU under 5% for 7 days - stop it: saves $61/month"
    intent: IntentName | None  # the change opsbot can run for it (None: done by hand in the cloud's console)
    target: str | None = None  # the intent's target (the resource's name)
    count: int | None = None  # SCALE: the new size


def recommend(
    resources: Sequence[Resource],
    *,
    cpu_p95: Mapping[str, float] | None = None,
    now: float,
    list_price: ListPrice | None = None,
) -> list[Recommendation]:
    """Savings in `resources`, biggest first. `cpu_p95`: CPU p95 over the last 7 days by resource id (or name), from
    a metrics source; a resource it does not cover is judged by its own recent samples (`Resource.cpu`). `now`:
    when the 7-day window ends (the samples of an inventory are its most recent ones). `list_price`: prices a
    size one step down (see the module's docstring)."""
    del now  # the window is the samples': kept in the signature for sources that read a range
    disks_of: dict[str, list[Resource]] = {}
    for r in resources:
        if r.kind == "disk" and (host := r.tags.get(ATTACHED_TAG)):
            disks_of.setdefault(host, []).append(r)
    found: list[Recommendation] = []
    for r in resources:
        kind = r.kind
        if kind == "disk":
            best = _unattached(r) if r.state.lower() in UNATTACHED_STATES and ATTACHED_TAG not in r.tags else None
        elif kind == "instance" and r.state == "stopped":
            best = _stopped_with_disks(r, disks_of.get(r.id, []) + disks_of.get(r.name, []))
        elif (kind == "group" or (kind == "instance" and not r.group)) and r.state == "running" and r.hourly_cost > 0:
            best = _running(r, _p95(r, cpu_p95), list_price)  # a group's members are judged with their group
        else:
            continue  # databases and load balancers have no rule yet
        if best is not None:
            found.append(best)
    found.sort(key=lambda rec: (-rec.monthly_saving, rec.resource))
    return found


def _running(r: Resource, p95: float | None, list_price: ListPrice | None) -> Recommendation | None:
    best = _schedule(r)
    if p95 is not None and p95 < OVERSIZED_P95:
        for option in (_idle(r, p95), _oversized(r, p95, list_price)):
            if option is not None and (best is None or option.monthly_saving > best.monthly_saving):
                best = option
    return best if best is not None and best.monthly_saving >= 1.0 else None


def _p95(r: Resource, given: Mapping[str, float] | None) -> float | None:
    if given is not None:
        value = given.get(r.id, given.get(r.name))
        if value is not None:
            return value
    if not r.cpu:
        return None
    ordered = sorted(r.cpu)  # nearest rank: a dozen samples, cheaper than numpy per resource
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _monthly(hourly: float) -> float:
    return hourly * HOURS_PER_MONTH


def usd(amount: float) -> str:
    return f"${amount:,.0f}"


def _make(
    r: Resource, kind: str, saving: float, what: str, intent: IntentName | None, count: int | None = None
) -> Recommendation:
    return Recommendation(
        kind=kind, resource=r.name, resource_id=r.id, cloud=r.cloud, environment=r.environment,
        monthly_saving=round(saving, 2), text=f"{r.name}: {what}: saves {usd(saving)}/month", intent=intent,
        target=r.name if intent is not None else None, count=count,
    )  # fmt: skip


def _idle(r: Resource, p95: float) -> Recommendation | None:
    if p95 >= IDLE_P95:
        return None
    if r.kind == "instance":
        return _make(r, "idle", _monthly(r.hourly_cost), "CPU under 5% for 7 days - stop it", IntentName.STOP)
    floor = _group_floor(r)
    if r.count is None or r.count <= floor:
        return None
    saving = _monthly(_unit(r) * (r.count - floor))
    return _make(r, "idle", saving, f"CPU under 5% for 7 days - scale it to {floor}", IntentName.SCALE, floor)


def _oversized(r: Resource, p95: float, list_price: ListPrice | None) -> Recommendation | None:
    if p95 >= OVERSIZED_P95:
        return None
    if r.kind == "group":
        if r.count is None:
            return None
        wanted = max(_group_floor(r), 1, math.ceil(r.count * p95 / TARGET_P95))
        if wanted >= r.count:
            return None
        saving = _monthly(_unit(r) * (r.count - wanted))
        what = f"CPU p95 {p95:.0f}% - {r.count} -> {wanted} instances"
        return _make(r, "oversized", saving, what, IntentName.SCALE, wanted)
    smaller = one_size_down(r.cloud, r.size)
    if smaller is None:
        return None
    saving = _monthly(r.hourly_cost) * (1 - _price_ratio(r.cloud, r.size, smaller, list_price))
    return _make(r, "oversized", saving, f"CPU p95 {p95:.0f}% - resize {r.size} -> {smaller}", None)


def _schedule(r: Resource) -> Recommendation | None:
    if r.environment in NOT_PROD_SCHEDULED or any(tag in r.tags for tag in SCHEDULED_TAGS):
        return None
    if r.kind == "group" and not r.count:
        return None
    saving = _monthly(r.hourly_cost) * SCHEDULE_SHARE
    what = f"{r.environment}, on 24/7 - switch it off nights and weekends"
    return _make(r, "schedule", saving, what, IntentName.STOP if r.kind == "instance" else IntentName.SCALE,
                 None if r.kind == "instance" else 0)  # fmt: skip


def _unattached(r: Resource) -> Recommendation | None:
    saving = _monthly(r.hourly_cost)
    what = f"{r.size} disk attached to nothing - delete it"
    return None if saving < 1.0 else _make(r, "unattached_disk", saving, what, None)


def _stopped_with_disks(r: Resource, disks: Sequence[Resource]) -> Recommendation | None:
    saving = _monthly(sum(d.hourly_cost for d in disks))
    if saving < 1.0:
        return None
    what = f"stopped, still paying for {len(disks)} disk{'s' if len(disks) != 1 else ''} - snapshot and delete them"
    return _make(r, "stopped_with_disks", saving, what, None)


def _unit(r: Resource) -> float:
    if r.unit_hourly_cost:
        return r.unit_hourly_cost
    return r.hourly_cost / r.count if r.count else 0.0


def _group_floor(r: Resource) -> int:
    """The fewest instances a group may run: its own minimum, else one in prod and none elsewhere."""
    if r.min_count is not None:
        return r.min_count
    return 1 if r.environment == "prod" else 0


def one_size_down(cloud: Cloud, size: str) -> str | None:
    """The next smaller size of the same family ("m5.2xlarge" -> "m5.xlarge", "Standard_D8s_v5" ->
    "Standard_D4s_v5", "n2-standard-8" -> "n2-standard-4"), or None when it is the smallest or not understood."""
    if cloud is Cloud.AWS:
        family, _, step = size.rpartition(".")
        if not family or step not in _AWS_SIZES or _AWS_SIZES.index(step) == 0:
            return None
        return f"{family}.{_AWS_SIZES[_AWS_SIZES.index(step) - 1]}"
    if cloud is Cloud.GCP and size in _GCP_SHARED:
        index = _GCP_SHARED.index(size)
        return _GCP_SHARED[index - 1] if index else None
    match = _NUMBERED.match(size)
    if match is None or int(match["n"]) < 4 or int(match["n"]) % 2:  # 2 vCPUs is the smallest of most families
        return None
    return f"{match['head']}{int(match['n']) // 2}{match['tail']}"


def _price_ratio(cloud: Cloud, size: str, smaller: str, list_price: ListPrice | None) -> float:
    if list_price is not None:
        now, then = list_price(cloud, size), list_price(cloud, smaller)
        if now > 0 and then > 0:
            return then / now
    return STEP_DOWN_RATIO
