"""Read-only intents: answered at once from the provider's inventory, key fact first, phone-sized."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

from actions import queries
from actions.provider import Billing, Resource, Snapshot
from actions.queries import CloudStatus, StatusReport
from conversation.replies import age, clock, money, reply
from conversation.services import Services
from core import metrics
from core.errors import OpsbotError
from core.models import Button, Cloud, Intent, IntentName, Message, Reply
from intents.help import help_text

PAGE = 10
STALE_AFTER_PERIODS = 1.5  # of the refresh period: older data makes status ask for fresher
WORKER_STAGES = ("queue_wait", "execution")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_CLOUD_LABEL = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


class InventoryMemo(Generic[K, V]):
    """Answers computed from one inventory; forgotten as soon as the provider hands out another."""

    def __init__(self) -> None:
        self._resources: tuple[Resource, ...] | None = None
        self._values: dict[K, V] = {}

    def get(self, resources: tuple[Resource, ...], key: K, compute: Callable[[], V]) -> V:
        if self._resources is not resources or len(self._values) >= 256:  # keys with the minute in them pile up
            self._resources, self._values = resources, {}
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]


class ReadFlow:
    def __init__(self, services: Services) -> None:
        self._s = services
        self._statuses: InventoryMemo[tuple[Cloud | None, str | None, str | None], StatusReport] = InventoryMemo()
        self._costs: InventoryMemo[tuple[str, str | None, int], queries.CostReport] = InventoryMemo()

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        name = intent.name
        try:
            if name is IntentName.STATUS:
                return [reply(msg.ref, self._status(intent))]
            if name is IntentName.SEARCH:
                return [self.search(msg, intent, offset=0)]
            if name is IntentName.SHOW:
                return [reply(msg.ref, self._show(intent))]
            if name in (IntentName.COST, IntentName.FORECAST):
                return [reply(msg.ref, self._cost(intent))]
            if name is IntentName.PERF:
                return [reply(msg.ref, _perf(metrics.shared_snapshot(self._s.connection, WORKER_STAGES)))]
        except OpsbotError as exc:
            return [reply(msg.ref, str(exc), kind="error")]
        return [reply(msg.ref, help_text(intent.slots.topic))]

    def _status(self, intent: Intent) -> str:
        settings = self._s.settings
        # The one read that may wait, briefly: when the workers' schedule has fallen behind (or just started),
        # for fresher data, never past the deadline. On schedule, the cache answers at once with its age shown.
        max_age = settings.inventory_refresh_seconds * STALE_AFTER_PERIODS
        self._s.provider.freshen(max_age, settings.status_deadline_seconds)
        snapshot = self._s.provider.snapshot()
        slots = intent.slots
        report = self._status_report(snapshot, slots.provider, slots.environment)
        scope = " ".join(x for x in (_label(slots.provider), slots.environment) if x) or "All clouds"
        if not report.clouds:
            return f"{scope}: nothing found."
        head = f"{scope}: OK" if not report.problems else f"{scope}: {_plural(len(report.problems), 'problem')}"
        lines = [f"{head}. {money(report.hourly_cost)}/h."]
        lines += [f"! {_label(p.cloud)} {p.subject}: {p.detail}" for p in report.problems[:3]]
        for cloud in report.clouds:
            lines.append(_cloud_line(cloud))
        return "\n".join(lines)

    def _status_report(self, snapshot: Snapshot, cloud: Cloud | None, environment: str | None) -> StatusReport:
        """Status over 10,000 resources takes milliseconds: computed once per inventory version and scope."""
        return self._statuses.get(
            snapshot.resources,
            (cloud, environment, snapshot.error),
            lambda: queries.status(snapshot, cloud=cloud, environment=environment),
        )

    def search(self, msg: Message, intent: Intent, offset: int) -> Reply:
        slots = intent.slots
        result = queries.search(
            self._s.provider.snapshot().resources, query=slots.query or slots.target, cloud=slots.provider,
            region=slots.region, state=slots.state, kind=slots.kind, environment=slots.environment,
            limit=PAGE, offset=offset,
        )  # fmt: skip
        if result.total == 0:
            return reply(msg.ref, "Nothing matches. Try a shorter name: find web")
        shown = f"{offset + 1}-{offset + len(result.items)}" if offset else f"{len(result.items)}"
        lines = [f"{shown} of {result.total:,}:"] + [f"- {_one_line(r)}" for r in result.items]
        more: tuple[Button, ...] = ()
        if offset + len(result.items) < result.total:
            more = (Button(id=f"more:{offset + PAGE}", label="More"),)
            self._s.connection.set(_search_key(msg), intent.model_dump_json(), ex=600)
        return reply(msg.ref, "\n".join(lines), buttons=more)

    def more(self, msg: Message, offset: str) -> Reply:
        raw = self._s.connection.get(_search_key(msg))
        if raw is None or not offset.isdigit():
            return reply(msg.ref, "That list is gone: search again.")
        return self.search(msg, Intent.model_validate_json(raw), offset=int(offset))

    def _show(self, intent: Intent) -> str:
        phrase = intent.slots.target or intent.slots.query
        if not phrase:
            return "Show what? For example: show db-prod"
        index = self._s.index(self._s.provider.snapshot())
        resolution = index.resolve(phrase)
        if resolution.match is None:
            if resolution.candidates:
                return f"No {phrase[:60]}. Did you mean {' or '.join(resolution.candidates[:3])}?"
            return f"I can't find '{phrase[:60]}'. Try: find {phrase.split()[0][:30]}"
        return _details(index.by_name[resolution.match])

    def _cost_report(
        self, resources: tuple[Resource, ...], period: str, group_by: str | None, now: float
    ) -> queries.CostReport:
        """Summing 10,000 hourly costs takes milliseconds: reused for a minute while the inventory is the same
        (at most a minute of spend behind, on figures rounded to dollars)."""

        def compute() -> queries.CostReport:
            if period == "forecast":
                return queries.forecast(resources, now=now, group_by=group_by)
            return queries.cost(resources, period=period, group_by=group_by, now=now)

        return self._costs.get(resources, (period, group_by, int(now // 60)), compute)

    def _cost(self, intent: Intent) -> str:
        resources = self._s.provider.snapshot().resources
        now = time.time()
        slots = intent.slots
        if intent.name is IntentName.FORECAST:
            report = self._cost_report(resources, "forecast", slots.group_by, now)
            head = f"Month-end forecast: {money(report.total)} at today's rate ({money(report.hourly_cost)}/h)."
        else:
            report = self._cost_report(resources, slots.period or "this_month", slots.group_by, now)
            period = report.period.replace("_", " ")
            head = f"Cost {period}: {money(report.total)} ({money(report.hourly_cost)}/h now)."
        parts = [f"{_label(line.key) or line.key} {money(line.amount)}" for line in report.lines[:6]]
        billed = _billed(self._s.provider.billing()) if report.period == "this_month" else []
        return "\n".join([head, " · ".join(parts), *billed])


def _billed(billing: Sequence[Billing]) -> list[str]:
    """What the clouds billed this month so far, beside the list-price estimate: 'AWS prod billed so far (Cost
    Explorer): $1,246.85 - top EC2 - Compute $1,234.50'."""
    lines = []
    for b in billing:
        if not b.by_service:
            lines.append(f"{b.label} billing: {b.error or 'nothing billed yet'}")
            continue
        service, amount = next(iter(b.by_service.items()))
        line = f"{b.label} billed so far (Cost Explorer, {age(time.time() - b.fetched_at)} ago): {money(b.total)}"
        line += f" - top {_short_service(service)} {money(amount)}"
        lines.append(line + (f" ({b.error})" if b.error else ""))
    return lines


def _short_service(name: str) -> str:
    return name.replace("Amazon Elastic Compute Cloud", "EC2").replace("Amazon ", "").replace("AWS ", "")[:40]


def _perf(worker_stages: dict[str, tuple[int, float, float]]) -> str:
    """This process's stages, with the queue and execution stages of every worker."""
    stages = {**metrics.snapshot(), **worker_stages}
    if not stages:
        return "No measurements yet."
    lines = ["My timings (p50 / p99):"]
    for stage in metrics.STAGES:
        if stage in stages:
            count, p50, p99 = stages[stage]
            lines.append(f"{stage}: {_ms(p50)} / {_ms(p99)} ({count:,})")
    return "\n".join(lines)


def _cloud_line(cloud: CloudStatus) -> str:
    """'AWS: 1,200 up, 3 stopped, 0 degraded - data 40 s old', or where its data comes from when a source fails:
    'Azure: unreachable since 03:02 - showing data from 02:58'."""
    label = _label(cloud.cloud)
    counts = f"{cloud.running:,} up, {cloud.stopped:,} stopped, {cloud.degraded:,} degraded"
    data = f"showing data from {clock(cloud.fetched_at)}" if cloud.fetched_at else "no data yet"
    since = f" since {clock(cloud.error_since)}" if cloud.error_since else ""
    if cloud.error and (cloud.sources == 0 or len(cloud.failing) == cloud.sources):
        if cloud.sources == 0:  # the simulated cloud: one source, the error is the whole story
            return f"{label}: unreachable ({cloud.error}) - data from {clock(cloud.fetched_at)}"
        return f"{label}: unreachable{since} - {data}" + (f" ({counts})" if cloud.fetched_at else "")
    fresh = f"data {age(time.time() - cloud.fetched_at)} old"
    if cloud.failing:
        places = ", ".join(f.removeprefix(label).strip() for f in cloud.failing[:2])
        return f"{label}: {counts} - {fresh}; {places} unreachable{since}"
    return f"{label}: {counts} - {fresh}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.0f} s"


def _label(cloud: object) -> str:
    return "" if cloud is None else _CLOUD_LABEL.get(str(cloud), "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _one_line(r: Resource) -> str:
    size = f"{r.count} instances" if r.count is not None else r.size
    return f"{r.name} ({_label(r.cloud)} {r.region}, {r.kind}, {r.state}, {size})"


def _details(r: Resource) -> str:
    lines = [f"{r.name}: {r.state}. {_label(r.cloud)} {r.kind.replace('_', ' ')}, {r.region}, {r.environment}."]
    size = f"{r.count} instances of {r.size}" if r.count is not None else r.size
    lines.append(f"{size}, {money(r.hourly_cost)}/h")
    if r.cpu:
        lines.append(f"CPU {r.cpu[-1]:.0f}% now, {sum(r.cpu) / len(r.cpu):.0f}% average")
    if r.standby:
        lines.append(f"DR standby: {r.standby}")
    if r.group:
        lines.append(f"In group {r.group}")
    if r.tags:
        lines.append(" ".join(f"{k}={v}" for k, v in sorted(r.tags.items())[:6]))
    return "\n".join(lines)


def _search_key(msg: Message) -> str:
    return f"opsbot:search:{msg.ref.channel}:{msg.ref.conversation_id}:{msg.sender}"
