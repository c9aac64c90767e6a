"""Spend so far and the month-end forecast, at today's hourly rates (an estimate from list prices, not a bill),
for a scope (a cloud, environment, region, group, service or tag), in lines grouped by provider, environment,
region, kind or a tag. Groups repeat their members' cost, so only members are counted."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from actions.provider import Resource
from actions.queries.status import Scope
from core.errors import OpsbotError
from core.models import Frozen

PERIODS = ("today", "yesterday", "this_week", "this_month", "last_month", "<n>d")
GROUPINGS = {"provider": "cloud", "cloud": "cloud", "environment": "environment", "env": "environment",
             "region": "region", "kind": "kind", "service": "service", "team": "team", "owner": "owner"}  # fmt: skip


class CostLine(Frozen):
    key: str  # "aws", "prod", "billing", "untagged"
    hourly_cost: float
    amount: float  # USD over the period
    resources: int


class CostReport(Frozen):
    period: str
    start: float  # unix seconds
    end: float
    hours: float
    group_by: str
    hourly_cost: float
    total: float
    lines: tuple[CostLine, ...]  # largest first
    projected: bool = False  # a forecast, not money already spent


def _period(period: str, now: float) -> tuple[float, float]:
    at = datetime.fromtimestamp(now, UTC)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    month = day.replace(day=1)
    if period == "today":
        return day.timestamp(), now
    if period == "yesterday":
        return (day - timedelta(days=1)).timestamp(), day.timestamp()
    if period == "this_week":
        return (day - timedelta(days=day.weekday())).timestamp(), now
    if period == "this_month":
        return month.timestamp(), now
    if period == "last_month":
        return (month - timedelta(days=1)).replace(day=1).timestamp(), month.timestamp()
    if period.endswith("d") and period[:-1].isdigit() and 0 < int(period[:-1]) <= 366:
        return now - int(period[:-1]) * 86400, now
    raise OpsbotError(f"unknown period {period}: try today, this_month, last_month or 7d")


def _report(
    resources: Iterable[Resource], period: str, start: float, end: float, group_by: str | None, projected: bool
) -> CostReport:
    key_name = GROUPINGS.get(group_by or "provider")
    if key_name is None:
        raise OpsbotError(f"cannot group costs by {group_by}: try provider, environment, region or service")
    hours = max(0.0, end - start) / 3600
    sums: dict[str, tuple[float, int]] = {}
    for r in resources:
        if r.kind == "group":
            continue
        if key_name in ("service", "team", "owner"):
            key = r.tags.get(key_name, "untagged")
        else:
            key = str(getattr(r, key_name))
        hourly, count = sums.get(key, (0.0, 0))
        sums[key] = (hourly + r.hourly_cost, count + 1)
    lines = sorted(
        (
            CostLine(key=k, hourly_cost=round(h, 4), amount=round(h * hours, 2), resources=n)
            for k, (h, n) in sums.items()
        ),
        key=lambda line: (-line.amount, line.key),
    )
    hourly = sum(h for h, _ in sums.values())
    return CostReport(
        period=period, start=start, end=end, hours=round(hours, 4), group_by=group_by or "provider",
        hourly_cost=round(hourly, 4), total=round(hourly * hours, 2), lines=tuple(lines), projected=projected,
    )  # fmt: skip


def _within(resources: Iterable[Resource], scope: Scope | None) -> Iterable[Resource]:
    if scope is None:
        return resources
    return (r for r in resources if scope.holds(r))


def cost(
    resources: Iterable[Resource],
    *,
    period: str = "this_month",
    group_by: str | None = None,
    now: float,
    scope: Scope | None = None,
) -> CostReport:
    """Spend over `period` so far at today's hourly rates, of the resources in `scope` (all when None), in lines
    grouped by `group_by` (default provider). A group in scope counts through its members (`Scope.names`)."""
    start, end = _period(period, now)
    return _report(_within(resources, scope), period, start, end, group_by, projected=False)


def forecast(
    resources: Iterable[Resource], *, now: float, group_by: str | None = None, scope: Scope | None = None
) -> CostReport:
    """The whole current month at today's hourly rates: what the bill will be if nothing changes."""
    at = datetime.fromtimestamp(now, UTC)
    month = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = month + timedelta(days=calendar.monthrange(at.year, at.month)[1])
    return _report(_within(resources, scope), "month_end", month.timestamp(), end.timestamp(), group_by, projected=True)
