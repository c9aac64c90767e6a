"""Where the money went: a period's spend by any text column, the top spenders, one period against another, why
one day cost more or less than usual, and which services or accounts spent clearly above their usual yesterday.

Pure functions over a `CostTable`, numpy only: each reads the rows it needs through a boolean mask and sums with
`np.bincount` over the dictionary codes, so nothing loops over rows. Amounts are what was paid (amount + credit).
"Usual" for a day is the mean of the same weekday over the four weeks before it: spend has a weekly shape (batch
jobs on Sundays, quiet weekends), and comparing a Monday with a Sunday would call every Monday a jump."""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from actions.costs.model import Amounts, CostTable, day_number, day_of
from core.errors import OpsbotError

Mask = npt.NDArray[np.bool_]
BASELINE_WEEKS = 4
MOVER_DIMENSIONS = ("service", "resource", "team", "account")
MOVERS_PER_DIMENSION = 3
PERIOD_HELP = "today, yesterday, this_week, last_week, this_month, last_month, 7d or a month like 2026-11"


@dataclass(frozen=True)
class Period:
    first_day: int  # day numbers (actions.costs.model.day_number), both included
    last_day: int
    label: str  # "this month", "last 7 days", "November 2026"

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1


def _month(year: int, month: int) -> Period:
    first = date(year, month, 1)
    last = first.replace(day=calendar.monthrange(year, month)[1])
    return Period(day_number(first), day_number(last), f"{calendar.month_name[month]} {year}")


def period_of(name: str, today: int) -> Period:
    """A named period ending no later than `today` (a day number). Bad names raise one line saying what works."""
    at = day_of(today)
    weekday = at.weekday()
    fixed = {
        "today": Period(today, today, "today"),
        "yesterday": Period(today - 1, today - 1, "yesterday"),
        "this_week": Period(today - weekday, today, "this week"),
        "last_week": Period(today - weekday - 7, today - weekday - 1, "last week"),
    }
    if name in fixed:
        return fixed[name]
    if name == "this_month":
        month = _month(at.year, at.month)
        return Period(month.first_day, today, "this month")
    if name == "last_month":
        before = day_of(_month(at.year, at.month).first_day - 1)
        month = _month(before.year, before.month)
        return Period(month.first_day, month.last_day, "last month")
    if (days := re.fullmatch(r"([1-9][0-9]{0,2})d", name)) and int(days[1]) <= 400:
        n = int(days[1])
        return Period(today - n + 1, today, f"last {n} days")
    if (month_name := re.fullmatch(r"(20[0-9]{2})-(0[1-9]|1[0-2])", name)) is not None:
        month = _month(int(month_name[1]), int(month_name[2]))
        if month.first_day > today:
            raise OpsbotError(f"{month.label} has not started yet")
        return month
    raise OpsbotError(f"unknown period {name!r}: try {PERIOD_HELP}")


@dataclass(frozen=True)
class Line:
    label: str  # "" is a label nobody set (model.UNKNOWN): the reader says "untagged"
    amount: float
    share: float  # of the breakdown's total, 0..1 (0 when the total is not positive)


@dataclass(frozen=True)
class Breakdown:
    period: Period
    by: str
    total: float
    lines: tuple[Line, ...]  # biggest first, at most `limit`
    rest: float  # what the labels beyond the lines add up to
    rest_count: int  # how many labels that is


@dataclass(frozen=True)
class Change:
    label: str
    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous


@dataclass(frozen=True)
class Comparison:
    period: Period
    previous_period: Period
    by: str
    current: float
    previous: float
    movers: tuple[Change, ...]  # the labels that moved most (either way), biggest move first

    @property
    def delta(self) -> float:
        return self.current - self.previous

    @property
    def ratio(self) -> float | None:
        """current / previous (None when nothing was spent before)."""
        return self.current / self.previous if self.previous > 0 else None


def _mask(table: CostTable, first_day: int, last_day: int, where: Mapping[str, str] | None) -> Mask:
    mask: Mask = (table.day >= first_day) & (table.day <= last_day)
    for name, label in (where or {}).items():
        mask &= table.column(name).mask(label)
    return mask


def _sums(table: CostTable, by: str, mask: Mask, weights: Amounts) -> Amounts:
    """Per label of column `by`: the sum of `weights` over the rows in `mask`."""
    column = table.column(by)
    sums = np.bincount(column.codes[mask], weights=weights[mask], minlength=len(column.labels))
    return sums.astype(np.float64, copy=False)


def _present(table: CostTable, by: str, mask: Mask) -> Mask:
    column = table.column(by)
    seen: Mask = np.bincount(column.codes[mask], minlength=len(column.labels)) > 0
    return seen


def breakdown(
    table: CostTable, period: Period, by: str, *, where: Mapping[str, str] | None = None, limit: int = 10
) -> Breakdown:
    """The period's spend by the labels of one text column ("service", "team"...), biggest first."""
    mask = _mask(table, period.first_day, period.last_day, where)
    sums = _sums(table, by, mask, table.paid())
    present = np.flatnonzero(_present(table, by, mask))
    ranked = present[np.argsort(-sums[present], kind="stable")]
    total = float(sums[present].sum())
    labels = table.column(by).labels
    lines = tuple(Line(labels[i], float(sums[i]), float(sums[i]) / total if total > 0 else 0.0) for i in ranked[:limit])
    rest = float(sums[ranked[limit:]].sum())
    return Breakdown(period, by, total, lines, rest, max(0, len(ranked) - limit))


def top_spenders(
    table: CostTable, period: Period, n: int = 10, by: str = "resource", where: Mapping[str, str] | None = None
) -> Breakdown:
    """The n biggest spenders of the period (resources unless `by` says otherwise)."""
    return breakdown(table, period, by, where=where, limit=n)


def compare(
    table: CostTable,
    period: Period,
    previous: Period,
    by: str,
    *,
    where: Mapping[str, str] | None = None,
    limit: int = 5,
) -> Comparison:
    """This period against an earlier one: both totals and the labels whose spend moved most."""
    paid = table.paid()
    now_mask = _mask(table, period.first_day, period.last_day, where)
    then_mask = _mask(table, previous.first_day, previous.last_day, where)
    now, then = _sums(table, by, now_mask, paid), _sums(table, by, then_mask, paid)
    labels = table.column(by).labels
    moved = np.flatnonzero(now != then)
    ranked = moved[np.argsort(-np.abs(now[moved] - then[moved]), kind="stable")][:limit]
    movers = tuple(Change(labels[i], float(now[i]), float(then[i])) for i in ranked)
    return Comparison(period, previous, by, float(now.sum()), float(then.sum()), movers)


@dataclass(frozen=True)
class Mover:
    dimension: str  # "service", "resource", "team", "account"
    label: str
    amount: float  # spent on the day
    usual: float  # the same weekday's mean over the weeks before
    top: Mover | None = None  # the resource inside this label that moved most the same way ("web-prod +$900")

    @property
    def delta(self) -> float:
        return self.amount - self.usual


@dataclass(frozen=True)
class Jump:
    day: int
    amount: float
    usual: float  # mean of the same weekday over up to BASELINE_WEEKS weeks before (those the table covers)
    weeks: int  # how many weeks that baseline has (0: no history, `usual` is 0)
    movers: tuple[Mover, ...]  # per dimension, the labels that moved most in the day's direction

    @property
    def delta(self) -> float:
        return self.amount - self.usual


def _baseline_weeks(table: CostTable, day: int, weeks: int) -> list[int]:
    """The same weekday in each of the `weeks` weeks before `day` that the table has rows for."""
    earliest = int(table.day.min()) if len(table) else day
    return [day - 7 * k for k in range(1, weeks + 1) if day - 7 * k >= earliest]


def _day_weights(table: CostTable, day: int, before: Sequence[int], paid: Amounts) -> tuple[Mask, Amounts, Amounts]:
    """Rows of the day and of its baseline days, with the day's spend and the baseline's share of each row."""
    rows: Mask = np.isin(table.day, [day, *before])
    on_day = np.where(table.day == day, paid, 0.0)
    usual = np.where(table.day != day, paid, 0.0) / max(1, len(before))
    return rows, on_day, usual


def explain_day(table: CostTable, day: int, *, where: Mapping[str, str] | None = None) -> Jump:
    """One day's spend against its usual, and per dimension the labels that moved it most."""
    before = _baseline_weeks(table, day, BASELINE_WEEKS)
    rows, on_day, usual = _day_weights(table, day, before, table.paid())
    rows &= _mask(table, min([day, *before]), day, where)
    amount, baseline = float(on_day[rows].sum()), float(usual[rows].sum())
    direction = 1.0 if amount >= baseline else -1.0
    movers: list[Mover] = []
    for dimension in MOVER_DIMENSIONS:
        spent, was = _sums(table, dimension, rows, on_day), _sums(table, dimension, rows, usual)
        moved = direction * (spent - was)
        labels = table.column(dimension).labels
        for i in np.argsort(-moved, kind="stable")[:MOVERS_PER_DIMENSION]:
            if moved[i] <= 0:
                break
            top = None
            if dimension != "resource":
                inside = rows & (table.column(dimension).codes == i)
                top = _top_resource(table, inside, on_day, usual, direction)
            movers.append(Mover(dimension, labels[i], float(spent[i]), float(was[i]), top))
    return Jump(day, amount, baseline, len(before), tuple(movers))


def _top_resource(table: CostTable, rows: Mask, on_day: Amounts, usual: Amounts, direction: float) -> Mover | None:
    spent, was = _sums(table, "resource", rows, on_day), _sums(table, "resource", rows, usual)
    i = int(np.argmax(direction * (spent - was)))
    if direction * (spent[i] - was[i]) <= 0 or table.resource.labels[i] == "":
        return None
    return Mover("resource", table.resource.labels[i], float(spent[i]), float(was[i]))


@dataclass(frozen=True)
class AnomalyRule:
    """A label's spend yesterday is an anomaly when it is at least `ratio` times its usual (the same weekday's
    mean over the four weeks before), at least `floor` dollars above it (so $3 against $1 stays quiet), and above
    every one of those weeks (a label that peaks every other Tuesday is not news on a Tuesday). A label with no
    spend in those weeks counts when it passes the floor."""

    ratio: float = 1.5
    floor: float = 100.0


@dataclass(frozen=True)
class Anomaly:
    dimension: str
    label: str
    day: int
    amount: float
    usual: float
    highest_before: float  # the most that label spent on one of the baseline days

    @property
    def delta(self) -> float:
        return self.amount - self.usual

    @property
    def ratio(self) -> float | None:
        return self.amount / self.usual if self.usual > 0 else None  # None: new spend


def anomalies(
    table: CostTable,
    today: int,
    *,
    by: Sequence[str] = ("service", "account"),
    threshold: AnomalyRule = AnomalyRule(),
    where: Mapping[str, str] | None = None,
) -> list[Anomaly]:
    """Labels of the `by` columns that spent clearly above their usual yesterday (the last whole day), biggest
    excess first."""
    day = today - 1
    before = _baseline_weeks(table, day, BASELINE_WEEKS)
    paid = table.paid()
    rows, on_day, usual = _day_weights(table, day, before, paid)
    rows &= _mask(table, min([day, *before]), day, where)
    found: list[Anomaly] = []
    for dimension in by:
        spent, was = _sums(table, dimension, rows, on_day), _sums(table, dimension, rows, usual)
        highest = np.zeros_like(spent)
        for earlier in before:
            highest = np.maximum(highest, _sums(table, dimension, rows & (table.day == earlier), paid))
        flagged = (spent >= threshold.ratio * was) & (spent - was >= threshold.floor) & (spent > highest)
        labels = table.column(dimension).labels
        found += [
            Anomaly(dimension, labels[i], day, float(spent[i]), float(was[i]), float(highest[i]))
            for i in np.flatnonzero(flagged)
        ]
    return sorted(found, key=lambda a: -a.delta)
