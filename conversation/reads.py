"""Read-only intents: answered at once from the provider's inventory, key fact first, phone-sized, with the
data's age (and a warning when it is old) like status. Long lists (search results, status problems) come a
page at a time, with More. Before the first read of the clouds, an empty answer says there is no data yet. Costs
are conversation.costs' (the list-price estimate here answers only where no cost source is configured)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from actions import queries
from actions.provider import Billing, Resource, Snapshot
from actions.queries import Scope
from actions.wording import title
from conversation.dashboard_link import open_button, web_sessions
from conversation.freshness import Freshness, freshness
from conversation.memo import InventoryMemo
from conversation.paging import Page, Pages, more_button
from conversation.replies import money, not_found, reply
from conversation.services import Services
from conversation.status import StatusView
from core import metrics
from core.durations import measured, span
from core.errors import OpsbotError
from core.models import Cloud, Intent, IntentName, Message, Reply
from intents.help import help_text, not_yet

PAGE = 10
WORKER_STAGES = ("queue_wait", "execution")
_CLOUD_LABEL = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
_PAGED = (IntentName.STATUS, IntentName.SEARCH)
# What a kind calls the state people mean: a "running" database is available, a running load balancer active.
_STATE_OF_KIND: dict[tuple[str | None, str | None], str] = {
    ("running", "database"): "available",
    ("running", "load_balancer"): "active",
}


class ReadFlow:
    def __init__(self, services: Services) -> None:
        self._s = services
        self._status = StatusView(services)
        self._pages = Pages(services.connection)
        self._web = web_sessions(services.settings, services.connection)  # "Open web-prod" under a resource shown
        url = services.settings.public_url
        self._public_url = str(url) if url is not None else None
        self._costs: InventoryMemo[tuple[str, str | None, Scope, int], queries.CostReport] = InventoryMemo()

    def handle(self, msg: Message, user: str, intent: Intent) -> list[Reply]:
        name = intent.name
        try:
            if name in _PAGED:
                return [self._page(msg, intent, offset=0)]
            if name is IntentName.MORE:
                return [self.more(msg, None)]
            if name is IntentName.SHOW:
                text, shown = self._show(intent)
                link = shown and open_button(msg, user, self._public_url, self._web, shown.id, shown.name)
                return [reply(msg.ref, text, buttons=(link,) if link else ())]
            if name is IntentName.PERF:
                return [reply(msg.ref, _perf(metrics.shared_snapshot(self._s.connection, WORKER_STAGES)))]
            if name is IntentName.NOT_YET:
                return [reply(msg.ref, not_yet(intent.slots.topic or "do that"))]
        except OpsbotError as exc:
            return [reply(msg.ref, str(exc), kind="error")]
        return [reply(msg.ref, help_text(intent.slots.topic))]

    def more(self, msg: Message, arg: str | None) -> Reply:
        """The next page: of the list whose More button was pressed (`arg`: "<list>:<offset>"), or, typed, of
        the latest list in this conversation."""
        page = self._pages.typed(msg.ref) if arg is None else self._pages.pressed(arg)
        if page is None:
            return reply(msg.ref, "Nothing to show more of: ask again (long answers are kept 10 min).")
        if page.offset is None:
            return reply(msg.ref, "That was the last page.")
        try:
            return self._page(msg, page.intent, page.offset, page)
        except OpsbotError as exc:
            return reply(msg.ref, str(exc), kind="error")

    def _page(self, msg: Message, intent: Intent, offset: int, kept: Page | None = None) -> Reply:
        """One page of a paged answer; a More button (and typed `more`) leads to the next one, while there is one."""
        if intent.name is IntentName.STATUS:
            text, next_offset = self._status.page(intent.slots, offset)
        else:
            text, next_offset = self._search(intent, offset)
        if next_offset is None:
            if kept is not None:
                self._pages.keep(msg.ref, intent, None, kept.token)  # typed `more` now says it was the last
            else:
                self._pages.forget(msg.ref)
            return reply(msg.ref, text)
        token = self._pages.keep(msg.ref, intent, next_offset, kept.token if kept else None)
        return reply(msg.ref, text, buttons=(more_button(token, next_offset),))

    def _fresh(self, snapshot: Snapshot, cloud: Cloud | None = None, region: str | None = None) -> Freshness:
        return freshness(snapshot, self._s.settings.inventory_refresh_seconds, cloud, region)

    def _search(self, intent: Intent, offset: int) -> tuple[str, int | None]:
        slots = intent.slots
        state = _STATE_OF_KIND.get((slots.state, slots.kind), slots.state)
        snapshot = self._s.provider.snapshot()
        fresh = self._fresh(snapshot, slots.provider, slots.region)
        result = queries.search(
            snapshot.resources, query=slots.query or slots.target, cloud=slots.provider,
            region=slots.region, state=state, kind=slots.kind, environment=slots.environment,
            limit=PAGE, offset=offset,
        )  # fmt: skip
        if result.total == 0:
            if fresh.nothing_read:
                return fresh.no_data(), None
            if fresh.missing:
                return fresh.around("Nothing matches in the data read so far."), None
            return fresh.around("Nothing matches. Try a shorter name: find web"), None
        if not result.items:
            return f"That was the last of {result.total:,}.", None
        shown = f"{offset + 1}-{offset + len(result.items)}" if offset else f"{len(result.items)}"
        lines = [f"{shown} of {result.total:,}:"] + [f"- {_one_line(r)}" for r in result.items]
        end = offset + len(result.items)
        return fresh.around("\n".join(lines)), (end if end < result.total else None)

    def _show(self, intent: Intent) -> tuple[str, Resource | None]:
        """The answer, and the resource it shows (None: none was found)."""
        phrase = intent.slots.target or intent.slots.query
        if not phrase:
            return "Show what? For example: show db-prod", None
        snapshot = self._s.provider.snapshot()
        fresh = self._fresh(snapshot)
        if fresh.nothing_read:
            return fresh.no_data(), None
        index = self._s.index(snapshot)
        resolution = index.resolve(phrase)
        if resolution.match is None:
            return fresh.around(not_found(phrase, resolution.candidates)), None
        found = index.by_name[resolution.match]
        unclear = index.by_name.get(found.name) is not found or found.name in index.shared  # the name means another
        text = self._fresh(snapshot, found.cloud, found.region).around(_details(found, unclear))
        return text, found

    def _cost_report(
        self, resources: tuple[Resource, ...], period: str, group_by: str | None, scope: Scope, now: float
    ) -> queries.CostReport:
        """Summing 10,000 hourly costs takes milliseconds: reused for a minute while the inventory is the same
        (at most a minute of spend behind, on figures rounded to dollars)."""

        def compute() -> queries.CostReport:
            if period == "forecast":
                return queries.forecast(resources, now=now, group_by=group_by, scope=scope)
            return queries.cost(resources, period=period, group_by=group_by, now=now, scope=scope)

        return self._costs.get(resources, (period, group_by, scope, int(now // 60)), compute)

    def estimate(self, intent: Intent) -> str:
        """The estimate from list prices for the scope asked (a cloud, environment, region, group, service or
        tag), and, for this month, what the bill says so far (Cost Explorer), labelled apart: the cost answer when
        no cost source is configured (conversation.costs answers from the billed history otherwise)."""
        snapshot = self._s.provider.snapshot()
        slots = intent.slots
        scoped = self._status.scoped(snapshot, slots)
        if isinstance(scoped, str):
            return scoped
        fresh = self._fresh(snapshot, scoped.scope.cloud, scoped.scope.region)
        if fresh.nothing_read:
            return fresh.no_data()
        resources, now = snapshot.resources, time.time()
        whole = scoped.scope == Scope()
        group_by = slots.group_by or ("region" if scoped.scope.cloud else None)  # one cloud: where in it
        of = "" if whole else f", {scoped.label}"
        if intent.name is IntentName.FORECAST:
            report = self._cost_report(resources, "forecast", group_by, scoped.scope, now)
            head = (
                f"Month-end forecast{of}: {money(report.total)} at today's rate ({money(report.hourly_cost)}/h) - "
                "estimate from list prices."
            )
        else:
            report = self._cost_report(resources, slots.period or "this_month", group_by, scoped.scope, now)
            period = report.period.replace("_", " ")
            head = (
                f"Cost {period}{of}: {money(report.total)} ({money(report.hourly_cost)}/h now) - "
                "estimate from list prices."
            )
        if not report.lines:
            return fresh.around(f"{head}\nNothing in {scoped.label} costs anything by list price.")
        parts = [f"{_label(line.key) or line.key} {money(line.amount)}" for line in report.lines[:6]]
        if len(report.lines) == 1 and slots.group_by is None:
            parts = []  # one line nobody asked for: the head said it all
        billed = []
        if report.period == "this_month" and scoped.scope.cloud in (None, Cloud.AWS):
            billed = _billed(self._s.provider.billing(), whole_account=not whole)
        return fresh.around("\n".join([head, *([" · ".join(parts)] if parts else []), *billed]))


def _billed(billing: Sequence[Billing], *, whole_account: bool = False) -> list[str]:
    """What the clouds billed this month so far, beside the list-price estimate: 'AWS prod billed so far (Cost
    Explorer): $1,246.85 - top EC2 - Compute $1,234.50'. Cost Explorer answers per account: under a narrower
    question the line says it is the whole account's."""
    lines = []
    whole = ", whole account" if whole_account else ""
    for b in billing:
        if not b.by_service:
            lines.append(f"{b.label} billing (Cost Explorer): {_own_words(b) or 'nothing billed yet'}")
            continue
        service, amount = next(iter(b.by_service.items()))
        when = span(time.time() - b.fetched_at)
        line = f"{b.label} billed so far{whole} (Cost Explorer, {when} ago): {money(b.total)}"
        line += f" - top {_short_service(service)} {money(amount)}"
        lines.append(line + (f" ({_own_words(b)})" if b.error else ""))
    return lines


def _own_words(billing: Billing) -> str:
    """The billing error without the account's name the line already starts with: "AWS prod us-east-1 did not
    answer; will retry" -> "did not answer; will retry" (Cost Explorer's region is its own business)."""
    text = (billing.error or "").strip()
    cloud = billing.label.split(" ", 1)[0]
    for prefix in (billing.label, cloud):
        found = re.match(rf"{re.escape(prefix)}(?: [a-z]+(?:-[a-z]+)+-\d+)?:? (?=\S)", text)
        if found:
            return text[found.end() :]
    return text


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
            lines.append(f"{stage}: {measured(p50)} / {measured(p99)} ({count:,})")
    return "\n".join(lines)


def _label(cloud: object) -> str:
    return "" if cloud is None else _CLOUD_LABEL.get(str(cloud), "")


def _one_line(r: Resource) -> str:
    size = f"{r.count} instances" if r.count is not None else r.size
    return f"{r.name} ({_label(r.cloud)} {r.region}, {r.kind}, {r.state}, {size})"


def _details(r: Resource, unclear: bool) -> str:
    """What `show` says; its first line names the resource by id too when its name is not its own alone."""
    kind = r.kind.replace("_", " ")
    lines = [f"{title(r, unclear=unclear)}: {r.state}. {_label(r.cloud)} {kind}, {r.region}, {r.environment}."]
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
