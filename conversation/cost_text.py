"""How cost answers read on a phone: short money ("$18.2k"), where the figures came from and how old they are, the
scope a question names, budget lines, and the charts' data. Wording only: the flow is conversation.costs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from actions.costs.analysis import Breakdown, Jump, Mover, Period
from actions.costs.forecast import Forecast
from actions.costs.model import day_number, day_of
from actions.costs.store import CostView, SourceState
from conversation.replies import money
from core.durations import span
from core.errors import OpsbotError
from core.models import Chart, ChartBand, ChartBar, ChartSeries

CLOUDS = {"aws": "AWS", "azure": "Azure", "gcp": "GCP", "all": "all clouds"}
# The words a question groups by, as the cost table's columns ("owner" is the team tag, "kind" the service).
COLUMN_OF = {
    "provider": "provider",
    "environment": "environment",
    "region": "region",
    "service": "service",
    "team": "team",
    "owner": "team",
    "kind": "service",
    "resource": "resource",
    "account": "account",
}
DAY = 86_400
STALE_PERIODS = 2  # a source not read for two refresh periods is named with its age


def short(amount: float) -> str:
    """ "$850", "$18.2k", "$20k", "$1.52M": a budget line's and a chart's figures."""
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    if value < 1000:
        return f"{sign}${value:,.0f}"
    if value < 1_000_000:
        return f"{sign}${value / 1000:.1f}".removesuffix(".0") + "k"
    return f"{sign}${value / 1_000_000:.2f}".removesuffix("0").removesuffix(".0") + "M"


def label(text: str, by: str = "") -> str:
    """A label as people say it: the cloud's name, "untagged" for a label nobody set."""
    if not text:
        return "untagged" if by in ("team", "environment") else "other"
    return CLOUDS.get(text, text) if by in ("provider", "") else text


def budget_line(scope: str, monthly: float, forecast: Forecast) -> str:
    """ "prod: $18.2k of $20k (91%), heading to $21.4k - over by $1.4k"."""
    used = forecast.spent / monthly if monthly > 0 else 0.0
    head = f"{scope}: {short(forecast.spent)} of {short(monthly)} ({used:.0%}), heading to {short(forecast.total)}"
    if forecast.total > monthly:
        return f"{head} - over by {short(forecast.total - monthly)}"
    return f"{head} - {short(monthly - forecast.total)} to spare"


def interval(forecast: Forecast) -> str:
    return f"{forecast.level:.0%}: {short(forecast.low)}-{short(forecast.high)}"


def sources_line(view: CostView, now: float, refresh_seconds: float) -> str:
    """Where the figures came from and how old they are; each source with an error or old data on a line of its
    own ("Azure Cost Management: data from 3 h ago, throttled")."""
    fine, named = [], []
    for s in view.sources:
        problem = _problem(s, now, refresh_seconds)
        if problem is None and s.fetched_at is not None:
            fine.append(f"{s.name} {span(now - s.fetched_at)} ago")
        elif problem is not None:
            named.append(problem)
    lines = ([f"Data: {', '.join(fine)}."] if fine else []) + named
    return "\n".join(lines)


def _problem(s: SourceState, now: float, refresh_seconds: float) -> str | None:
    if s.fetched_at is None:
        return f"{s.name}: no data yet, {s.error or 'not read yet'}"
    age = now - s.fetched_at
    if s.error:
        return f"{s.name}: data from {span(age)} ago, {s.error}"
    if age > STALE_PERIODS * refresh_seconds:
        return f"{s.name}: data from {span(age)} ago, not read since"
    return None


def no_data(view: CostView | None, configured: Sequence[str], *, reading: bool) -> str:
    """The honest answer before any cost figure exists: what failed, a first read under way, or nobody reading."""
    failed = [s for s in view.sources if s.error] if view is not None else []
    if failed:
        return "No cost data yet: " + "; ".join(f"{s.name}: {s.error}" for s in failed) + "."
    if reading:
        return f"No cost data yet: the first read of {_listed(configured)} is running (it takes about a minute)."
    return f"No cost data yet: {_listed(configured)} not read yet - no read attempted; is a worker running?"


def _listed(names: Sequence[str]) -> str:
    names = list(names) or ["the cost sources"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def lines_of(found: Breakdown, *, shares: bool = True) -> list[str]:
    shown = [
        f"{label(line.label, found.by)} {money(line.amount)}" + (f" ({line.share:.0%})" if shares else "")
        for line in found.lines
    ]
    if found.rest_count:
        shown.append(f"{found.rest_count:,} more {money(found.rest)}")
    return shown


def bars(title: str, found: Breakdown) -> Chart:
    return Chart(
        title=title,
        unit="$",
        series=(),
        kind="bar",
        filename="cost.png",
        bars=tuple(ChartBar(label=label(x.label, found.by)[:30], value=round(x.amount, 2)) for x in found.lines),
    )


def moved(mover: Mover, by: str) -> str:
    """ "Amazon EC2 +$1,240 (web-prod +$900)"."""
    text = f"{label(mover.label, by)} {money(mover.delta, signed=True)}"
    if mover.top is not None:
        text += f" ({mover.top.label} {money(mover.top.delta, signed=True)})"
    return text


def jump_lines(jump: Jump) -> list[str]:
    """The movers, one line per dimension: "service: Amazon EC2 +$1,240 (web-prod +$900), ..."."""
    by_dimension: dict[str, list[str]] = {}
    for mover in jump.movers:
        by_dimension.setdefault(mover.dimension, []).append(moved(mover, mover.dimension))
    return [f"{dimension}: {', '.join(found)}" for dimension, found in by_dimension.items()]


def day_name(day: int) -> str:
    return day_of(day).strftime("%a %d %b").replace(" 0", " ")


def at(day: int) -> float:
    """Noon UTC of a day: where a chart puts its point."""
    return datetime(*day_of(day).timetuple()[:3], 12, tzinfo=UTC).timestamp()


def month_chart(
    title: str, daily: Sequence[float], first_day: int, forecast: Forecast, budget: tuple[str, float] | None
) -> Chart:
    """This month's spend added up day by day, the forecast's band to month end and the budget as the line."""
    total, points = 0.0, []
    for k, amount in enumerate(daily):
        total += amount
        points.append((at(first_day + k), round(total, 2)))
    series = [ChartSeries(label="spent", points=tuple(points))]
    band = None
    if forecast.path:
        series.append(ChartSeries(label="forecast", points=tuple((at(d), round(e, 2)) for d, e, _, _ in forecast.path)))
        band = ChartBand(
            label=f"forecast {forecast.level:.0%}",
            points=tuple((at(d), round(lo, 2), round(hi, 2)) for d, _, lo, hi in forecast.path),
        )
    return Chart(
        title=title,
        unit="$",
        series=tuple(series),
        band=band,
        filename="forecast.png",
        threshold=budget[1] if budget else None,
        threshold_label=f"budget {budget[0]} {short(budget[1])}" if budget else None,
    )


def compare_chart(title: str, now: Mapping[int, float], then: Mapping[int, float], labels: tuple[str, str]) -> Chart:
    """Two periods day by day on the same days of the month (the earlier one drawn on the later one's dates)."""
    days = sorted(now)
    shifted = dict(zip(days, (then.get(d, 0.0) for d in sorted(then)), strict=False))
    return Chart(
        title=title,
        unit="$",
        filename="compare.png",
        series=(
            ChartSeries(label=labels[0], points=tuple((at(d), round(now[d], 2)) for d in days)),
            ChartSeries(label=labels[1], points=tuple((at(d), round(v, 2)) for d, v in shifted.items())),
        ),
    )


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def month_asked(month: str, today: int) -> str:
    """ "2026-11" as it is; a month said without its year ("11": "november") is the latest one that has begun."""
    if not month.isdigit() or not 1 <= int(month) <= 12:
        return month
    at = day_of(today)
    return f"{at.year if int(month) <= at.month else at.year - 1}-{int(month):02d}"


def day_asked(day: str | None, today: int) -> int:
    """The day a question names: "yesterday" (also when none is named), "today", a weekday (the latest one before
    today), or an ISO date not in the future."""
    text = (day or "yesterday").strip().lower()
    if text in ("yesterday", "today"):
        return today - (text == "yesterday")
    if text in WEEKDAYS:
        back = (day_of(today).weekday() - WEEKDAYS.index(text)) % 7
        return today - (back or 7)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            found = day_number(date.fromisoformat(text))
        except ValueError as exc:
            raise OpsbotError(f"{text} is not a date") from exc
        if found > today:
            raise OpsbotError(f"{text} has not happened yet")
        return found
    raise OpsbotError(f"Which day? For example: why did cost jump on tuesday (not {day!r})")


def slug(period: Period) -> str:
    """A file name's part: "2026-11" for a whole month, else its first and last day."""
    first, last = day_of(period.first_day), day_of(period.last_day)
    if first.day == 1 and (last + timedelta(days=1)).day == 1:
        return f"{first:%Y-%m}"
    return f"{first:%Y-%m-%d}-to-{last:%Y-%m-%d}"


def size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB" if n >= 1000 else f"{n} bytes"
