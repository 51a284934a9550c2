"""What every report is made of: the filters it is asked with, the people it is asked by, and
tables of figures (with a chart where people would rather look than read).

A report is a function from a `Scope` (the filters, who asks, whether they may see pay) to
tables. Each column says what it holds; a column of amounts (`MONEY`), or of anything derived
from amounts (`DERIVED`: a gap's share, a ratio to a band), is dropped for someone without
`view_compensation` before anything is rendered, so the page, its CSV and the digest show them
counts and rates only. The figures are computed by PostgreSQL (aggregates, percentiles, window
functions); a report's Python only lays out the rows it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

# What a column holds, which says how it is shown, exported and who may see it.
TEXT = "text"
COUNT = "count"
RATE = "rate"  # a percentage, 0 to 100
DAYS = "days"
MONEY = "money"  # in the reporting currency
DERIVED = "derived"  # a figure computed from amounts (a ratio, a share of a gap): pay only
PAY_KINDS = (MONEY, DERIVED)

# Below this many, a rate is shown with a note that it means little.
SMALL_SAMPLE = 20


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT
    # The count a rate is computed from, shown beside it ("12.5% of 8") and flagged when small.
    of: str = ""

    @property
    def is_pay(self) -> bool:
        return self.kind in PAY_KINDS

    @property
    def numeric(self) -> bool:
        return self.kind != TEXT


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its value, and the range it sits in (a min and a max) if any."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one a row, drawn as SVG by the server
    (templates/web/reports/_bars.svg.html)."""

    title: str
    bars: Sequence[Bar]
    kind: str = COUNT  # of the values: COUNT, RATE, DAYS or MONEY

    @property
    def is_pay(self) -> bool:
        return self.kind in PAY_KINDS


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    note: str = ""
    chart: BarChart | None = None

    def for_viewer(self, pay: bool) -> Table | None:
        """The table as `pay` may see it: without amounts, or None when nothing would be left
        but its labels."""
        if pay:
            return self
        columns = [c for c in self.columns if not c.is_pay]
        if not any(c.numeric for c in columns):
            return None
        chart = None if self.chart is None or self.chart.is_pay else self.chart
        keys = {c.key for c in columns} | {c.of for c in columns if c.of}
        rows = [{k: v for k, v in row.items() if k in keys} for row in self.rows]
        return replace(self, columns=columns, rows=rows, chart=chart)


@dataclass(frozen=True)
class Filters:
    """What a report is asked about. Dates are days in the site's time zone, both included."""

    date_from: date
    date_to: date
    role: int | None = None
    level: str = ""
    zone: str = ""
    competitor: int | None = None
    owner: int | None = None
    # Rival pay only: count rumoured competing offers in the medians.
    with_rumoured: bool = False

    @property
    def starts(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date_from, datetime.min.time()))

    @property
    def ends(self) -> datetime:
        """The first moment after the last day."""
        return timezone.make_aware(
            datetime.combine(self.date_to + timedelta(days=1), datetime.min.time())
        )


@dataclass(frozen=True)
class Scope:
    """Who asks, with which filters, and what they may see."""

    user: User
    filters: Filters
    pay: bool
    # Hiring managers who do not see every application see their roles' figures only.
    role_ids: frozenset[int] | None = None  # None: every role
    now: datetime = field(default_factory=timezone.now)

    @property
    def currency(self) -> str:
        return str(settings.REPORTING_CURRENCY)


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: str
    summary: str
    build: Callable[[Scope], list[Table]]
    # The filters that mean something for this report (the others are not shown).
    filters: tuple[str, ...] = ("dates", "role", "level", "zone", "competitor", "owner")


def share(part: int | None, whole: int | None) -> Decimal | None:
    """`part` of `whole` in percent, to one decimal; None without a whole."""
    if not whole:
        return None
    return (Decimal(100) * (part or 0) / whole).quantize(Decimal("0.1"))
