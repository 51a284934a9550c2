"""Charts drawn on the server as inline SVG: the points are worked out here and a template
draws them, so that a page needs no JavaScript chart library and works without one.

Pure Python, no database. Coordinates are floats (they are pixels, not money).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

# Bootstrap's blue for our offer first, then colours a reader tells apart for competitors.
PALETTE = ("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d")


def compact(amount: Decimal) -> str:
    """1,600,000 → "1.6M"; 800,000 → "800k": an axis label, never an amount to act on."""
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "k")):
        if abs(amount) >= size:
            text = f"{amount / size:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{amount:.0f}"


def nice_step(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 and 5 (times a power of ten) at or above `value`: a tick
    step that reads well."""
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** value.adjusted()
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if magnitude * step >= value:
            return magnitude * step
    return magnitude * 10  # pragma: no cover (10 always is)


def running_totals(yearly: Sequence[Decimal], years: int) -> tuple[Decimal, ...]:
    """What has been paid by the end of each year; a shorter series stays flat after its
    last year."""
    totals, running = [], Decimal(0)
    for year in range(years):
        running += yearly[year] if year < len(yearly) else Decimal(0)
        totals.append(running)
    return tuple(totals)


@dataclass(frozen=True)
class Series:
    label: str
    yearly: Sequence[Decimal]
    ours: bool = False


@dataclass(frozen=True)
class Line:
    label: str
    points: str  # the polyline's "x,y x,y …", starting at 0 before year 1
    color: str
    dashed: bool
    cumulative: tuple[Decimal, ...]
    dots: tuple[tuple[float, float], ...]

    @property
    def end(self) -> Decimal:
        return self.cumulative[-1] if self.cumulative else Decimal(0)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    currency: str
    years: int


def cumulative_chart(
    series: Sequence[Series],
    *,
    currency: str,
    width: int = 640,
    height: int = 280,
    margin: tuple[int, int, int, int] = (16, 16, 36, 56),  # top, right, bottom, left
) -> Chart:
    """Cumulative pay over the years, one line per package, all on one scale from 0."""
    top, right_margin, bottom_margin, left = margin
    right, bottom = width - right_margin, height - bottom_margin
    years = max((len(s.yearly) for s in series), default=1) or 1
    cumulative = [running_totals(s.yearly, years) for s in series]
    # Amounts are never negative, so each line's highest point is its last.
    highest = max((c[-1] for c in cumulative if c), default=Decimal(0))
    step = nice_step(highest / 4)
    top_value = max(step * (highest / step).to_integral_value(ROUND_CEILING), step)

    def x(year: int) -> float:
        return left + (right - left) * year / years

    def y(amount: Decimal) -> float:
        return bottom - (bottom - top) * float(amount / top_value)

    lines = []
    for index, (s, totals) in enumerate(zip(series, cumulative, strict=True)):
        dots = tuple((round(x(i + 1), 1), round(y(v), 1)) for i, v in enumerate(totals))
        points = [(round(x(0), 1), round(y(Decimal(0)), 1)), *dots]
        lines.append(
            Line(
                label=s.label,
                points=" ".join(f"{px:g},{py:g}" for px, py in points),
                color=PALETTE[0] if s.ours else PALETTE[1 + (index - 1) % (len(PALETTE) - 1)],
                dashed=not s.ours,
                cumulative=totals,
                dots=dots,
            )
        )
    ticks = int(top_value / step)
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=tuple(lines),
        x_ticks=tuple(Tick(round(x(year), 1), f"Y{year}") for year in range(years + 1)),
        y_ticks=tuple(Tick(round(y(step * i), 1), compact(step * i)) for i in range(ticks + 1)),
        currency=currency,
        years=years,
    )


@dataclass(frozen=True)
class Gauge:
    """Where an amount sits against a band's min, target and max, as percentages along a bar
    that shows the band with room on either side."""

    low: float
    target: float
    high: float
    value: float

    @property
    def width(self) -> float:
        return round(self.high - self.low, 1)


def band_gauge(low: Decimal, target: Decimal, high: Decimal, value: Decimal) -> Gauge:
    start = min(low, value) * Decimal("0.8")
    end = max(high, value) * Decimal("1.1") or Decimal(1)
    span = end - start or Decimal(1)

    def at(amount: Decimal) -> float:
        return round(float((amount - start) / span * 100), 1)

    return Gauge(at(low), at(target), at(high), at(value))
