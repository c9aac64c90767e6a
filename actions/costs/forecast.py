"""Where this month's spend is heading: the month-end total with an interval, from a daily series.

The model is Holt-Winters exponential smoothing (statsmodels `ExponentialSmoothing`: additive damped trend, additive
weekly season), fitted on up to the last 90 whole days. Spend has a weekly shape and drifts; a run rate (the
month-to-date mean times the days of the month) ignores both, so it is wrong early in a month that started on a
weekend and late in a month whose spend is climbing. The model is fitted on the history without its outliers (a
day far from the same weekday's median), so a one-day spike does not lift every day ahead; the interval comes from
simulated futures of the fitted model whose daily errors are drawn from the real history's residuals, spikes
included (each a path of daily spend, summed over the days left), so it widens with the days left and allows for
the spikes a month usually has. bench/cost.py measures both against the run rate on the simulated world.
With fewer than 14 days of history there is nothing to fit a weekly season on: the run rate is used instead, with
an interval from the daily spread that widens with the days left, and `method` says so.

Days are day numbers (actions.costs.model). `daily[i]` is what was paid on day `first_day + i`; only days before
`today` are used (today's bill is still growing). statsmodels (and with it pandas and scipy) is imported on the
first fit, never when this module is imported."""

from __future__ import annotations

import calendar
import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from actions.costs.model import Amounts, day_number, day_of

HISTORY_DAYS = 90
MIN_FIT_DAYS = 14  # two weekly seasons: the least a weekly model can be fitted on
SEASON = 7
PATHS = 1000  # simulated futures per forecast
SEED = 20261201  # the same series always gives the same interval
MODEL = "Holt-Winters (damped trend, weekly season)"
OUTLIER_WEEKS, OUTLIER_SHARE, OUTLIER_SPREADS = 4, 0.2, 5.0  # see _without_outliers


@dataclass(frozen=True)
class Forecast:
    month_first_day: int
    month_last_day: int
    spent: float  # paid so far this month (the whole days known)
    known_days: int  # days of this month whose spend is known
    total: float  # projected month total (spent + expected rest)
    low: float  # the interval of the month total at `level`
    high: float
    level: float
    method: str  # MODEL, or the run rate and why
    # Cumulative month-to-date spend (day, expected, low, high) for each day still to come: a chart's band.
    path: tuple[tuple[int, float, float, float], ...] = ()


def month_bounds(today: int) -> tuple[int, int]:
    at = day_of(today)
    first = at.replace(day=1)
    return day_number(first), day_number(at.replace(day=calendar.monthrange(at.year, at.month)[1]))


def _known(daily: Amounts, first_day: int, today: int) -> Amounts:
    known: Amounts = np.asarray(daily, dtype=np.float64)[: max(0, today - first_day)]
    return known


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"interval level must be between 0 and 1, not {level}")
    return NormalDist().inv_cdf((1 + level) / 2)


def run_rate(daily: Amounts, first_day: int, today: int, *, level: float = 0.8) -> Forecast:
    """The naive projection: this month's mean day so far times the days of the month (before any day of the
    month is known, the mean of the last 7 days). Its interval widens with the days left: the spread of a day's
    spend over each day left, plus the uncertainty of the mean itself over all of them."""
    z = _z(level)
    known = _known(daily, first_day, today)
    month_first, month_last = month_bounds(today)
    last_known = first_day + len(known) - 1
    in_month = known[max(0, month_first - first_day) :]
    recent = in_month if len(in_month) else known[-7:]
    mean = float(recent.mean()) if len(recent) else 0.0
    spread = float(recent.std(ddof=1)) if len(recent) >= 2 else 0.25 * abs(mean)
    spent = float(in_month.sum())
    left = month_last - max(last_known, month_first - 1)
    total = spent + mean * left
    half = z * (spread * left**0.5 + left * spread / max(1, len(recent)) ** 0.5)
    steps = np.arange(1, left + 1)
    widths = z * (spread * steps**0.5 + steps * spread / max(1, len(recent)) ** 0.5)
    path = tuple(
        (
            month_last - left + int(k),
            spent + mean * int(k),
            spent + mean * int(k) - float(w),
            spent + mean * int(k) + float(w),
        )
        for k, w in zip(steps, widths, strict=True)
    )
    why = "run rate" if len(known) >= MIN_FIT_DAYS else f"run rate (only {len(known)} days of history)"
    return Forecast(month_first, month_last, spent, len(in_month), total, total - half, total + half, level, why, path)


def month_end(daily: Amounts, first_day: int, today: int, *, level: float = 0.8) -> Forecast:
    """This month's projected total with its interval at `level` (see the module's docstring)."""
    _z(level)
    known = _known(daily, first_day, today)
    if len(known) < MIN_FIT_DAYS:
        return run_rate(daily, first_day, today, level=level)
    month_first, month_last = month_bounds(today)
    last_known = first_day + len(known) - 1
    spent = float(known[max(0, month_first - first_day) :].sum())
    days_known = max(0, last_known - month_first + 1)
    ahead = month_last - last_known  # days to forecast, some perhaps before the month (a source that lags)
    if ahead <= 0:
        return Forecast(month_first, month_last, spent, days_known, spent, spent, spent, level, MODEL)
    point, futures = _fit(known[-HISTORY_DAYS:], ahead)
    skip = max(0, ahead - (month_last - month_first + 1))  # forecast days before this month are not counted
    expected = spent + np.cumsum(point[skip:])
    tail = (1 - level) / 2
    lows, highs = np.quantile(spent + np.cumsum(futures[skip:], axis=0), [tail, 1 - tail], axis=1)
    first_counted = month_last - len(expected) + 1
    path = tuple((first_counted + k, float(expected[k]), float(lows[k]), float(highs[k])) for k in range(len(expected)))
    total, low, high = float(expected[-1]), float(lows[-1]), float(highs[-1])
    return Forecast(month_first, month_last, spent, days_known, total, low, high, level, MODEL, path)


def _fit(history: Amounts, ahead: int) -> tuple[Amounts, Amounts]:
    """The model fitted on `history` without its outliers: its forecast of the next `ahead` days, and PATHS
    simulated futures of them (shape ahead x PATHS) whose day-to-day errors are drawn from the history's own
    residuals, outliers included."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing  # type: ignore[import-untyped]

    if float(np.ptp(history)) == 0.0:  # a flat series (nothing spent, or a fixed fee): its future is itself
        point: Amounts = np.full(ahead, float(history[-1]))
        return point, np.repeat(point[:, None], PATHS, axis=1)
    with warnings.catch_warnings():
        # The optimiser says when it stops at its iteration limit: the fit is still usable, and the backtest
        # is what judges it.
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            _without_outliers(history), trend="add", damped_trend=True, seasonal="add", seasonal_periods=SEASON,
            initialization_method="heuristic",
        )  # fmt: skip
        # TNC rather than the default L-BFGS-B, whose Fortran calls threaded BLAS: on a busy 2-core machine those
        # threads spun, and six fits took 0.9 s instead of 0.1 s. Same fits, same backtest.
        fitted = model.fit(use_brute=False, method="TNC")
        rng = np.random.default_rng(SEED)
        errors = rng.choice(history - np.asarray(fitted.fittedvalues), size=(ahead, PATHS))
        simulated = fitted.simulate(ahead, repetitions=PATHS, anchor="end", error="add", random_errors=errors)
        point = np.asarray(fitted.forecast(ahead), dtype=np.float64)
    futures: Amounts = np.asarray(simulated, dtype=np.float64).reshape(ahead, PATHS)
    return point, futures


def _without_outliers(history: Amounts) -> Amounts:
    """The history with each day far from its usual replaced by that usual: the median of the same weekday up to
    OUTLIER_WEEKS weeks either side. Far is more than OUTLIER_SHARE off and more than OUTLIER_SPREADS robust
    spreads of all days' deviations. A one-day spike (a runaway job, a monthly credit) would otherwise lift the
    level and the trend of every day ahead; a real change of level soon has neighbours at the new level."""
    n = len(history)
    padded = np.full(n + 2 * 7 * OUTLIER_WEEKS, np.nan)
    padded[7 * OUTLIER_WEEKS : 7 * OUTLIER_WEEKS + n] = history
    offsets = [7 * k for k in range(-OUTLIER_WEEKS, OUTLIER_WEEKS + 1) if k]
    usual = np.nanmedian(np.stack([padded[7 * OUTLIER_WEEKS + k : 7 * OUTLIER_WEEKS + k + n] for k in offsets]), axis=0)
    judged = np.isfinite(usual) & (usual > 0)
    if not judged.any():
        return history
    deviation = np.zeros(n)
    deviation[judged] = history[judged] / usual[judged] - 1
    spread = 1.4826 * float(np.median(np.abs(deviation[judged])))
    far = judged & (np.abs(deviation) > max(OUTLIER_SHARE, OUTLIER_SPREADS * spread))
    cleaned: Amounts = np.where(far, usual, history)
    return cleaned


@dataclass(frozen=True)
class MonthScore:
    month: str  # "2026-10"
    actual: float
    forecasts: int
    mape: float  # ours, percent
    mape_run_rate: float
    coverage: float  # share of our intervals that held the actual total, 0..1


@dataclass(frozen=True)
class Backtest:
    level: float  # the intervals' nominal coverage
    months: tuple[MonthScore, ...]
    forecasts: int
    mape: float  # ours, percent, over every forecast of every month
    mape_run_rate: float
    coverage: float

    @property
    def improvement(self) -> float:
        """How much lower our MAPE is than the run rate's (0.3: 30% lower; negative: worse)."""
        return 1 - self.mape / self.mape_run_rate if self.mape_run_rate > 0 else 0.0


def backtest(
    daily: Amounts, first_day: int, *, months: int | None = None, origins: range = range(1, 29), level: float = 0.8
) -> Backtest:
    """Rolling origin over the last `months` whole months of the series (all of them when None): each month's
    total forecast from each day of `origins` (day 1 .. 28 of the month) with only the days before it, by
    month_end and by run_rate. Early months with under MIN_FIT_DAYS days before an origin use the run rate for
    both, as month_end does."""
    series = np.asarray(daily, dtype=np.float64)
    end = first_day + len(series)  # the first day not in the series
    whole: list[tuple[int, int]] = []
    month_first, month_last = month_bounds(first_day)
    while month_last < end:
        if month_first >= first_day:
            whole.append((month_first, month_last))
        month_first, month_last = month_bounds(month_last + 1)
    scores: list[MonthScore] = []
    ours: list[float] = []
    naive: list[float] = []
    held: list[bool] = []
    for first, last in whole[-months:] if months else whole:
        actual = float(series[first - first_day : last - first_day + 1].sum())
        if actual <= 0:  # a month with nothing spent has no percentage error to score
            continue
        start = len(ours)
        for day in origins:
            prefix = series[: first + day - 1 - first_day]
            forecast = month_end(prefix, first_day, first + day - 1, level=level)
            ours.append(abs(forecast.total - actual) / abs(actual) * 100)
            naive.append(abs(run_rate(prefix, first_day, first + day - 1).total - actual) / abs(actual) * 100)
            held.append(forecast.low <= actual <= forecast.high)
        scores.append(
            MonthScore(
                day_of(first).strftime("%Y-%m"),
                actual,
                len(ours) - start,
                float(np.mean(ours[start:])),
                float(np.mean(naive[start:])),
                float(np.mean(held[start:])),
            )
        )
    if not scores:
        raise ValueError("the series holds no whole month to backtest on")
    return Backtest(level, tuple(scores), len(ours), float(np.mean(ours)), float(np.mean(naive)), float(np.mean(held)))
