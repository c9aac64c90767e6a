"""Cost charts as a phone shows them, read back from the PNG's pixels: where the money goes (horizontal bars, the
biggest at the top, each as long as its value, the rest summed), where it is heading (the forecast's interval shaded
under the lines, named in the legend), the budget line with its own label, colours that read on a white picture
and on a chat app's dark theme around it, and the same bytes for the same chart."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.charts import (
    BAND_COLOUR,
    BAR_AREA,
    HEIGHT_PX,
    MAX_BARS,
    MONEY_PALETTE,
    NOTE_PT,
    OTHERS_COLOUR,
    PALETTE,
    PLOT_AREA,
    THRESHOLD_COLOUR,
    VALUE_COLOUR,
    WIDTH_PX,
    render_png,
)
from core.models import Chart, ChartBand, ChartBar, ChartSeries

DAY = 86_400.0
END = 1_765_000_000.0  # 2025-12-06
# The themes a picture sits in: the picture itself, Slack's and Telegram's dark backgrounds.
BACKGROUNDS = {"white": "#ffffff", "Slack dark": "#1a1d21", "Telegram dark": "#17212b"}
SPEND = {"EC2": 12_300.0, "RDS": 8_200.0, "S3": 3_100.0, "payments": 2_500.0, "CloudFront": 900.0, "Lambda": 450.0}


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def pixels(png: bytes) -> np.ndarray:
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG" and picture.size == (WIDTH_PX, HEIGHT_PX)
    return np.asarray(picture.convert("RGB"), dtype=np.int16)


def coloured(image: np.ndarray, colour: str, tolerance: int = 12) -> np.ndarray:
    """A mask of the pixels drawn in `colour` (anti-aliased edges aside)."""
    return np.asarray((np.abs(image - np.array(rgb(colour), dtype=np.int16)) <= tolerance).all(axis=2))


def runs(indexes: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive numbers grouped: [3, 4, 5, 9, 10] -> [(3, 5), (9, 10)]."""
    found: list[tuple[int, int]] = []
    for index in indexes.tolist():
        if found and index == found[-1][1] + 1:
            found[-1] = (found[-1][0], index)
        else:
            found.append((index, index))
    return found


def bars_drawn(image: np.ndarray) -> list[tuple[int, int, int, str]]:
    """(top row, bottom row, length in px, colour) of each bar, from the top of the picture down: runs of rows in
    which a bar's colour starts at the bars' axis (text never touches it)."""
    left, top = round(BAR_AREA[0] * WIDTH_PX), round(HEIGHT_PX * (1 - BAR_AREA[1] - BAR_AREA[3]))
    found = []
    for colour in (MONEY_PALETTE[0], OTHERS_COLOUR):
        mask = coloured(image, colour)[:, left + 1 :]
        rows = np.nonzero(mask[:, 0])[0]
        for first, last in runs(rows[rows >= top]):
            drawn = runs(np.nonzero(mask[(first + last) // 2])[0])
            end = drawn[0][1]
            for start, stop in drawn[1:]:
                if start - end > 4:  # a value's letters, not the bar past a budget's dashed line
                    break
                end = stop
            found.append((first, last, end + 2, colour))
    return sorted(found)


def bar_chart(spend: dict[str, float], **extra: object) -> Chart:
    bars = tuple(ChartBar(label=name, value=value) for name, value in spend.items())
    return Chart(title="Where the money went in Nov: $27.5k", unit="$", series=(), kind="bar", bars=bars, **extra)


def forecast_chart(unit: str = "%", **extra: object) -> Chart:
    """30 days of history at 30-50, then 30 days forecast at 55 inside a band from 40 to 70."""
    actual = ChartSeries(label="actual", points=tuple((END - DAY * (30 - k), 40 + (k % 5) * 2.5) for k in range(31)))
    forecast = ChartSeries(label="forecast", points=tuple((END + DAY * k, 55.0) for k in range(31)))
    band = ChartBand(label="forecast 80%", points=tuple((END + DAY * k, 40.0, 70.0) for k in range(31)))
    return Chart(title="Daily cost: heading to $1.7k", unit=unit, series=(actual, forecast), band=band, **extra)


def percent_row(value: float) -> float:
    """The picture's row of a percentage: a line chart's frame is fixed, and a % axis runs 0-100 while data fits."""
    _left, bottom, _width, height = PLOT_AREA
    return HEIGHT_PX * (1 - (bottom + height * value / 100))


def text_width(text: str, points: float) -> float:
    """How wide matplotlib draws `text` (pixels at the chart's 100 dpi)."""
    figure = Figure(dpi=100)
    FigureCanvasAgg(figure)
    drawn = figure.text(0, 0, text.replace("$", r"\$"), fontsize=points)
    return float(drawn.get_window_extent().width)


# -- bars ----------------------------------------------------------------------------------------------------
def test_bars_run_from_the_biggest_down_each_as_long_as_its_value() -> None:
    shuffled = dict(sorted(SPEND.items()))  # alphabetical: the chart ranks them itself
    drawn = bars_drawn(pixels(render_png(bar_chart(shuffled))))
    assert len(drawn) == len(SPEND)
    lengths = [length for _, _, length, _ in drawn]
    values = sorted(SPEND.values(), reverse=True)
    assert lengths == sorted(lengths, reverse=True)  # the biggest at the top
    left = round(BAR_AREA[0] * WIDTH_PX)
    px_per_dollar = (lengths[0] - 0) / values[0]
    for length, value in zip(lengths, values, strict=True):
        assert abs(length - value * px_per_dollar) <= 2, (length, value)
    assert left + lengths[0] < WIDTH_PX * 0.85  # room beyond the longest bar for its value


def test_each_bar_has_its_value_written_at_its_end() -> None:
    image = pixels(render_png(bar_chart(SPEND)))
    left = round(BAR_AREA[0] * WIDTH_PX)
    text = coloured(image, VALUE_COLOUR, tolerance=40)
    for top, bottom, length, _ in bars_drawn(image):
        end = left + length
        beyond = text[top : bottom + 1, end + 2 : end + 90]
        before = text[top : bottom + 1, max(left + 1, end - 40) : end - 2]
        assert beyond.sum() > 40, (top, length)  # "$12.3k" in dark type right after the bar's end
        assert before.sum() == 0  # not over the bar


def test_more_than_twelve_bars_end_with_the_rest_summed_in_grey() -> None:
    many = {f"service-{n}": 1000.0 - 50 * n for n in range(16)}  # 1000, 950, ... 250
    drawn = bars_drawn(pixels(render_png(bar_chart(many))))
    assert len(drawn) == MAX_BARS
    assert [colour for *_, colour in drawn] == [MONEY_PALETTE[0]] * (MAX_BARS - 1) + [OTHERS_COLOUR]
    kept = sorted(many.values(), reverse=True)
    rest = sum(kept[MAX_BARS - 1 :])  # 5 services: 450 + 400 + 350 + 300 + 250 = 1750, longer than the first
    lengths = [length for _, _, length, _ in drawn]
    assert abs(lengths[-1] / lengths[0] - rest / kept[0]) < 0.01


def test_a_bar_chart_without_bars_says_no_data() -> None:
    image = pixels(render_png(bar_chart({})))
    assert bars_drawn(image) == []
    grey = np.asarray(Image.fromarray(image.astype(np.uint8)).convert("L"))[230:330, 300:600]
    assert ((grey > 80) & (grey < 130)).sum() > 300  # the grey "no data" in the middle


def test_a_budget_is_a_dashed_line_across_the_bars_with_its_own_label() -> None:
    labelled = pixels(render_png(bar_chart(SPEND, threshold=10_000.0, threshold_label="monthly budget $10k")))
    plain = pixels(render_png(bar_chart(SPEND, threshold=10_000.0)))
    top = round(HEIGHT_PX * (1 - BAR_AREA[1] - BAR_AREA[3]))
    left, width = round(BAR_AREA[0] * WIDTH_PX), BAR_AREA[2] * WIDTH_PX
    longest = bars_drawn(labelled)[0][2]
    red_columns = coloured(labelled, THRESHOLD_COLOUR, 40)[top:, :].sum(axis=0)
    column = int(np.argmax(red_columns))
    assert abs((column - left) - longest * 10_000 / 12_300) <= 3  # at $10k on the bars' scale
    assert red_columns[column] > 100 and left < column < left + width

    def label_width(image: np.ndarray) -> int:
        red = coloured(image, THRESHOLD_COLOUR, 60)[top - 30 : top - 1]
        columns = np.nonzero(red.any(axis=0))[0]
        return int(columns.max() - columns.min() + 1)

    assert abs(label_width(labelled) - text_width("monthly budget $10k", NOTE_PT)) <= 4
    assert abs(label_width(plain) - text_width("alert $10k", NOTE_PT)) <= 4


# -- the forecast's band ---------------------------------------------------------------------------------------
def test_the_band_is_shaded_between_its_low_and_high_under_the_lines() -> None:
    image = pixels(render_png(forecast_chart()))
    left, width = PLOT_AREA[0] * WIDTH_PX, PLOT_AREA[2] * WIDTH_PX
    future = slice(round(left + width * 0.6), round(left + width * 0.95))  # the second half: the forecast's days
    shaded = coloured(image, BAND_COLOUR, 6)[:, future]
    rows = np.nonzero(shaded.sum(axis=1) > 0)[0]
    assert abs(rows.min() - percent_row(70)) <= 2 and abs(rows.max() - percent_row(40)) <= 2
    assert shaded.sum(axis=0).min() >= percent_row(40) - percent_row(70) - 6  # filled, up to the lines over it
    forecast_line = coloured(image, PALETTE[1], 30)[:, future]
    line_rows = np.nonzero(forecast_line.sum(axis=1) > future.stop - future.start - 10)[0]
    assert line_rows.size and abs(line_rows.mean() - percent_row(55)) <= 2  # the line is drawn over the band
    legend = coloured(image, BAND_COLOUR, 6)[: round(percent_row(80)), : round(left + width * 0.4)]
    assert legend.sum() > 100  # its swatch in the legend, next to "forecast 80%"


def test_no_band_no_shading() -> None:
    image = pixels(render_png(forecast_chart().model_copy(update={"band": None})))
    left, width = PLOT_AREA[0] * WIDTH_PX, PLOT_AREA[2] * WIDTH_PX
    assert coloured(image, BAND_COLOUR, 6)[:, round(left + width * 0.6) : round(left + width * 0.95)].sum() == 0


def test_the_threshold_of_a_line_chart_carries_its_own_label() -> None:
    def label_width(chart: Chart) -> int:
        image = pixels(render_png(chart))
        middle, right = round((PLOT_AREA[0] + PLOT_AREA[2] / 2) * WIDTH_PX), round(sum(PLOT_AREA[::2]) * WIDTH_PX)
        above = coloured(image, THRESHOLD_COLOUR, 60)[round(percent_row(90)) - 24 : round(percent_row(90)) - 3]
        columns = np.nonzero(above[:, middle:right].any(axis=0))[0]  # at the right end, clear of the legend
        return int(columns.max() - columns.min() + 1)

    chart = forecast_chart(threshold=90.0, threshold_label="budget $1.5k/day")
    assert abs(label_width(chart) - text_width("budget $1.5k/day", NOTE_PT)) <= 4
    assert abs(label_width(chart.model_copy(update={"threshold_label": None})) - text_width("alert 90%", NOTE_PT)) <= 4


# -- money colours -------------------------------------------------------------------------------------------
def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two sRGB colours."""

    def luminance(colour: str) -> float:
        linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb(colour)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_money_colours_read_on_white_and_on_dark_themes(background: str) -> None:
    assert len(MONEY_PALETTE) == 2
    for colour in (*MONEY_PALETTE, OTHERS_COLOUR):
        assert contrast(colour, BACKGROUNDS[background]) >= 3.0, (colour, background)


def test_a_money_chart_draws_in_the_two_money_colours_only() -> None:
    chart = forecast_chart(unit="$")
    third = ChartSeries(label="last year", points=tuple((END - DAY * (30 - k), 20.0) for k in range(31)))
    image = pixels(render_png(chart.model_copy(update={"series": (*chart.series, third), "band": None})))
    assert coloured(image, MONEY_PALETTE[0], 20).sum() > 500 and coloured(image, MONEY_PALETTE[1], 20).sum() > 200
    for other in set(PALETTE) - set(MONEY_PALETTE) - {"#000000"}:  # the rest, which metrics charts use
        assert coloured(image, other, 20).sum() == 0, other


# -- the same bytes ------------------------------------------------------------------------------------------
def test_the_same_cost_chart_gives_the_same_bytes() -> None:
    for chart in (bar_chart(SPEND, threshold=10_000.0), forecast_chart(unit="$")):
        assert render_png(chart) == render_png(chart.model_copy())
