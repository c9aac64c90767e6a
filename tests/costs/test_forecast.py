"""The month-end forecast: a series with a known weekly shape ends its month inside the interval, the backtest
beats the run rate on a seasonal series, and under 14 days of history the run rate stands in and says so."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from actions.costs.forecast import MODEL, backtest, month_end, run_rate
from actions.costs.model import Amounts, day_number

FIRST = day_number(date(2026, 8, 3))  # a Monday


def weekly(days: int, *, seed: int = 7, climb: float = 0.002, noise: float = 0.04) -> Amounts:
    """$1,000 on weekdays and $600 at weekends, climbing 0.2% a day, with 4% noise."""
    rng = np.random.default_rng(seed)
    shape = np.where(np.arange(days) % 7 >= 5, 600.0, 1000.0)
    series: Amounts = shape * (1 + climb) ** np.arange(days) * (1 + rng.normal(0, noise, days))
    return series


def test_month_end_of_a_weekly_series_holds_the_actual_total() -> None:
    today = day_number(date(2026, 11, 10))
    series = weekly(today - FIRST + 30)  # the whole of November is known to the test, not to the forecast
    actual = float(series[day_number(date(2026, 11, 1)) - FIRST : day_number(date(2026, 11, 30)) - FIRST + 1].sum())
    forecast = month_end(series, FIRST, today)
    assert forecast.method == MODEL
    assert forecast.known_days == 9
    assert forecast.spent == pytest.approx(series[today - 9 - FIRST : today - FIRST].sum())
    assert forecast.low < actual < forecast.high
    assert forecast.low < forecast.total < forecast.high
    assert abs(forecast.total - actual) / actual < 0.03
    assert forecast.path[0][0] == today and forecast.path[-1][0] == day_number(date(2026, 11, 30))
    assert forecast.path[-1][1] == pytest.approx(forecast.total)
    widths = [high - low for _, _, low, high in forecast.path]
    assert widths == sorted(widths)  # the band widens towards the month's end
    assert month_end(series, FIRST, today) == forecast  # the same series always gives the same interval


def test_month_end_counts_days_a_lagging_source_has_not_reported() -> None:
    today = day_number(date(2026, 11, 10))
    series = weekly(today - FIRST)
    lagging = month_end(series[:-2], FIRST, today)  # the source has nothing for the 8th and 9th yet
    assert lagging.known_days == 7
    assert lagging.total == pytest.approx(month_end(series, FIRST, today).total, rel=0.03)


def test_run_rate_stands_in_under_14_days() -> None:
    today = day_number(date(2026, 11, 10))
    nine_days = np.full(9, 100.0)
    forecast = month_end(nine_days, today - 9, today)
    assert forecast.method == "run rate (only 9 days of history)"
    assert (forecast.spent, forecast.total) == (900, 3000)
    assert forecast.low <= forecast.total <= forecast.high
    noisy = np.array([80.0, 120.0] * 4 + [100.0])
    early, late = month_end(noisy[:3], today - 9, today - 6), month_end(noisy, today - 9, today)
    assert early.high - early.low > late.high - late.low  # fewer days known, more days left: a wider interval


def test_run_rate_before_any_day_of_the_month_uses_the_last_week() -> None:
    today = day_number(date(2026, 12, 1))
    series = np.concatenate([np.full(20, 50.0), np.full(7, 100.0)])
    assert run_rate(series, today - 27, today).total == pytest.approx(3100)


def test_a_flat_series_forecasts_itself() -> None:
    today = day_number(date(2026, 11, 16))
    forecast = month_end(np.full(60, 10.0), today - 60, today)
    assert (forecast.total, forecast.low, forecast.high) == (300, 300, 300)


def test_a_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        month_end(weekly(30), FIRST, FIRST + 30, level=80)


def test_backtest_beats_the_run_rate_on_a_seasonal_series() -> None:
    series = weekly(day_number(date(2026, 11, 1)) - FIRST)  # August 3 .. October 31
    result = backtest(series, FIRST, months=1, origins=range(1, 29, 3))
    (october,) = result.months
    assert (october.month, october.forecasts) == ("2026-10", 10)
    assert october.actual == pytest.approx(series[day_number(date(2026, 10, 1)) - FIRST :].sum())
    assert result.mape < 0.7 * result.mape_run_rate
    assert result.improvement > 0.3
    assert 0.5 <= result.coverage <= 1.0


def test_backtest_needs_a_whole_month() -> None:
    with pytest.raises(ValueError, match="no whole month"):
        backtest(weekly(20), FIRST, months=1)


def test_a_one_day_spike_is_not_a_new_level() -> None:
    """A runaway job triples yesterday's bill: the month's forecast carries that day's cost, not three times every
    day ahead (a fit on the raw history projected a month of $5M from a $500k one)."""
    today = day_number(date(2026, 11, 10))
    series = weekly(today - FIRST)
    spiked = series.copy()
    spiked[-1] *= 3
    calm, after = month_end(series, FIRST, today), month_end(spiked, FIRST, today)
    assert after.total == pytest.approx(calm.total + 2 * series[-1], rel=0.02)
