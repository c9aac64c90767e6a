"""Cost questions answered from the cost cache (actions.costs.store, kept fresh by workers), never by a cloud call in
the chat path: where the money goes (COST), where it is heading (FORECAST), why a day cost more (COST_WHY), and the
month as a file (COST_EXPORT). Each answer leads with its key number, then a few lines, then where the figures came
from and how old they are; a chart where a picture says more, its numbers in the text too. What can be cut and the
budgets are in conversation.cost_changes. Without any cost source configured, the list-price estimate answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

import numpy as np

from actions.costs.analysis import Period, breakdown, compare, explain_day, period_of, top_spenders
from actions.costs.export import export_csv_gz
from actions.costs.forecast import Forecast, month_bounds, month_end
from actions.costs.model import CostTable, day_number, day_of, today_number
from actions.costs.store import CostView
from actions.queries.status import Scope
from conversation import cost_text as words
from conversation.cost_text import COLUMN_OF, budget_line, interval, short
from conversation.replies import money, new_key, reply
from conversation.services import Services
from conversation.status import StatusView
from core import blobs
from core.errors import OpsbotError
from core.models import Attachment, Intent, IntentName, Message, Reply, Slots
from policies.budgets import Budget

Estimate = Callable[[Intent], str]  # the list-price estimate (conversation.reads), when no cost source exists
TOP_MOST = 25
SHOWN = 6


class NoCostData(OpsbotError):
    """Nothing to answer from yet (the line says why)."""


def configured_sources(services: Services) -> list[str]:
    """The cost sources the settings name, as the answers name them (none: only the list-price estimate)."""
    s = services.settings
    if not s.real_clouds:
        return ["the simulated cost history"]
    return [
        name
        for name, on in (
            ("Cost Explorer", s.cost_explorer and bool(s.aws_accounts)),
            ("Azure Cost Management", s.azure_cost_management and bool(s.azure_subscriptions)),
            ("the BigQuery billing export", bool(s.gcp_billing_table)),
        )
        if on
    ]


class Rows(NamedTuple):
    """The cost rows a question is about, and how the answer names them."""

    table: CostTable
    place: str  # "AWS prod", "web-prod", "team=payments"; "" for all spend
    key: str  # what its forecast is kept under
    where: dict[str, str]  # its plain column filters (what a budget's scope is compared with)
    narrow: bool = False  # some resources only (a group, a service, a tag): no budget is for it


class CostFlow:
    def __init__(self, services: Services, estimate: Estimate) -> None:
        self._s = services
        self._estimate = estimate
        self._status = StatusView(services)
        # A fit takes ~100 ms: each scope's forecast is kept until the cache's version or the day changes.
        self._forecasts: dict[tuple[str, int, str], Forecast] = {}

    def view(self) -> CostView:
        """What the cache holds, or NoCostData with the honest line."""
        view = self._s.costs.load()
        if view is None or not view.has_data:
            # A chat process's own worker reads only once asked: the first question asks (and is told so).
            asked = view is None and self._s.costs.want()
            reading = asked or self._s.costs.reading()
            raise NoCostData(words.no_data(view, configured_sources(self._s), reading=reading))
        return view

    def today(self) -> int:
        return today_number(self._s.clock())

    def footer(self, view: CostView) -> str:
        return words.sources_line(view, self._s.clock(), self._s.settings.cost_refresh_seconds)

    def handle(self, msg: Message, intent: Intent) -> list[Reply]:
        name = intent.name
        if name in (IntentName.COST, IntentName.FORECAST) and not configured_sources(self._s):
            return [reply(msg.ref, self._estimate(intent))]
        try:
            view = self.view()
            if name is IntentName.FORECAST:
                return [self._forecast(msg, view, intent.slots)]
            if name is IntentName.COST_WHY:
                return [self._why(msg, view, intent.slots)]
            if name is IntentName.COST_EXPORT:
                return [self._export(msg, view, intent.slots)]
            return [self._cost(msg, view, intent.slots)]
        except NoCostData as exc:
            return [reply(msg.ref, str(exc))]
        except OpsbotError as exc:
            return [reply(msg.ref, str(exc), kind="error")]

    def rows(self, view: CostView, slots: Slots) -> Rows:
        """The rows of the scope the slots name, as status and the estimate read it: a cloud, environment, region, or
        a resource, group, service or tag (those by the names of the resources they hold); else one line why not."""
        snapshot = self._s.provider.snapshot()
        scoped = self._status.scoped(snapshot, slots)
        if isinstance(scoped, str):
            raise OpsbotError(scoped)
        scope = scoped.scope
        place = {
            "provider": scope.cloud.value if scope.cloud else None,
            "environment": scope.environment,
            "region": scope.region,
        }
        where = {k: v for k, v in place.items() if v}
        table = _scoped(view.table, where)
        some = scope.names is not None or scope.service is not None or scope.tag is not None
        if some:
            names = {r.name for r in snapshot.resources if scope.holds(r)}
            table = table.where(
                np.isin(table.resource.codes, [i for i, x in enumerate(table.resource.labels) if x in names])
            )
        return Rows(table, "" if scope == Scope() else scoped.label, repr(scope), where, scope.narrow)

    def _period(self, slots: Slots, default: str = "this_month") -> Period:
        month = words.month_asked(slots.month, self.today()) if slots.month else None
        return period_of(month or slots.period or default, self.today())

    def _cost(self, msg: Message, view: CostView, slots: Slots) -> Reply:
        if slots.compare:
            return self._compare(msg, view, slots)
        rows, period = self.rows(view, slots), self._period(slots)
        of = f", {rows.place}" if rows.place else ""
        if slots.count:
            by = COLUMN_OF.get(slots.group_by or "resource", "resource")
            named = rows.table.where(rows.table.column(by).codes != _code(rows.table, by, ""))  # not storage lines
            top = top_spenders(named, period, min(slots.count, TOP_MOST), by)
            head = f"Top {len(top.lines)} {by}s by cost {period.label}{of}: {money(sum(x.amount for x in top.lines))}"
            head += f" of {money(rows.table.between(period.first_day, period.last_day).total())}"
            text = "\n".join([head, *words.lines_of(top, shares=False), self.footer(view)])
            return _with_chart(msg, text, words.bars(f"Top {len(top.lines)} by cost, {period.label}", top))
        by = COLUMN_OF.get(slots.group_by or "", "service" if "provider" in rows.where else "provider")
        found = breakdown(rows.table, period, by, limit=SHOWN)
        if not found.lines:
            return reply(msg.ref, f"Nothing was paid {period.label}{of}.\n{self.footer(view)}")
        head = f"Cost {period.label}{of}: {money(found.total)}"
        text = "\n".join([head, *words.lines_of(found), self.footer(view)])
        if len(found.lines) < 3:
            return reply(msg.ref, text)
        return _with_chart(msg, text, words.bars(f"Cost {period.label}{of}: {short(found.total)}", found))

    def _compare(self, msg: Message, view: CostView, slots: Slots) -> Reply:
        """This month so far against the same days of last month (or the period asked against the one before)."""
        rows, period, today = self.rows(view, slots), self._period(slots), self.today()
        first, last = _previous(period, slots.compare or "last_month")
        previous = Period(first, min(last, first + period.days - 1), "the same days of last month")
        by = COLUMN_OF.get(slots.group_by or "", "service")
        found = compare(rows.table, period, previous, by)
        change = f"{found.delta / found.previous:+.0%}" if found.previous > 0 else "new"
        of = f", {rows.place}" if rows.place else ""
        head = (
            f"Cost {period.label}{of}: {money(found.current)} vs {money(found.previous)} {previous.label} "
            f"({money(found.delta, signed=True)}, {change})"
        )
        movers = [
            f"{words.label(m.label, by)} {money(m.delta, signed=True)} ({money(m.previous)} -> {money(m.current)})"
            for m in found.movers
        ]
        text = "\n".join([head, *(["Moved most:", *movers] if movers else []), self.footer(view)])
        table = rows.table
        now = dict(enumerate(table.daily(period.first_day, min(period.last_day, today)), start=period.first_day))
        then = dict(enumerate(table.daily(previous.first_day, previous.last_day), start=previous.first_day))
        title = f"Daily cost{of}, {period.label} vs last month"
        return _with_chart(msg, text, words.compare_chart(title, now, then, (period.label, "last month")))

    def forecast_of(self, view: CostView, rows: Rows) -> Forecast:
        """The month-end projection of `rows`, from up to the cost history's days before today."""
        today = self.today()
        key = (view.version, today, rows.key)
        found = self._forecasts.get(key)
        if found is None:
            first = today - self._s.settings.cost_history_days
            found = month_end(rows.table.daily(first, today), first, today)
            if len(self._forecasts) > 256 or any(k[:2] != key[:2] for k in list(self._forecasts)):  # other threads
                self._forecasts.clear()
            self._forecasts[key] = found
        return found

    def budget_lines(self, view: CostView, budgets: list[Budget]) -> list[str]:
        return [budget_line(b.label, b.monthly, self.forecast_of(view, _budget_rows(view, b))) for b in budgets]

    def _forecast(self, msg: Message, view: CostView, slots: Slots) -> Reply:
        rows = self.rows(view, slots)
        overall = self.forecast_of(view, rows)
        of = f", {rows.place}" if rows.place else ""
        head = (
            f"Month-end forecast{of}: {money(overall.total)} ({interval(overall)}); "
            f"{money(overall.spent)} spent in {overall.known_days} days"
        )
        lines = [head]
        clouds = [p for p in view.table.provider.labels if p and "provider" not in rows.where]
        if len(clouds) > 1:
            for cloud in clouds:
                of_cloud = Rows(_scoped(rows.table, {"provider": cloud}), cloud, f"{rows.key}|{cloud}", {})
                own = self.forecast_of(view, of_cloud)
                theirs = next((f for f in view.forecasts if f.provider == cloud), None)
                said = f" - the cloud says {short(theirs.month_total)}" if theirs is not None else ""
                lines.append(f"{words.label(cloud)}: {short(own.total)} ({interval(own)}){said}")
        # Everything asked: every budget; a cloud or an environment: its own budget; anything narrower: none.
        mine = [b for b in self._s.budgets.all() if not rows.where or _where(b) == rows.where]
        budgets = [] if rows.narrow else mine
        lines += self.budget_lines(view, budgets)
        lines += [f"Method: {overall.method}.", self.footer(view)]
        first, _ = month_bounds(self.today())
        daily = rows.table.daily(first, first + overall.known_days - 1)
        line = (budgets[0].label, budgets[0].monthly) if budgets else None
        title = f"{day_of(first):%B} spend{of}, heading to {short(overall.total)}"
        return _with_chart(msg, "\n".join(lines), words.month_chart(title, list(daily), first, overall, line))

    def _why(self, msg: Message, view: CostView, slots: Slots) -> Reply:
        rows = self.rows(view, slots)
        day = words.day_asked(slots.day, self.today())
        jump = explain_day(rows.table, day)
        of = f" ({rows.place})" if rows.place else ""
        if jump.weeks == 0:
            text = f"{words.day_name(day)}{of}: {money(jump.amount)}; no earlier weeks to compare with."
            return reply(msg.ref, f"{text}\n{self.footer(view)}")
        change = f"{jump.delta / jump.usual:+.0%}" if jump.usual > 0 else "new"
        head = (
            f"{words.day_name(day)}{of}: {money(jump.amount)}, {money(jump.delta, signed=True)} ({change}) "
            f"against the usual {money(jump.usual)} (same weekday, {jump.weeks} weeks before)"
        )
        return reply(msg.ref, "\n".join([head, *words.jump_lines(jump), self.footer(view)]))

    def _export(self, msg: Message, view: CostView, slots: Slots) -> Reply:
        period = self._period(slots)
        rows = view.table.between(period.first_day, period.last_day)
        data = export_csv_gz(view.table, period)
        head = f"Costs {period.label}: {money(rows.total())} paid, {len(rows):,} rows"
        if len(data) > blobs.MOST_BYTES:
            found = breakdown(view.table, period, "service", limit=15)
            size = f"{len(data) / 1e6:.0f} MB"
            summary = [
                f"{head}. The file would be {size}, over the 50 MB a chat file may have: the total by "
                "service instead (ask for a shorter period for the file).",
                *words.lines_of(found),
                self.footer(view),
            ]
            return reply(msg.ref, "\n".join(summary))
        name = f"costs-{words.slug(period)}.csv.gz"
        key = blobs.put(self._s.connection, data)
        attachment = Attachment(
            filename=name, title=f"Costs {period.label}", blob_key=key, size=len(data), mime="application/gzip"
        )
        text = f"{head} - {name} ({words.size(len(data))}).\n{self.footer(view)}"
        return Reply(ref=msg.ref, key=new_key(), text=text, attachment=attachment, kind="result")


def _where(budget: Budget) -> dict[str, str]:
    return dict([budget.column]) if budget.column is not None else {}


def _budget_rows(view: CostView, budget: Budget) -> Rows:
    return Rows(_scoped(view.table, _where(budget)), budget.label, f"budget {budget.scope}", _where(budget))


def _scoped(table: CostTable, where: dict[str, str]) -> CostTable:
    if not where:
        return table
    mask = None
    for name, value in where.items():
        found = table.column(name).mask(value)
        mask = found if mask is None else mask & found
    return table.where(mask) if mask is not None else table


def _code(table: CostTable, column: str, label: str) -> int:
    """The code of `label` in a column (-1 when it has none: no row matches it)."""
    labels = table.column(column).labels
    return labels.index(label) if label in labels else -1


def _previous(period: Period, compare: str) -> tuple[int, int]:
    """The month before `period`'s (compare "last_month"), else the same number of days just before it."""
    if compare == "last_month":
        before = day_of(period.first_day) - timedelta(days=1)
        return month_bounds(day_number(before))
    return period.first_day - period.days, period.first_day - 1


def _with_chart(msg: Message, text: str, chart: object) -> Reply:
    return Reply.model_validate({"ref": msg.ref, "key": new_key(), "text": text, "chart": chart})
