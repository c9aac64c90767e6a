"""Costs over the simulated world's 90-day history of 15,000 resources (about 1.3 million daily rows): the whole chat
analysis (breakdowns, top spenders, a comparison, why yesterday moved, anomalies), the month-end forecast of every
provider and budget scope, a forecast chart drawn as a picture, a detailed multi-cloud report (provider x service x
environment), the export of 1,000,000 rows as gzip CSV, and the forecast's backtest against the run rate over the
simulated world's last six whole months (every origin day 1..28 of each)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt

from actions.costs import analysis
from actions.costs.export import export_csv_gz
from actions.costs.forecast import Backtest, Forecast, backtest, month_end
from actions.costs.model import Amounts, CostTable, day_number
from actions.simulated import generate_inventory
from actions.simulated.costs import SimulatedCosts
from bench.figures import Figure
from core.models import Chart, ChartBand, ChartSeries

SEED, RESOURCES, DAYS = 4242, 15_000, 90
TODAY = day_number(date(2026, 12, 6))
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC).timestamp()
PROVIDERS = ("aws", "azure", "gcp")
# Every provider and the default policy's budget scopes (policies/default.yaml): all, prod, team:payments.
SCOPES: dict[str, dict[str, str]] = {
    "all": {}, **{p: {"provider": p} for p in PROVIDERS}, "prod": {"environment": "prod"},
    "team:payments": {"team": "payments"},
}  # fmt: skip
EXPORT_ROWS = 1_000_000
BACKTEST_MONTHS, BACKTEST_DAYS = 6, 220  # days of history read for it: six whole months and the weeks before them


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _questions(table: CostTable) -> list[object]:
    """What the chat asks of one history: a breakdown, a filtered one, the top spenders, this month against last,
    why yesterday moved, and yesterday's anomalies."""
    month = analysis.period_of("this_month", TODAY)
    return [
        analysis.breakdown(table, month, "service"),
        analysis.breakdown(table, month, "team", where={"environment": "prod", "provider": "aws"}),
        analysis.top_spenders(table, analysis.period_of("7d", TODAY)),
        analysis.compare(table, month, analysis.period_of("last_month", TODAY), "service"),
        analysis.explain_day(table, TODAY - 1),
        analysis.anomalies(table, TODAY),
    ]


def _report(table: CostTable) -> int:
    """The detailed multi-cloud report: each provider's services, and each service's environments."""
    month = analysis.period_of("last_month", TODAY)
    parts = 1
    for provider in analysis.breakdown(table, month, "provider").lines:
        services = analysis.breakdown(table, month, "service", where={"provider": provider.label}, limit=50)
        parts += 1
        for service in services.lines:
            where = {"provider": provider.label, "service": service.label}
            analysis.breakdown(table, month, "environment", where=where)
            parts += 1
    return parts


def _series(table: CostTable, first_day: int, last_day: int) -> dict[str, Amounts]:
    """Paid per day of each scope (a mask and one bincount each: no filtered copy of the table)."""
    paid, inside = table.paid(), (table.day >= first_day) & (table.day <= last_day)
    out: dict[str, Amounts] = {}
    for scope, where in SCOPES.items():
        rows = inside & _mask(table, where)
        days = np.bincount(table.day[rows] - first_day, weights=paid[rows], minlength=last_day - first_day + 1)
        out[scope] = days.astype(np.float64, copy=False)
    return out


def _mask(table: CostTable, where: dict[str, str]) -> npt.NDArray[np.bool_]:
    mask = np.ones(len(table), dtype=bool)
    for name, label in where.items():
        mask &= table.column(name).mask(label)
    return mask


def _chart(forecast: Forecast, daily: Amounts, first_day: int) -> Chart:
    known = daily[forecast.month_first_day - first_day : forecast.month_first_day - first_day + forecast.known_days]
    spent = np.cumsum(known)
    seconds = 86_400.0
    points = tuple(((forecast.month_first_day + i) * seconds, float(v)) for i, v in enumerate(spent))
    band = tuple((day * seconds, low, high) for day, _, low, high in forecast.path)
    expected = tuple((day * seconds, mid) for day, mid, _, _ in forecast.path)
    return Chart(
        title="All clouds, December so far and forecast", unit="$",
        series=(ChartSeries(label="spent", points=points), ChartSeries(label="forecast", points=expected)),
        band=ChartBand(label="80% interval", points=band), threshold=1_000_000.0, threshold_label="budget $1M",
    )  # fmt: skip


def _backtests(source: SimulatedCosts) -> dict[str, Backtest]:
    first = TODAY - BACKTEST_DAYS
    series = {scope: np.zeros(BACKTEST_DAYS) for scope in ("all", *PROVIDERS)}
    for start in range(first, TODAY, 60):  # a few months at a time: the rows of all of them would be 3 M
        last = min(start + 59, TODAY - 1)
        part = source.history(start, last)
        for scope in series:
            where = {} if scope == "all" else {"provider": scope}
            rows = part.where(_mask(part, where)) if where else part
            series[scope][start - first : last - first + 1] = rows.daily(start, last)
    return {scope: backtest(values, first, months=BACKTEST_MONTHS) for scope, values in series.items()}


def run() -> list[Figure]:
    from bot.charts import render_png

    inventory = generate_inventory(SEED, RESOURCES)
    source = SimulatedCosts(lambda: inventory, SEED, clock=lambda: NOW)
    start = time.perf_counter()
    table = source.history(TODAY - DAYS, TODAY - 1)
    built = time.perf_counter() - start
    figures = [Figure(f"cost: simulated history, {RESOURCES:,} resources x {DAYS} days", len(table) / 1e6, "M rows")]
    figures.append(Figure("cost: simulated history build", built * 1000, "ms"))
    _questions(table)  # warm-up
    figures.append(Figure("cost: full analysis (6 questions)", _best(lambda: _questions(table)) * 1000, "ms",
                          "<= 1000 ms"))  # fmt: skip
    first_day = TODAY - DAYS
    series_s = _best(lambda: _series(table, first_day, TODAY - 1))
    series = _series(table, first_day, TODAY - 1)
    month_end(series["all"], first_day, TODAY)  # warm-up: imports statsmodels, pandas and scipy
    fits: dict[str, Forecast] = {}

    def forecast_all() -> None:
        for scope, daily in series.items():
            fits[scope] = month_end(daily, first_day, TODAY)

    forecast_s = _best(forecast_all)
    figures.append(Figure(f"cost: daily series of {len(SCOPES)} scopes (providers, budgets)", series_s * 1000, "ms"))
    figures.append(Figure(f"cost: month-end forecast of all {len(SCOPES)} scopes", forecast_s * 1000, "ms",
                          "<= 300 ms"))  # fmt: skip
    chart = _chart(fits["all"], series["all"], first_day)
    render_png(chart)  # warm-up: imports matplotlib
    figures.append(Figure("cost: forecast chart render (band, budget)", _best(lambda: render_png(chart)) * 1000, "ms",
                          "<= 300 ms"))  # fmt: skip
    parts = _report(table)
    figures.append(Figure(f"cost: multi-cloud report ({parts} breakdowns)", _best(lambda: _report(table)) * 1000, "ms",
                          "<= 1000 ms"))  # fmt: skip
    rows_per_day = len(table) // DAYS
    days = -(-EXPORT_ROWS // rows_per_day)
    exported = table.between(TODAY - days, TODAY - 1)
    exported = exported.where(np.arange(len(exported)) < EXPORT_ROWS)
    period = analysis.Period(TODAY - days, TODAY - 1, f"last {days} days")
    start = time.perf_counter()
    data = export_csv_gz(exported, period)
    figures.append(Figure(f"cost: export {len(exported):,} rows as gzip CSV", time.perf_counter() - start, "s",
                          "<= 3 s"))  # fmt: skip
    figures.append(Figure("cost: export size", len(data) / 1e6, "MB"))
    for scope, result in _backtests(source).items():
        for month in result.months:
            print(
                f"   backtest {scope:<5} {month.month}: MAPE ours {month.mape:5.2f}%  run rate "
                f"{month.mape_run_rate:5.2f}%  coverage {month.coverage:4.0%}  ({month.forecasts} forecasts)"
            )
        figures.append(Figure(f"cost: backtest {scope}: MAPE ours", result.mape, "%"))
        figures.append(Figure(f"cost: backtest {scope}: MAPE run rate", result.mape_run_rate, "%"))
        figures.append(Figure(f"cost: backtest {scope}: MAPE lower than run rate by", result.improvement * 100, "%",
                              ">= 30 %"))  # fmt: skip
        figures.append(Figure(f"cost: backtest {scope}: {result.level:.0%} interval coverage", result.coverage * 100,
                              "%", f"{result.level * 100 - 10:.0f}-{result.level * 100 + 10:.0f} %"))  # fmt: skip
    figures.append(Figure("cost: load average during the run", os.getloadavg()[0], f"(on {os.cpu_count()} CPUs)"))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
