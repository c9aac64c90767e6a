"""A `Chart` (core.models) drawn as a PNG for a phone screen: 900x560 px, large type, few ticks, UTC time. A line
chart (metrics over time; a cost history with its forecast's interval shaded under the lines) or a bar chart
(where the money goes: horizontal bars, biggest at the top, each labelled with its value at its end).

Each channel shows the picture its own way (Slack: a file in the thread; Telegram: a photo replying to the text;
the console: a file). Drawn with matplotlib's object API - a `Figure` on its own Agg canvas - never pyplot, whose
global state is not thread-safe: the Deliverer renders on worker threads. matplotlib is imported only when a chart
is drawn, so a shell that never draws one never loads it. The same chart always gives the same bytes."""

from __future__ import annotations

import io
import itertools
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.models import Chart, ChartSeries
from core.untrusted import for_chat

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_PX, HEIGHT_PX, DPI = 900, 560, 100
# Where the plot sits in the picture, as fractions (left, bottom, width, height): fixed rather than fitted, so
# every chart has the same frame (and a test can tell at which row a value is drawn). The right margin keeps
# room for the latest value's label.
PLOT_AREA = (0.11, 0.16, 0.73, 0.72)
# A bar chart's frame: room on the left for the bars' names, on the right for the values at the bars' ends.
BAR_AREA = (0.32, 0.04, 0.58, 0.81)
TITLE_PT, LABEL_PT, TICK_PT, NOTE_PT = 22, 16, 14, 13  # at 100 dpi a point is 1.39 px: title ~31 px, labels ~22 px
THRESHOLD_COLOUR = "#e00000"  # no series uses red: a red line is always the alert line
MARK_COLOUR = "#7b3294"
# Okabe-Ito's colour-blind-safe palette without its red-like vermilion.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#56b4e9", "#cc79a7", "#f0e442", "#000000")
# Money charts use two of them only: the two whose contrast is at least 3:1 both on the picture's white and on a
# chat app's dark theme around it (blue 5.2 and 3.1, bluish green 3.4 and 4.8; orange and sky blue fall to 2.3 on
# white). A third series repeats them dashed.
MONEY_PALETTE = (PALETTE[0], PALETTE[2])
BAND_COLOUR = "#bfdcec"  # the first series' blue at a quarter over white: opaque, the lines and grid read on it
OTHERS_COLOUR = "#767676"  # the summed rest of a bar chart: grey, not one of the things named (4.5:1 on white)
VALUE_COLOUR = "#222222"
MAX_BARS = 12  # the 11 biggest and the rest summed: more bars would be too thin to read on a phone
BAR_LABEL_CHARS = 24  # what fits left of the bars at TICK_PT
TITLE_CHARS = 56  # about what fits across 900 px at TITLE_PT
# Tick spacings for the time axis (seconds): the first that gives at most MAX_TICKS ticks over the range.
TICK_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000)
MAX_TICKS = 6
DATES_FROM_SECONDS = 2 * 86400  # longer ranges are labelled with dates, not times of day
GAP_STEPS = 3  # a hole of more than this many usual steps breaks the line instead of bridging it


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes. A chart without points is a picture that says "no data"."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)  # the figure's own canvas: nothing shared between threads, as pyplot's would be
    axes = figure.add_axes(PLOT_AREA)
    figure.suptitle(_plain(_clip(chart.title, TITLE_CHARS)), fontsize=TITLE_PT, fontweight="bold", y=0.965)
    drawn = [s for s in chart.series if _finite(s.points)]
    band = _band_points(chart)
    bars = _ranked_bars(chart) if chart.kind == "bar" else []
    if bars:
        axes.set_position(BAR_AREA)
        _draw_bars(axes, chart, bars)
    elif chart.kind == "line" and (drawn or band):
        _draw(axes, chart, drawn, band)
    else:
        axes.set_axis_off()
        figure.text(0.5, 0.5, "no data", ha="center", va="center", fontsize=28, color="#666666")
    out = io.BytesIO()
    # No metadata: matplotlib would write its version, and nothing in the picture may vary between runs.
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _draw(axes: Axes, chart: Chart, drawn: Sequence[ChartSeries], band: Sequence[tuple[float, float, float]]) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    times = [t for s in drawn for t, v in s.points if math.isfinite(v)] + [t for t, _, _ in band]
    start, end = min(times), max(times)
    if end - start < 60:  # one point, or a few in a minute: a short window around them
        start, end = start - 300, end + 300
    if band and chart.band is not None:  # under the lines and the grid, and named in the legend
        axes.fill_between([t for t, _, _ in band], [low for _, low, _ in band], [high for _, _, high in band],
                          color=BAND_COLOUR, linewidth=0, zorder=0.5, label=_plain(chart.band.label))  # fmt: skip
    palette = MONEY_PALETTE if _money(chart.unit) else PALETTE
    for number, series in enumerate(drawn):
        xs, ys = _with_gaps(series.points)
        style = "--" if palette is MONEY_PALETTE and number >= len(palette) else "-"
        axes.plot(xs, ys, color=palette[number % len(palette)], linestyle=style, linewidth=2.5 if number == 0 else 2.0,
                  label=_plain(series.label))  # fmt: skip
    values = [v for s in drawn for _, v in s.points if math.isfinite(v)] + [v for _, *bounds in band for v in bounds]
    _scale_values(axes, chart, values)
    axes.set_xlim(start, end)
    span = end - start
    axes.xaxis.set_major_locator(FixedLocator(_time_ticks(start, end)))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _time_label(x, span)))
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: _plain(_money_number(y, chart.unit))))
    axes.tick_params(labelsize=TICK_PT)
    axes.set_xlabel("Date (UTC)" if span > DATES_FROM_SECONDS else "Time (UTC)", fontsize=LABEL_PT)
    axes.set_ylabel("" if _money(chart.unit) else _plain(chart.unit), fontsize=LABEL_PT)  # "$" is on every tick
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    if chart.threshold is not None and math.isfinite(chart.threshold):
        axes.axhline(chart.threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2)
        # At the right end: the legend sits at the upper left and would hide it there.
        axes.text(end - span * 0.01, chart.threshold, _threshold_label(chart), color=THRESHOLD_COLOUR,
                  fontsize=NOTE_PT, va="bottom", ha="right")  # fmt: skip
    for mark in chart.marks:
        if start <= mark.at <= end:  # a mark outside the range would stretch it for one line
            axes.axvline(mark.at, color=MARK_COLOUR, linestyle=":", linewidth=2)
            axes.text(mark.at, 0.02, _plain(mark.label), transform=axes.get_xaxis_transform(), rotation=90,
                      color=MARK_COLOUR, fontsize=NOTE_PT - 1, va="bottom", ha="right", zorder=6,
                      bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})  # fmt: skip
    if drawn:
        _label_latest(axes, chart, drawn[0], palette[0])
    if len(drawn) + bool(band) > 1:
        axes.legend(loc="upper left", fontsize=NOTE_PT - 1, ncols=min(len(drawn) + bool(band), 3), framealpha=0.85)


def _draw_bars(axes: Axes, chart: Chart, bars: Sequence[tuple[str, float, bool]]) -> None:
    """Horizontal bars from the top down, as ranked; the value at each bar's end; no value axis (the labels say
    it). A threshold (a budget) is a dashed vertical line across them."""
    values = [value for _, value, _ in bars]
    rows = range(len(bars))
    colours = [OTHERS_COLOUR if others else MONEY_PALETTE[0] for _, _, others in bars]
    axes.barh(rows, values, height=0.7, color=colours, zorder=2)
    axes.set_yticks(rows, [_plain(_clip(label, BAR_LABEL_CHARS)) for label, _, _ in bars], fontsize=TICK_PT)
    axes.set_ylim(len(bars) - 0.5, -0.5)  # the first (the biggest) at the top
    limits = [0.0, *values]
    if chart.threshold is not None and math.isfinite(chart.threshold):
        limits.append(chart.threshold)
    low, high = min(limits), max(limits)
    room = (high - low or 1.0) * 0.22  # for the value labels beyond the bars' ends
    axes.set_xlim(low - room if low < 0 else 0.0, high + room)
    for row, value in enumerate(values):
        axes.annotate(
            _plain(_amount(value, chart.unit)),
            (value, row),
            xytext=(6 if value >= 0 else -6, 0),
            textcoords="offset points",
            fontsize=TICK_PT,
            fontweight="bold",
            color=VALUE_COLOUR,
            va="center",
            ha="left" if value >= 0 else "right",
            annotation_clip=False,
            zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )  # a budget line passes behind it
    axes.xaxis.set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.spines[["top", "right", "bottom"]].set_visible(False)
    if low < 0:
        axes.axvline(0, color="#444444", linewidth=1, zorder=3)
    if chart.threshold is not None and math.isfinite(chart.threshold):
        axes.axvline(chart.threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=2, zorder=4)
        axes.text(chart.threshold, -0.5, _threshold_label(chart), color=THRESHOLD_COLOUR, fontsize=NOTE_PT,
                  va="bottom", ha="center")  # fmt: skip


def _ranked_bars(chart: Chart) -> list[tuple[str, float, bool]]:
    """(label, value, is the rest summed) from the biggest down: at most MAX_BARS, the last one "N others" when
    there are more (at the bottom whatever its size: it is not one thing to cut). Equal values keep their order."""
    ranked = sorted((bar for bar in chart.bars if math.isfinite(bar.value)), key=lambda bar: -bar.value)
    if len(ranked) <= MAX_BARS:
        return [(bar.label, bar.value, False) for bar in ranked]
    rest = ranked[MAX_BARS - 1 :]
    kept = [(bar.label, bar.value, False) for bar in ranked[: MAX_BARS - 1]]
    return [*kept, (f"{len(rest)} others", math.fsum(bar.value for bar in rest), True)]


def _band_points(chart: Chart) -> list[tuple[float, float, float]]:
    if chart.band is None:
        return []
    return [(t, min(a, b), max(a, b)) for t, a, b in chart.band.points if all(map(math.isfinite, (t, a, b)))]


def _threshold_label(chart: Chart) -> str:
    assert chart.threshold is not None
    return _plain(chart.threshold_label or f"alert {_amount(chart.threshold, chart.unit)}")


def _scale_values(axes: Axes, chart: Chart, values: list[float]) -> None:
    """A percentage starts at 0 and, while everything fits, ends at 100: every % chart reads the same way."""
    top, bottom = max(values), min(values)
    if chart.threshold is not None and math.isfinite(chart.threshold):
        top, bottom = max(top, chart.threshold), min(bottom, chart.threshold)
    if chart.unit == "%" and bottom >= 0:
        axes.set_ylim(0, 100 if top <= 100 else top * 1.08)
        return
    pad = (top - bottom) * 0.08 or abs(top) * 0.1 or 1.0
    axes.set_ylim(0 if bottom >= 0 and bottom - pad < 0 else bottom - pad, top + pad)


def _label_latest(axes: Axes, chart: Chart, series: ChartSeries, colour: str) -> None:
    at, value = next((t, v) for t, v in reversed(series.points) if math.isfinite(v))
    axes.plot([at], [value], marker="o", markersize=7, color=colour, clip_on=False)
    axes.annotate(_plain(_amount(value, chart.unit)), (at, value), xytext=(8, 0), textcoords="offset points",
                  fontsize=LABEL_PT, fontweight="bold", color=colour, va="center", ha="left",
                  annotation_clip=False)  # fmt: skip


def _with_gaps(points: Sequence[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """The points, with a NaN where a hole is much longer than the usual step: a line does not bridge missing data."""
    steps = sorted(b[0] - a[0] for a, b in itertools.pairwise(points))
    usual = steps[len(steps) // 2] if steps else 0.0
    xs: list[float] = []
    ys: list[float] = []
    for index, (at, value) in enumerate(points):
        if index and usual > 0 and at - points[index - 1][0] > usual * GAP_STEPS:
            xs.append((at + points[index - 1][0]) / 2)
            ys.append(math.nan)
        xs.append(at)
        ys.append(value)
    return xs, ys


def _time_ticks(start: float, end: float) -> list[float]:
    span = end - start
    shortest = 86400 if span > DATES_FROM_SECONDS else 0  # a date axis has one tick a day at most
    step = next((s for s in TICK_STEPS if s >= shortest and span / s <= MAX_TICKS), TICK_STEPS[-1])
    first = math.ceil(start / step) * step
    return [float(t) for t in range(int(first), int(end) + 1, step)]


def _time_label(at: float, span: float) -> str:
    return time.strftime("%d %b" if span > DATES_FROM_SECONDS else "%H:%M", time.gmtime(at))


def _amount(value: float, unit: str) -> str:
    """ "42%", "120 ms", "3.5/s"; money with its sign in front: "$12.3k", "-$40", "$1.2k/day"."""
    if _money(unit):
        return _money_number(value, unit) + unit[1:]
    number = _number(value)
    return f"{number}{unit}" if unit in ("%", "") or unit.startswith("/") else f"{number} {unit}"


def _money(unit: str) -> bool:
    return unit.startswith("$")


def _money_number(value: float, unit: str) -> str:
    """A number, with "$" in front when the unit is money (an axis tick: "$2k")."""
    if not _money(unit):
        return _number(value)
    return f"-${_number(-value)}" if value < 0 else f"${_number(value)}"


def _number(value: float) -> str:
    """Short: 0.25, 7.5, 42, 1.2k, 3.4M."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    if size >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.3g}" if size >= 1 else f"{value:.2g}"


def _finite(points: Sequence[tuple[float, float]]) -> bool:
    return any(math.isfinite(t) and math.isfinite(v) for t, v in points)


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "\u2026"


def _plain(text: str) -> str:
    # As in every chat text, no control, bidi or invisible character from outside (core.untrusted); and
    # matplotlib reads "$...$" as mathematics: a name or label with dollars must show as typed.
    return for_chat(text).replace("$", r"\$")
