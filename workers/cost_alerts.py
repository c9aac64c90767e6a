"""Cost alerts, raised after each refresh of the cost cache: a budget's month-to-date spend at 50%, 80% and 100%,
its month-end forecast going over, and yesterday's anomalies (a service or account clearly above its usual). They
go through the alert pipeline like any monitoring alert (source "cost"), so the alerting file's routes decide the
channels and whether they page: warnings at 50/80% and for anomalies, critical at 100% and for a forecast over.

Each alert is raised once per budget, month and threshold (a day's anomalies once, in one card): what was raised is
remembered in Redis, and the alert store's fingerprint dedupes a repeat that slipped through (a worker that died
between the two). When a refresh reaches a higher threshold, the lower one's alert is resolved; when a new month
starts, every cost alert of the month before is resolved."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import redis

from actions.costs.analysis import Anomaly, anomalies, explain_day
from actions.costs.forecast import Forecast, month_end
from actions.costs.model import Amounts, CostTable, day_of, today_number
from actions.costs.store import CostView
from alerts.desk import Desk
from alerts.model import Incoming, Severity
from core.models import Cloud
from policies.budgets import PROVIDERS, Budget, BudgetBook, in_scope, month_of

log = logging.getLogger(__name__)

SOURCE = "cost"
THRESHOLDS = (50, 80, 100)  # % of a monthly budget spent so far
HISTORY_DAYS = 90  # what a budget's forecast is fitted on
RAISED = "opsbot:cost_alerts:raised:"  # + month: set of fingerprints raised that month
OPEN = "opsbot:cost_alerts:open"  # hash: fingerprint -> month, the alerts a new month resolves
KEEP_SECONDS = 70 * 86_400

Ingest = Callable[[Sequence[Incoming]], object]
ForecastFn = Callable[[Amounts, int, int], Forecast]  # actions.costs.forecast.month_end(daily, first_day, today)
AnomaliesFn = Callable[[CostTable, int], Sequence[Anomaly]]  # actions.costs.analysis.anomalies(table, today)


def after_refresh(
    view: CostView | None, *, budgets: Sequence[Budget], today: int, desk_or_ingest: Desk | Ingest,
    connection: redis.Redis, forecast_fn: ForecastFn = month_end, anomalies_fn: AnomaliesFn = anomalies,
) -> list[Incoming]:  # fmt: skip
    """Raise what this refresh crossed and resolve what a new month closed; returns what was sent to the desk.
    Raises redis.RedisError when Redis fails (the next refresh tries again)."""
    ingest = cast(Ingest, getattr(desk_or_ingest, "ingest", desk_or_ingest))
    memory = _Memory(connection, month_of(today).label)
    sent = memory.resolve_other_months()
    if view is not None and view.has_data:
        table = view.table
        for budget in budgets:
            sent += _budget_alerts(table, budget, today, memory, forecast_fn)
        found = list(anomalies_fn(table, today))
        if found and memory.new(_anomaly_print(found[0])):
            sent.append(_anomaly(table, found))
    if sent:
        ingest(sent)
    memory.commit([s.fingerprint for s in sent if s.status == "firing"])
    return sent


@dataclass(frozen=True)
class CostAlerter:
    """The refresher's `after` hook: `after_refresh` with the budgets in force and today's day from `clock`. A
    failure is logged (never silently) and does not stop the refresher: the next refresh tries again."""

    connection: redis.Redis
    book: BudgetBook
    desk_or_ingest: Desk | Ingest
    clock: Callable[[], float] = time.time

    def __call__(self, view: CostView | None) -> None:
        try:
            after_refresh(view, budgets=self.book.all(), today=today_number(self.clock()),
                          desk_or_ingest=self.desk_or_ingest, connection=self.connection)  # fmt: skip
        except Exception:  # any failure of one round: logged with its cause; the next refresh retries
            log.exception("cost alerts: this round failed; the next refresh tries again")


class _Memory:
    """What was raised this month (never raised again) and which raised alerts are still open."""

    def __init__(self, connection: redis.Redis, month: str) -> None:
        self._redis = connection
        self._month = month
        self._raised = {_text(m) for m in cast(set[bytes], connection.smembers(RAISED + month))}
        self._passed: list[str] = []  # thresholds passed without an alert of their own: never raised later
        self._closed: list[str] = []

    def new(self, fingerprint: str) -> bool:
        return fingerprint not in self._raised

    def passed(self, fingerprint: str) -> None:
        self._passed.append(fingerprint)

    def closed(self, fingerprint: str) -> None:
        self._closed.append(fingerprint)

    def commit(self, opened: Sequence[str]) -> None:
        """After the desk took them: remember the alerts opened, the thresholds passed, the alerts closed."""
        raised = [*opened, *self._passed]
        pipe = self._redis.pipeline()
        if raised:
            pipe.sadd(RAISED + self._month, *raised)
            pipe.expire(RAISED + self._month, KEEP_SECONDS)
        if opened:
            pipe.hset(OPEN, mapping=dict.fromkeys(opened, self._month))
        if self._closed:
            pipe.hdel(OPEN, *self._closed)
        pipe.execute()
        self._raised.update(raised)

    def resolve_other_months(self) -> list[Incoming]:
        """Resolved notices for the open alerts of earlier months."""
        entries = cast(dict[bytes, bytes], self._redis.hgetall(OPEN))
        stale = [(_text(k), _text(v)) for k, v in entries.items() if _text(v) != self._month]
        self._closed += [fingerprint for fingerprint, _ in stale]
        return [_resolved(fingerprint, f"month {month} ended") for fingerprint, month in stale]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _budget_alerts(
    table: CostTable, budget: Budget, today: int, memory: _Memory, forecast_fn: ForecastFn
) -> list[Incoming]:
    month = month_of(today)
    rows = in_scope(table, budget)
    spent = rows.between(month.first_day, today).total()
    share = 100 * spent / budget.monthly
    crossed = [t for t in THRESHOLDS if share >= t]
    top = crossed[-1] if crossed else None
    out: list[Incoming] = []
    if top is not None and memory.new(_print(budget, month.label, str(top))):
        out.append(_spent(budget, month.label, top, spent, share, today))
        for lower in crossed[:-1]:  # the higher alert says it all: a lower one is closed, or never raised
            fingerprint = _print(budget, month.label, str(lower))
            if memory.new(fingerprint):
                memory.passed(fingerprint)
            else:
                out.append(_resolved(fingerprint, f"{budget.label} passed {top}%"))
                memory.closed(fingerprint)
    forecast_print = _print(budget, month.label, "forecast")
    if top == 100 or not memory.new(forecast_print) or not len(rows):
        return out  # spent is over already: the forecast has nothing to add
    first = max(today - HISTORY_DAYS, int(rows.day.min()))
    if first >= today:
        return out
    forecast = forecast_fn(rows.daily(first, today - 1), first, today)
    if forecast.total > budget.monthly:
        out.append(_forecast_over(budget, month.label, forecast))
    return out


def _print(budget: Budget, month: str, what: str) -> str:
    return f"budget:{budget.scope}:{month}:{what}"


def _anomaly_print(anomaly: Anomaly) -> str:
    return f"anomaly:{day_of(anomaly.day).isoformat()}"


def _labels(budget: Budget, month: str, kind: str) -> dict[str, str]:
    return {"source": SOURCE, "kind": kind, "budget": budget.scope, "month": month}


def _provider(budget: Budget) -> Cloud | None:
    return Cloud(budget.scope) if budget.scope in PROVIDERS else None


def _environment(budget: Budget) -> str | None:
    column = budget.column
    return column[1] if column is not None and column[0] == "environment" else None


def _spent(budget: Budget, month: str, threshold: int, spent: float, share: float, today: int) -> Incoming:
    return Incoming(
        source=SOURCE, fingerprint=_print(budget, month, str(threshold)),
        severity=Severity.CRITICAL if threshold >= 100 else Severity.WARNING,
        summary=f"Budget {budget.label}: {usd(spent)} of {usd(budget.monthly)} spent ({share:.0f}%)",
        description=f"{share:.0f}% of the {month} budget spent by {day_of(today):%d %b}, past the {threshold}% mark.",
        labels={**_labels(budget, month, "budget"), "threshold": str(threshold)}, provider=_provider(budget),
        environment=_environment(budget),
    )  # fmt: skip


def _forecast_over(budget: Budget, month: str, forecast: Forecast) -> Incoming:
    share = 100 * forecast.total / budget.monthly
    return Incoming(
        source=SOURCE, fingerprint=_print(budget, month, "forecast"), severity=Severity.CRITICAL,
        summary=f"Budget {budget.label}: heading to {usd(forecast.total)} of {usd(budget.monthly)} ({share:.0f}%)",
        description=(
            f"Forecast {usd(forecast.total)} for {month} ({forecast.level:.0%} range {usd(forecast.low)}-"
            f"{usd(forecast.high)}), over by {usd(forecast.total - budget.monthly)}; {usd(forecast.spent)} spent "
            f"so far. {forecast.method}."
        ),
        labels={**_labels(budget, month, "forecast"), "threshold": "forecast"}, provider=_provider(budget),
        environment=_environment(budget),
    )  # fmt: skip


def _anomaly(table: CostTable, found: Sequence[Anomaly]) -> Incoming:
    """One card for a day's anomalies: the biggest leads, explained; the others (often the same spend seen by
    another column: the service's jump is its account's too) follow in a line."""
    lead, others = found[0], found[1:]
    day = day_of(lead.day)
    times = f"{lead.ratio:.1f}x its usual {usd(lead.usual)}" if lead.ratio else "new spend"
    summary = f"Cost jump: {lead.label or 'untagged'} {usd(lead.amount)} on {day:%a %d %b}, {times}"
    also = [f"{a.dimension} {a.label or 'untagged'} +{usd(a.delta)}" for a in others[:4]]
    description = explanation(table, lead) + (f"\nAlso: {', '.join(also)}." if also else "")
    return Incoming(
        source=SOURCE, fingerprint=_anomaly_print(lead), severity=Severity.WARNING, summary=summary,
        description=description,
        labels={"source": SOURCE, "kind": "anomaly", lead.dimension: lead.label or "untagged", "day": day.isoformat()},
    )  # fmt: skip


def explanation(table: CostTable, anomaly: Anomaly) -> str:
    """One line: how much above the usual, and the resources inside the label that moved most."""
    jump = explain_day(table, anomaly.day, where={anomaly.dimension: anomaly.label})
    movers = [m for m in jump.movers if m.dimension == "resource" and m.delta > 0][:3]
    parts = [f"+{usd(anomaly.delta)} against the same weekday's usual {usd(anomaly.usual)}"]
    if movers:
        parts.append("mostly " + ", ".join(f"{m.label or 'untagged'} +{usd(m.delta)}" for m in movers))
    return "; ".join(parts) + "."


def _resolved(fingerprint: str, why: str) -> Incoming:
    return Incoming(source=SOURCE, fingerprint=fingerprint, status="resolved", summary=why or "resolved")


def usd(amount: float) -> str:
    """$950, $12.3k, $500k, $1.24M: a phone's width."""
    sign, value = ("-" if amount < 0 else ""), abs(amount)
    if value >= 1e6:
        return f"{sign}${_trim(f'{value / 1e6:.2f}')}M"
    if value >= 1e4:
        return f"{sign}${_trim(f'{value / 1e3:.1f}')}k"
    return f"{sign}${value:,.0f}"


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number
