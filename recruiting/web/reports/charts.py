"""A report's bar chart laid out for SVG: a row a bar, its label above it, so that it reads at a
phone's width as at a desk's. No script, no network: the server draws it."""

from __future__ import annotations

from dataclasses import dataclass

from .base import BarChart
from .cells import chart_value

# The chart's own units: a phone shows its 400 at about 360 pixels, so its text at about 12.5
# pixels; a desk at most at 512 (reports.css), its text at about 18.
WIDTH = 400
FONT_SIZE = 14
LABEL_HEIGHT = 20
BAR_HEIGHT = 16
ROW = LABEL_HEIGHT + BAR_HEIGHT + 10
VALUE_ROOM = 100  # on the right of the longest bar, for its value


@dataclass(frozen=True)
class DrawnBar:
    label: str
    text: str
    label_y: int
    bar_y: int
    width: float
    low_x: float | None
    high_x: float | None


@dataclass(frozen=True)
class DrawnChart:
    title: str
    width: int
    height: int
    bars: list[DrawnBar]
    bar_height: int = BAR_HEIGHT
    font_size: int = FONT_SIZE


def draw(chart: BarChart) -> DrawnChart:
    top = max([b.high or b.value for b in chart.bars] + [0.0])
    room = WIDTH - VALUE_ROOM
    scale = room / top if top > 0 else 0.0
    bars = []
    for i, bar in enumerate(chart.bars):
        y = 8 + i * ROW
        bars.append(
            DrawnBar(
                label=bar.label,
                text=chart_value(bar.value, chart.kind),
                label_y=y + 14,
                bar_y=y + LABEL_HEIGHT,
                width=round(max(bar.value, 0) * scale, 1),
                low_x=None if bar.low is None else round(bar.low * scale, 1),
                high_x=None if bar.high is None else round(bar.high * scale, 1),
            )
        )
    return DrawnChart(chart.title, WIDTH, 8 + len(bars) * ROW, bars)
