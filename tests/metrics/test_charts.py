"""bot.charts draws a Chart as a PNG a phone shows well: read back with Pillow, as any image viewer would."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from bot.charts import HEIGHT_PX, PLOT_AREA, THRESHOLD_COLOUR, WIDTH_PX, render_png
from core.models import Chart, ChartMark, ChartSeries

END = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC
RED = tuple(int(THRESHOLD_COLOUR[i : i + 2], 16) for i in (1, 3, 5))


def cpu(label: str = "web-prod avg", *, hours: float = 6, shift: float = 0.0, level: float = 45.0) -> ChartSeries:
    minutes = int(hours * 60)
    return ChartSeries(
        label=label,
        points=tuple((END - 60 * (minutes - k), level + 15 * math.sin(k / 40 + shift)) for k in range(minutes + 1)),
    )


def chart(*series: ChartSeries, threshold: float | None = 80.0, unit: str = "%") -> Chart:
    return Chart(title="web-prod CPU, last 6 h", unit=unit, series=series, threshold=threshold,
                 marks=(ChartMark(at=END - 7200, label="alert 42 fired"),))  # fmt: skip


def image(png: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture.convert("RGB")


def red_rows(picture: Image.Image) -> list[int]:
    """Rows where the dashed threshold line runs: a good share of the plot's width in the threshold's red."""
    left, width = int(PLOT_AREA[0] * WIDTH_PX), int(PLOT_AREA[2] * WIDTH_PX)
    pixels = np.asarray(picture, dtype=np.int16)[:, left : left + width]
    red = (np.abs(pixels - np.array(RED, dtype=np.int16)) <= 40).all(axis=2)
    return [int(y) for y in np.nonzero(red.sum(axis=1) > width // 4)[0]]


def value_row(value: float) -> float:
    """The picture's row of a percentage: the plot's frame is fixed and a % axis runs 0-100 while the data fits."""
    _left, bottom, _width, height = PLOT_AREA
    return HEIGHT_PX * (1 - (bottom + height * value / 100))


def test_a_phone_sized_png_under_200_kb() -> None:
    png = render_png(chart(*(cpu(f"web-prod-{i}", shift=i) for i in range(5))))
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    assert picture.size == (WIDTH_PX, HEIGHT_PX) == (900, 560)
    assert len(png) < 200 * 1024


def test_the_threshold_is_a_red_line_at_its_height() -> None:
    for threshold in (80.0, 30.0):
        rows = red_rows(image(render_png(chart(cpu(), threshold=threshold))))
        assert rows, f"no red line for {threshold}"
        assert abs(sum(rows) / len(rows) - value_row(threshold)) <= 3, (threshold, rows)


def test_no_threshold_no_red_line() -> None:
    assert red_rows(image(render_png(chart(cpu(), threshold=None)))) == []


def test_a_chart_without_points_says_no_data() -> None:
    empty = render_png(chart(ChartSeries(label="web-prod avg", points=())))
    also_empty = render_png(Chart(title="web-prod CPU, last 6 h", unit="%", series=()))
    assert axis_rows(image(render_png(chart(cpu()))))  # a drawn chart has its time axis
    for png in (empty, also_empty):
        picture = image(png)
        assert picture.size == (WIDTH_PX, HEIGHT_PX)
        assert red_rows(picture) == [] and axis_rows(picture) == []  # nothing plotted: no axes, no alert line
        middle = np.asarray(picture.convert("L"))[230:330, 300:600]
        assert ((middle > 80) & (middle < 130)).sum() > 300  # the grey "no data" in the middle


def axis_rows(picture: Image.Image) -> list[int]:
    """Rows with a dark line across most of the plot's width: the time axis."""
    left, width = int(PLOT_AREA[0] * WIDTH_PX), int(PLOT_AREA[2] * WIDTH_PX)
    dark = np.asarray(picture.convert("L"))[:, left : left + width] < 60
    return [int(y) for y in np.nonzero(dark.sum(axis=1) > width * 0.9)[0]]


def test_the_same_chart_gives_the_same_bytes() -> None:
    one = chart(cpu("web-prod-0"), cpu("web-prod-1", shift=1.0))
    assert render_png(one) == render_png(one.model_copy())


def test_long_ranges_and_odd_values_still_draw() -> None:
    """Three days of latency (a date axis), a single point, a hole in the data, dollars and bidi marks in labels."""
    days = ChartSeries(label="p99 $HOME \u202eevil", points=tuple((END - 600 * k, 300.0 + k % 7) for k in range(432)))
    single = ChartSeries(label="one", points=((END, 12.5),))
    holed = ChartSeries(label="holes", points=((END - 3600, 1.0), (END - 3540, 2.0), (END - 60, 3.0), (END, 2.0)))
    for drawn in (chart(days, threshold=500, unit="ms"), chart(single), chart(holed, unit="B/s", threshold=None)):
        assert image(render_png(drawn)).size == (WIDTH_PX, HEIGHT_PX)
