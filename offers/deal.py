"""The whole deal, side by side: each package's years one to four, its recurring pay apart from
its one-time pay, and its clawback exposure, in one currency. The offer page, the counter-offer
page and `value_package --against` show it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from recruiting.lib.formats import money_in_table, signed_money

from . import compensation as engine


@dataclass(frozen=True)
class DealSide:
    """One package over years one to four (in the comparison's currency)."""

    label: str
    recurring: tuple[Decimal, ...]
    one_time: tuple[Decimal, ...]
    exposure: engine.Exposure  # converted to the comparison's currency

    @property
    def yearly(self) -> tuple[Decimal, ...]:
        return tuple(r + o for r, o in zip(self.recurring, self.one_time, strict=True))

    @property
    def four_year_total(self) -> Decimal:
        return sum(self.yearly, Decimal(0))

    @property
    def later_recurring(self) -> Decimal:
        """Recurring pay a year in years two to four, on average."""
        later = self.recurring[1:]
        return engine.to_cents(sum(later, Decimal(0)) / len(later))

    @property
    def exposure_text(self) -> str:
        if not self.exposure.most:
            return "No clawback."
        return (
            f"Up to {money_in_table(self.exposure.most)} repayable on leaving early; nothing "
            f"from month {self.exposure.ends} after the start."
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "recurring": [f"{a:f}" for a in self.recurring],
            "one_time": [f"{a:f}" for a in self.one_time],
            "total": [f"{a:f}" for a in self.yearly],
            "four_year_total": f"{self.four_year_total:f}",
            "clawback_exposure": {
                "most_repayable": f"{self.exposure.most:f}",
                "nothing_repaid_from_month": self.exposure.ends,
            },
        }


def side(
    label: str, package: engine.Package, compensation: engine.YearlyCompensation, rate: Decimal
) -> DealSide:
    """`package` as valued in `compensation` (already converted at `rate`)."""
    four = compensation.first(engine.COMPARISON_YEARS)
    exposure = engine.clawback_exposure(package)
    return DealSide(
        label,
        four.recurring,
        four.one_time,
        engine.Exposure(engine.to_cents(exposure.most * rate), exposure.ends),
    )


@dataclass(frozen=True)
class Deal:
    """Sides over years one to four; the last is the competitor's."""

    currency: str
    sides: tuple[DealSide, ...]

    @property
    def years(self) -> range:
        return range(1, engine.COMPARISON_YEARS + 1)

    def rows(self) -> list[tuple[str, list[str], str, bool]]:
        """(label, each year, the four-year total, whether it is a total row) for a table."""
        rows = []
        for s in self.sides:
            rows.append((f"{s.label}: recurring", _cells(s.recurring), "", False))
            rows.append((f"{s.label}: one-time", _cells(s.one_time), "", False))
            rows.append(
                (s.label, _cells(s.yearly), money_in_table(s.four_year_total), True),
            )
        theirs = self.sides[-1]
        for s in self.sides[:-1]:
            gaps = [t - o for t, o in zip(theirs.yearly, s.yearly, strict=True)]
            rows.append(
                (
                    f"They pay more than {s.label[0].lower()}{s.label[1:]} by",
                    [signed_money(g) for g in gaps],
                    signed_money(theirs.four_year_total - s.four_year_total),
                    False,
                )
            )
        return rows


def _cells(amounts: tuple[Decimal, ...]) -> list[str]:
    return [money_in_table(a) for a in amounts]


def deal_of(
    comparison: engine.PackageComparison,
    ours: tuple[str, engine.Package, Decimal],
    theirs: tuple[str, engine.Package, Decimal],
) -> Deal:
    """Ours and theirs of `comparison`, each given as (label, package, rate to its currency)."""
    return Deal(
        comparison.ours.currency,
        (
            side(ours[0], ours[1], comparison.ours, ours[2]),
            side(theirs[0], theirs[1], comparison.theirs, theirs[2]),
        ),
    )
