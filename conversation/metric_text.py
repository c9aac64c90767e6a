"""How a metrics answer reads on a phone: the one line that leads (number and trend), the sparkline line, the
members that stand out, where the data came from and how old it is; and the range a question names ("last 6h",
"today", "since 03:00"), read against a clock. Pure functions: numbers come in, text goes out; every number shown
is one of the series' (the tests recompute them from the chart)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from actions.metrics.aggregate import Summary, format_value, sparkline, trend
from actions.metrics.model import METRICS, Metric
from alerts.model import Alert
from core.durations import span
from core.models import Slots

DEFAULT_SECONDS = 3600  # no range said: the last hour
_DAY = 86_400
# A comparison slot -> how far back the same range lies, and how the answer names it.
_COMPARE = {
    **dict.fromkeys(("last_week", "week", "7d", "a week ago", "previous_week"), (7 * _DAY, "last week")),
    **dict.fromkeys(("yesterday", "day", "1d", "last_day", "a day ago", "previous_day"), (_DAY, "yesterday")),
}


_ALERT_METRICS = (  # words of an alert's name or summary -> the metric its Graph shows; CPU when none matches
    (re.compile(r"latenc|slow|p99|response.?time|duration", re.I), Metric.LATENCY_P99),
    (re.compile(r"\b5xx|error|errors|fail|exception", re.I), Metric.ERRORS),
    (re.compile(r"memory|\bmem\b|\boom|\bram\b|swap", re.I), Metric.MEMORY),
    (re.compile(r"\bcpu|processor|load", re.I), Metric.CPU),
    (re.compile(r"request|traffic|\brps\b|throughput", re.I), Metric.REQUESTS),
    (re.compile(r"network|bandwidth", re.I), Metric.NETWORK_IN),
)
_METRIC_WORDS = {m.value: m for m in Metric} | {"mem": Metric.MEMORY, "ram": Metric.MEMORY}
_METRIC_WORDS["latency"] = Metric.LATENCY_P99


def metric_of(word: str | None) -> Metric | str:
    """The metric a slot names (CPU when none), or the line saying which there are."""
    if word is None:
        return Metric.CPU
    found = _METRIC_WORDS.get(word.lower().replace(" ", "_"))
    if found is not None:
        return found
    return f"I don't know the metric '{word[:30]}'. I have: {', '.join(m.value for m in Metric)}."


def metric_for_alert(alert: Alert) -> Metric:
    """The metric an alert's name or summary suggests: its alertname first, then its summary; CPU otherwise."""
    for text in (alert.labels.get("alertname", ""), alert.summary, alert.description):
        for pattern, metric in _ALERT_METRICS:
            if pattern.search(text):
                return metric
    return Metric.CPU


@dataclass(frozen=True)
class Window:
    """The range a question asks about, in unix seconds, and how the answer names it."""

    start: float
    end: float
    label: str  # "last 6 h", "today", "yesterday", "since 03:00 UTC"
    over: str  # how the head line says it: "over 6 h", "today", "since 03:00 UTC"


def window_of(slots: Slots, now: float) -> Window | str:
    """The range the slots name (`since`, `duration_seconds`, `period`; the last hour when none), or why it cannot
    be read. Times of day are UTC: the policy knows no user's own time zone."""
    if slots.since:
        return _since(slots.since, now)
    if slots.duration_seconds:
        length = span(slots.duration_seconds)
        return Window(now - slots.duration_seconds, now, f"last {length}", f"over {length}")
    midnight = now // _DAY * _DAY
    period = slots.period
    if period is None:
        return Window(now - DEFAULT_SECONDS, now, "last 1 h", "over 1 h")
    if period == "today":
        return Window(midnight, now, "today", "today")
    if period == "yesterday":
        return Window(midnight - _DAY, midnight, "yesterday", "yesterday")
    if period == "this_week":
        monday = midnight - datetime.fromtimestamp(now, UTC).weekday() * _DAY
        return Window(monday, now, "this week", "this week")
    if period in ("this_month", "last_month"):
        first = datetime.fromtimestamp(midnight, UTC).replace(day=1)
        if period == "this_month":
            return Window(first.timestamp(), now, "this month", "this month")
        before = (first - timedelta(days=1)).replace(day=1)
        return Window(before.timestamp(), first.timestamp(), "last month", "last month")
    if period.endswith("d") and period[:-1].isdigit() and int(period[:-1]) > 0:
        days = int(period[:-1])
        return Window(now - days * _DAY, now, f"last {days} d", f"over {days} d")
    return "Metrics are about the past: ask for the last 6h, today, yesterday or since 03:00."


def _since(said: str, now: float) -> Window | str:
    """ "03:00" -> from 03:00 UTC today, or yesterday when that is still ahead."""
    hours, sep, minutes = said.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        return f"'{said[:10]}' is not a time of day: say since 03:00."
    start = now // _DAY * _DAY + int(hours) * 3600 + int(minutes) * 60
    if start > now:
        start -= _DAY
    label = f"since {int(hours):02d}:{int(minutes):02d} UTC"
    return Window(start, now, label, label)


def compare_shift(compare: str | None) -> tuple[int, str] | None:
    """How far back the comparison asked for lies ("last_week" -> a week, "last week"); None when none is."""
    return _COMPARE.get(compare.lower()) if compare else None


def utc_clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M")


def title(name: str, metric: Metric, window: Window) -> str:
    """ "web-prod CPU, last 6 h": the chart's title."""
    return f"{name} {METRICS[metric].label}, {window.label}"


def head(
    name: str, metric: Metric, summary: Summary, window: Window, *, now: float, step: int,
    members: int = 0, change: str | None = None,
) -> str:  # fmt: skip
    """ "web-prod CPU 78% now (avg of 12; p95 71% over 6 h), up from 40% at 02:00; alert at 80%": the latest value
    ("at 23:59" when the range ended before now), the window's p95 and the trend, a comparison, the alert line."""
    info = METRICS[metric]
    value = format_value(summary.now, info.unit)
    when = "now" if now - summary.at <= max(3 * step, 300) else f"at {utc_clock(summary.at)}"
    of = f"avg of {members}; " if members > 1 else ""
    line = f"{name} {info.label} {value} {when} ({of}p95 {format_value(summary.p95, info.unit)} {window.over})"
    line += f", {trend(summary, info.unit)}"
    if change:
        line += f" ({change})"
    if info.threshold is not None:
        above = " - above it" if summary.now >= info.threshold else ""
        line += f"; alert at {format_value(info.threshold, info.unit)}{above}"
    return line


def spark(points: Sequence[tuple[float, float]], unit: str) -> str:
    """ "▁▂▃▅▇█ 40%..99%": the line's shape and its range."""
    if not points:
        return ""
    values = [v for _, v in points]
    return f"{sparkline(values)} {format_value(min(values), unit)}..{format_value(max(values), unit)}"


def change(current: Sequence[tuple[float, float]], before: Sequence[tuple[float, float]], label: str) -> str | None:
    """ "+12% vs last week": the window's mean against the same window earlier; None without both."""
    if not current or not before:
        return None
    now_mean = sum(v for _, v in current) / len(current)
    then_mean = sum(v for _, v in before) / len(before)
    if abs(then_mean) < 1e-9:
        return None
    percent = (now_mean - then_mean) / abs(then_mean) * 100
    return f"{percent:+.0f}% vs {label}"


def standouts(found: Sequence[tuple[str, float]], unit: str) -> str | None:
    """ "Stands out: i-0abc at 99%, i-0def at 97%" """
    if not found:
        return None
    return "Stands out: " + ", ".join(f"{name} at {format_value(value, unit)}" for name, value in found)


def source(sources: Sequence[str], problems: Sequence[str], latest_at: float, now: float) -> list[str]:
    """ "From CloudWatch, latest point 40 s old.", then each source that failed: "Prometheus did not answer in
    3 s - showing CloudWatch only"."""
    where = " + ".join(sources) if sources else "no source"
    only = f" - showing {where} only" if sources else ""
    return [f"From {where}, latest point {span(now - latest_at)} old.", *(f"{p.rstrip('.')}{only}" for p in problems)]


def missing(names: Sequence[str], total: int) -> str | None:
    """ "No data for 2 of 12: i-1, i-2" (at most 3 named)."""
    if not names:
        return None
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"No data for {len(names)} of {total}: {shown}" if total > 1 else f"No data for {shown}"


def nothing(name: str, metric: Metric, window: Window, problems: Sequence[str], *, covered: bool, stopped: bool) -> str:
    """The one plain line when no point came back at all, and why: a source's problem, no source for it, or the
    resource stopped."""
    label = METRICS[metric].label
    if problems:
        return f"No {label} data for {name} {window.over}: {problems[0]}"
    if not covered:
        return f"No {label} data for {name}: no metrics source covers it."
    if stopped:
        return f"No {label} data for {name} {window.over}: it is stopped."
    return f"No {label} data for {name} {window.over}: its source has none."
