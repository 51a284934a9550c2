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
    _fields(data, f"{where}.", {"payments", "clawback_months"}, ["payments"])
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
    return engine.Bonus(tuple(payments), clawback)


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
