"""How a report's figures read: on the page (with the count behind a rate, and a mark when that
count is too small to mean much) and in the CSV (plain numbers a spreadsheet sums)."""

from __future__ import annotations

import html
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.utils.safestring import SafeString, mark_safe

from .base import COUNT, DAYS, DERIVED, MONEY, RATE, SMALL_SAMPLE, Column, Table


class Cell(NamedTuple):
    # A tuple, not a dataclass: made 8,000 times for the funnel's page.
    text: str
    numeric: bool = False
    small: bool = False  # a rate over fewer than SMALL_SAMPLE


def _number(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def shown(value: Any, kind: str) -> str:
    """The figure as the page shows it; an em dash for none."""
    if value is None or value == "":
        return "—"
    if kind == COUNT:
        return f"{int(value):,}"
    if kind == RATE:
        return f"{_number(value).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
    if kind == DAYS:
        return f"{_number(value).quantize(Decimal('0.1'), ROUND_HALF_UP)} d"
    if kind == MONEY:
        return f"{_number(value).quantize(Decimal(1), ROUND_HALF_UP):,.0f}"
    if kind == DERIVED:
        return f"{_number(value).quantize(Decimal('0.01'), ROUND_HALF_UP)}"
    return str(value)


def chart_value(value: float, kind: str) -> str:
    if kind == MONEY:
        amount = Decimal(str(value))
        for size, suffix in ((Decimal("1e9"), "B"), (Decimal("1e6"), "M"), (Decimal("1e3"), "k")):
            if abs(amount) >= size:
                return f"{(amount / size).quantize(Decimal('0.1'), ROUND_HALF_UP)}{suffix}"
        return f"{amount.quantize(Decimal(1), ROUND_HALF_UP)}"
    return shown(value, kind)


def exported(value: Any, kind: str) -> Any:
    """The figure as the CSV holds it: a plain number (a number, not text, so that a negative
    gap is not taken for a formula and escaped), or empty."""
    if value is None:
        return ""
    if kind == COUNT:
        return int(value)
    if kind in (RATE, DAYS):
        return _number(value).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if kind == MONEY:
        return _number(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if kind == DERIVED:
        return _number(value).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return value


def cell(row: dict[str, Any], column: Column) -> Cell:
    value = row.get(column.key)
    text = shown(value, column.kind)
    small = False
    if column.of and value is not None:
        whole = row.get(column.of) or 0
        text = f"{text} of {int(whole):,}"
        small = whole < SMALL_SAMPLE
    return Cell(text, column.numeric, small)


def rows_of(table: Table) -> list[list[Cell]]:
    return [[cell(row, column) for column in table.columns] for row in table.rows]


_SMALL_MARK = '<sup class="text-body-secondary" title="Too few to mean much">†</sup>'


def _td(c: Cell) -> str:
    opening = '<td class="text-end text-nowrap">' if c.numeric else "<td>"
    return f"{opening}{html.escape(c.text)}{_SMALL_MARK if c.small else ''}</td>"


def body_html(rows: list[list[Cell]]) -> SafeString:
    """The rows of a table body as HTML, every text escaped. Written here rather than by a
    template loop: the funnel shows some 1,500 rows, which the template engine took a quarter
    of a second to write out cell by cell."""
    return mark_safe("".join(f"<tr>{''.join(_td(c) for c in row)}</tr>" for row in rows))
