"""A package as JSON, for `manage.py value_package`: read strictly (every mistake names its field
and the rule), valued by the engine, and written back as JSON. docs/value_package.md gives the
schema and an example."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from . import compensation as engine
from .counter_math import (
    CERTAINTIES,
    DEFAULT_ORDER,
    PACKAGE_LEVERS,
    BandLimits,
    Problem,
    credible,
    propose_clawback,
    solve,
)
from .deal import deal_of
from .scenarios import configured_discounts

PACKAGE_FIELDS = {
    "currency",
    "start_date",
    "base_salary",
    "target_bonus_percent",
    "relocation",
    "signing_bonus",
    "retention_bonus",
    "equity",
    "other",
}
GRANT_FIELDS = {
    "kind",
    "shares",
    "price",
    "basis",
    "price_as_of",
    "strike",
    "fair_value",
    "cap",
    "grant_month",
    "expiry_years",
    "exercise_window_months",
    "vesting",
    "schedule",
}


class PackageFileError(ValueError):
    """Input that is not a package; the message names the field and the rule."""


@dataclass(frozen=True)
class PackageFile:
    package: engine.Package
    start_date: date | None


def _fields(data: Any, where: str, allowed: set[str], required: Sequence[str] = ()) -> None:
    if not isinstance(data, Mapping):
        raise PackageFileError(f"{where or 'the package'}: expected an object.")
    for name in data:
        if name not in allowed:
            raise PackageFileError(f"{where}{name}: not a field of {where or 'a package'}.")
    for name in required:
        if name not in data:
            raise PackageFileError(f"{where}{name}: required.")


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | str):
        raise PackageFileError(f"{where}: expected a number, such as 250000.00.")
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise PackageFileError(f"{where}: expected a number, such as 250000.00.") from None
    if not number.is_finite():
        raise PackageFileError(f"{where}: expected a number, such as 250000.00.")
    return number


def _integer(value: Any, where: str) -> int:
    number = _decimal(value, where)
    if number != number.to_integral_value():
        raise PackageFileError(f"{where}: expected a whole number.")
    return int(number)


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise PackageFileError(f"{where}: expected a date, YYYY-MM-DD.") from None


def _choice(value: Any, where: str, choices: type[StrEnum]) -> Any:
    try:
        return choices(value)
    except ValueError:
        names = ", ".join(c.value for c in choices)
        raise PackageFileError(f"{where}: “{value}” is not one of {names}.") from None


def _bonus(data: Any, where: str) -> engine.Bonus | None:
    if data is None:
        return None
    _fields(data, f"{where}.", {"payments", "clawback_months", "clawback"}, ["payments"])
    if not isinstance(data["payments"], list):
        raise PackageFileError(f"{where}.payments: expected a list.")
    payments = []
    for index, payment in enumerate(data["payments"]):
        at = f"{where}.payments[{index}]"
        _fields(payment, f"{at}.", {"month", "amount"}, ["month", "amount"])
        payments.append(
            engine.Payment(
                _integer(payment["month"], f"{at}.month"),
                _decimal(payment["amount"], f"{at}.amount"),
            )
        )
    clawback = _integer(data.get("clawback_months", Decimal(0)), f"{where}.clawback_months")
    convention = _choice(
        data.get("clawback", engine.Clawback.PRO_RATA_FROM_PAYMENT.value),
        f"{where}.clawback",
        engine.Clawback,
    )
    return engine.Bonus(tuple(payments), clawback, convention)


def _vesting(grant: Mapping[str, Any], where: str) -> engine.VestingSchedule:
    if ("vesting" in grant) == ("schedule" in grant):
        raise PackageFileError(f"{where}: give either vesting or a standard schedule.")
    if "schedule" in grant:
        name = grant["schedule"]
        if name not in engine.STANDARD_SCHEDULES:
            names = "; ".join(engine.STANDARD_SCHEDULES)
            raise PackageFileError(f"{where}.schedule: “{name}” is not one of: {names}.")
        return engine.STANDARD_SCHEDULES[name]
    vesting = grant["vesting"]
    at = f"{where}.vesting"
    _fields(vesting, f"{at}.", {"years", "cliff_months", "frequency"}, ["years"])
    if not isinstance(vesting["years"], list):
        raise PackageFileError(f"{at}.years: expected a list of percentages.")
    try:
        return engine.VestingSchedule(
            tuple(_decimal(p, f"{at}.years[{i}]") for i, p in enumerate(vesting["years"])),
            cliff_months=_integer(vesting.get("cliff_months", Decimal(12)), f"{at}.cliff_months"),
            frequency=_choice(
                vesting.get("frequency", "quarterly"), f"{at}.frequency", engine.Frequency
            ),
        )
    except engine.CompensationError as error:
        field = at if error.field == "vesting" else f"{at}.{error.field}"
        raise PackageFileError(f"{field}: {error.message}") from None


def _grant(data: Any, where: str) -> engine.EquityGrant:
    _fields(data, f"{where}.", GRANT_FIELDS, ["shares", "price", "basis"])

    def optional(name: str) -> Decimal | None:
        value = data.get(name)
        return None if value is None else _decimal(value, f"{where}.{name}")

    if "price_as_of" in data:
        _date(data["price_as_of"], f"{where}.price_as_of")
    for name in ("expiry_years", "exercise_window_months"):
        if name in data:  # an option's exercise terms: checked, not part of the arithmetic
            _integer(data[name], f"{where}.{name}")
            if data.get("kind", "rsu") != engine.EquityKind.OPTIONS:
                raise PackageFileError(f"{where}.{name}: only options have exercise terms.")
    return engine.EquityGrant(
        shares=_decimal(data["shares"], f"{where}.shares"),
        price=_decimal(data["price"], f"{where}.price"),
        vesting=_vesting(data, where),
        kind=_choice(data.get("kind", "rsu"), f"{where}.kind", engine.EquityKind),
        basis=_choice(data["basis"], f"{where}.basis", engine.PriceBasis),
        strike=optional("strike") or Decimal(0),
        fair_value=optional("fair_value"),
        cap=optional("cap"),
        grant_month=_integer(data.get("grant_month", Decimal(0)), f"{where}.grant_month"),
    )


def read_package(data: Any) -> PackageFile:
    """The package `data` (parsed JSON, numbers as Decimal) describes. Raises PackageFileError
    naming the first field that is wrong, and the rule."""
    _fields(data, "", PACKAGE_FIELDS, ["currency"])
    currency = data["currency"]
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise PackageFileError("currency: expected a three-letter code, such as USD.")

    def amount(name: str) -> Decimal:
        return _decimal(data.get(name, Decimal(0)), name)

    for name in ("equity", "other"):
        if not isinstance(data.get(name, []), list):
            raise PackageFileError(f"{name}: expected a list.")
    others = []
    for index, other in enumerate(data.get("other", [])):
        at = f"other[{index}]"
        _fields(other, f"{at}.", {"name", "amount", "year"}, ["name", "amount"])
        others.append(
            engine.OtherAmount(
                str(other["name"]),
                _decimal(other["amount"], f"{at}.amount"),
                _integer(other.get("year", Decimal(1)), f"{at}.year"),
            )
        )
    package = engine.Package(
        currency=currency.upper(),
        base_salary=amount("base_salary"),
        target_bonus_percent=amount("target_bonus_percent"),
        signing_bonus=_bonus(data.get("signing_bonus"), "signing_bonus"),
        retention_bonus=_bonus(data.get("retention_bonus"), "retention_bonus"),
        equity=tuple(_grant(g, f"equity[{i}]") for i, g in enumerate(data.get("equity", []))),
        relocation=amount("relocation"),
        other=tuple(others),
    )
    try:
        package.check()
    except engine.CompensationError as error:
        raise PackageFileError(f"{error.field}: {error.message}") from None
    start = _date(data["start_date"], "start_date") if "start_date" in data else None
    return PackageFile(package, start)


def _amounts(values: Sequence[Decimal]) -> list[str]:
    return [f"{value:f}" for value in values]


def _summary(compensation: engine.YearlyCompensation) -> dict[str, Any]:
    return {
        "currency": compensation.currency,
        "by_component": {
            name: _amounts(amounts) for name, amounts in compensation.by_component.items()
        },
        "yearly_totals": _amounts(compensation.yearly_totals),
        "year_one": f"{compensation.year_one:f}",
        "annual_average": f"{compensation.annual_average:f}",
        "total": f"{compensation.total:f}",
    }


def valuation(
    read: PackageFile,
    *,
    reporting_currency: str,
    rate: Decimal,
    rate_as_of: date | None,
    scenarios: Sequence[engine.Scenario],
) -> dict[str, Any]:
    """The package's valuation as JSON-ready data: its years by component, year one, the
    annual average and the total, in its currency and in `reporting_currency` (at `rate`, of
    `rate_as_of`), and the same totals under each scenario with the liquidity discount apart.
    Amounts are strings, exact to the cent."""
    package = read.package
    own = engine.compute(package)
    reporting = engine.convert(own, rate=rate, currency=reporting_currency)
    valued = engine.value_scenarios(package, scenarios, discounts=configured_discounts())
    return {
        "start_date": read.start_date.isoformat() if read.start_date else None,
        "years": own.years,
        "package": _summary(own),
        "reporting": {
            **_summary(reporting),
            "rate": f"{rate.normalize():f}",
            "rate_as_of": rate_as_of.isoformat() if rate_as_of else None,
        },
        "scenarios": [
            {
                "name": v.scenario.name,
                "growth_percent": f"{v.scenario.growth_percent:f}",
                "yearly_totals": _amounts(v.compensation.yearly_totals),
                "total": f"{v.compensation.total:f}",
                "liquidity_discount": _amounts(v.liquidity_discount),
                "total_after_discount": f"{v.total_after_discount:f}",
            }
            for v in valued
        ],
    }


# --- Competing packages and the decisions against them (value_package --against) ------------


@dataclass(frozen=True)
class CompetingFile:
    """A competing package from a file: who offers it, how sure we are, and the package."""

    competitor: str
    certainty: str
    package: engine.Package


def read_competing(data: Any) -> list[CompetingFile]:
    """One competing package (an object) or several (a list), each a package with, besides its
    fields, `competitor` (a name) and `certainty` (rumoured, verbal, written or verified;
    verbal if left out)."""
    items = data if isinstance(data, list) else [data]
    if not items:
        raise PackageFileError("against: expected at least one competing package.")
    read = []
    for index, item in enumerate(items):
        where = f"against[{index}]" if isinstance(data, list) else "against"
        if not isinstance(item, Mapping):
            raise PackageFileError(f"{where}: expected an object.")
        competitor = item.get("competitor", f"Competitor {index + 1}")
        certainty = item.get("certainty", "verbal")
        if not isinstance(competitor, str) or not competitor.strip():
            raise PackageFileError(f"{where}.competitor: expected a name.")
        if certainty not in CERTAINTIES:
            raise PackageFileError(
                f"{where}.certainty: “{certainty}” is not one of {', '.join(CERTAINTIES)}."
            )
        fields = {k: v for k, v in item.items() if k not in ("competitor", "certainty")}
        try:
            package = read_package(fields).package
        except PackageFileError as error:
            raise PackageFileError(f"{where}.{error}") from None
        read.append(CompetingFile(competitor.strip(), certainty, package))
    return read


@dataclass(frozen=True)
class BandFigures:
    """A band's figures in its currency, and the rate from the package's currency to it."""

    name: str
    currency: str
    base: tuple[Decimal, Decimal, Decimal]  # min, target, max
    total: tuple[Decimal, Decimal, Decimal]
    rate: Decimal


def _position(amount: Decimal, low: Decimal, target: Decimal, high: Decimal) -> dict[str, str]:
    where = "below" if amount < low else "above" if amount > high else "within"
    ratio = (amount / target).quantize(Decimal("0.0001")) if target else Decimal(0)
    return {"amount": f"{amount:f}", "where": where, "ratio_to_target": f"{ratio:f}"}


def band_position(
    package: engine.Package, band: BandFigures | None, *, horizon_years: int
) -> dict[str, Any]:
    """The package on the band basis (recurring pay a year, one-time pay over
    `horizon_years`), and, with a band, where it sits: its total a year and its recurring pay
    against the band's total, its base against the band's base."""
    basis = engine.band_basis(package, horizon_years=horizon_years)
    result: dict[str, Any] = {
        "basis": {
            "currency": basis.currency,
            "recurring": f"{basis.recurring:f}",
            "one_time": f"{basis.one_time:f}",
            "one_time_annual": f"{basis.one_time_annual:f}",
            "annual": f"{basis.annual:f}",
            "horizon_years": horizon_years,
        },
        "band": None,
    }
    if band is None:
        return result
    in_band = basis.converted(band.rate, band.currency)
    base = engine.to_cents(package.base_salary * band.rate)
    result["band"] = {
        "name": band.name,
        "currency": band.currency,
        "total": [f"{a:f}" for a in band.total],
        "base": [f"{a:f}" for a in band.base],
        "total_a_year": _position(in_band.annual, *band.total),
        "recurring_a_year": _position(in_band.recurring, *band.total),
        "base_salary": _position(base, *band.base),
    }
    return result


def decisions(
    ours: engine.Package,
    against: Sequence[CompetingFile],
    *,
    reporting_currency: str,
    rate_ours: Decimal,
    rates: Mapping[str, Decimal],
    measure: engine.Measure,
    margin_percent: Decimal,
    lowest_certainty: str,
    band: BandFigures | None,
    within_band: bool,
    horizon_years: int,
) -> dict[str, Any]:
    """The comparison with each competing package (years one to four, recurring and one-time
    pay apart, the clawback exposure of each side, the gap on every measure), the band
    position, and the counter-offer to the strongest credible one, as JSON-ready data.
    `rates` gives units of the reporting currency per unit of each competing currency."""
    compared: list[dict[str, Any]] = []
    comparisons: list[engine.PackageComparison] = []
    for competing in against:
        comparison = engine.compare(
            ours,
            competing.package,
            currency=reporting_currency,
            rate_ours=rate_ours,
            rate_theirs=rates[competing.package.currency],
        )
        deal = deal_of(
            comparison,
            ("Ours", ours, rate_ours),
            (competing.competitor, competing.package, rates[competing.package.currency]),
        )
        compared.append(
            {
                "competitor": competing.competitor,
                "certainty": competing.certainty,
                "answered": credible(competing.certainty, lowest_certainty),
                "gaps": {
                    m.value: {
                        "ours": f"{comparison.gap(m).ours:f}",
                        "theirs": f"{comparison.gap(m).theirs:f}",
                        "they_pay_more_by": f"{comparison.gap(m).amount:f}",
                    }
                    for m in engine.Measure
                },
                "years_one_to_four": [side.as_dict() for side in deal.sides],
            }
        )
        comparisons.append(comparison)
    answered = [i for i, c in enumerate(compared) if c["answered"]]
    counter: dict[str, Any] | None = None
    if answered:
        strongest = max(answered, key=lambda i: comparisons[i].gap(measure).theirs)
        rival = against[strongest]
        limits = None
        if within_band and band is not None:
            limits = BandLimits(band.total[2] / band.rate, band.base[2] / band.rate, horizon_years)
        answer = solve(
            Problem(
                start=ours,
                to_package=lambda package: package,
                levers=PACKAGE_LEVERS,
                order=DEFAULT_ORDER,
                theirs=rival.package,
                currency=reporting_currency,
                rate_ours=rate_ours,
                rate_theirs=rates[rival.package.currency],
                measure=measure,
                margin_percent=margin_percent,
                band=limits,
            )
        )
        suggested = answer.terms
        after = deal_of(
            answer.after,
            ("Suggested", suggested, rate_ours),
            (rival.competitor, rival.package, rates[rival.package.currency]),
        )
        clawback = None
        if any(lever == "signing_bonus" for lever, _ in answer.changes) and suggested.signing_bonus:
            recurring = engine.band_basis(suggested, horizon_years=horizon_years).recurring
            proposal = propose_clawback(
                suggested.signing_bonus,
                recurring,
                was=ours.signing_bonus,
                horizon_years=horizon_years,
            )
            clawback = {
                "months": proposal.months,
                "terms": proposal.terms.value,
                "was_months": proposal.was_months,
                "was_terms": proposal.was_terms.value,
                "years_of_recurring_pay": (
                    f"{proposal.years_of_pay:f}" if proposal.years_of_pay is not None else None
                ),
                "repayments": [
                    {"months": [row.first, row.last], "repaid": f"{row.owed:f}"}
                    for row in proposal.repayments
                ],
            }
        counter = {
            "answers": rival.competitor,
            "measure": measure.value,
            "margin_percent": f"{margin_percent:f}",
            "answered_on": [m.value for m in answer.answered],
            "changes": [
                {"lever": lever, "add": f"{engine.to_cents(a):f}"} for lever, a in answer.changes
            ],
            "beats": answer.beats,
            "short_by": {m.value: f"{a:f}" for m, a in answer.short_by},
            "on_the_measure_alone": [
                {"lever": lever, "add": f"{engine.to_cents(a):f}"} for lever, a in answer.alone
            ],
            "which_would_lose": (
                {
                    "measure": answer.alone_lost[0].value,
                    "ours": f"{answer.alone_lost[1].ours:f}",
                    "theirs": f"{answer.alone_lost[1].theirs:f}",
                }
                if answer.alone_lost
                else None
            ),
            "clawback": clawback,
            "within_band": limits is not None,
            "gaps_after": {m.value: f"{answer.after.gap(m).amount:f}" for m in engine.Measure},
            # Recurring pay a year in years two to four, on average: where a lead built on
            # one-time pay shows.
            "recurring_from_year_two": {
                "suggested": f"{after.sides[0].later_recurring:f}",
                "theirs": f"{after.sides[1].later_recurring:f}",
            },
        }
    return {
        "measure": measure.value,
        "lowest_certainty": lowest_certainty,
        "band_position": band_position(ours, band, horizon_years=horizon_years),
        "against": compared,
        "counter_offer": counter,
    }
