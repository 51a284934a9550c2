"""The equity scenarios every valuation is also shown under: share-price paths and liquidity
discounts, read from the settings (EQUITY_SCENARIOS, LIQUIDITY_DISCOUNTS)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from recruiting.lib.formats import money_in_table, percent, signed_money

from . import compensation as engine


def configured_scenarios(given: str | None = None) -> list[engine.Scenario]:
    """The share-price paths of EQUITY_SCENARIOS (or of `given`, as "-30,0,20,50"), in the
    order given: "-30" is "−30% a year"."""
    scenarios = []
    texts = given.split(",") if given is not None else settings.EQUITY_SCENARIOS
    for text in texts:
        try:
            growth = Decimal(str(text).strip())
        except InvalidOperation:
            raise ImproperlyConfigured(
                f"EQUITY_SCENARIOS has {text!r}: give percentages a year, such as -30,0,20,50."
            ) from None
        if not growth.is_finite() or not -100 <= growth <= engine.MAX_GROWTH_PERCENT:
            raise ImproperlyConfigured(
                f"EQUITY_SCENARIOS has {text!r}: a share price moves between -100% and "
                f"{engine.MAX_GROWTH_PERCENT}% a year."
            )
        name = "Flat" if growth == 0 else f"{'+' if growth > 0 else '−'}{abs(growth)}% a year"
        scenarios.append(engine.Scenario(name, growth))
    return scenarios


def configured_discounts() -> dict[engine.PriceBasis, Decimal]:
    """LIQUIDITY_DISCOUNTS, per price basis, in percent."""
    discounts = {}
    for basis, text in settings.LIQUIDITY_DISCOUNTS.items():
        try:
            key = engine.PriceBasis(basis.strip())
            percent = Decimal(str(text).strip())
        except (ValueError, InvalidOperation):
            raise ImproperlyConfigured(
                f"LIQUIDITY_DISCOUNTS has {basis}={text}: use a price basis "
                f"({', '.join(b.value for b in engine.PriceBasis)}) and a percentage."
            ) from None
        if not percent.is_finite() or not 0 <= percent <= 100:
            raise ImproperlyConfigured(
                f"LIQUIDITY_DISCOUNTS has {basis}={text}: a discount is between 0 and 100%."
            )
        discounts[key] = percent
    return discounts


@dataclass(frozen=True)
class ScenarioRow:
    name: str
    yearly: tuple[Decimal, ...]
    total: Decimal
    discount: Decimal  # the liquidity discount over the horizon, shown apart
    after_discount: Decimal

    # As the pages and the letter print amounts: to the cent, grouped.
    @property
    def yearly_text(self) -> list[str]:
        return [money_in_table(amount) for amount in self.yearly]

    @property
    def total_text(self) -> str:
        return money_in_table(self.total)

    @property
    def discount_text(self) -> str:
        return money_in_table(self.discount)

    @property
    def after_discount_text(self) -> str:
        return money_in_table(self.after_discount)


@dataclass(frozen=True)
class ScenarioTable:
    currency: str
    years: int
    discount_percent: Decimal  # on the package's basis; 0 for a liquid one
    rows: list[ScenarioRow]

    @property
    def discount_percent_text(self) -> str:
        return percent(self.discount_percent)


def scenario_table(package: engine.Package, basis: str) -> ScenarioTable | None:
    """The package's totals under each configured scenario, with the liquidity discount of its
    basis apart; None for a package with no equity, or equity typed as amounts."""
    if not package.equity or basis == engine.PriceBasis.RECORDED:
        return None
    discounts = configured_discounts()
    valued = engine.value_scenarios(package, configured_scenarios(), discounts=discounts)
    rows = [
        ScenarioRow(
            name=v.scenario.name,
            yearly=v.compensation.yearly_totals,
            total=v.compensation.total,
            discount=v.discount_total,
            after_discount=v.total_after_discount,
        )
        for v in valued
    ]
    price_basis = engine.PriceBasis(basis)
    discount = Decimal(0) if price_basis.liquid else discounts.get(price_basis, Decimal(0))
    return ScenarioTable(package.currency, package.horizon_years, discount, rows)


@dataclass(frozen=True)
class ScenarioGap:
    """Ours against a competing package under one scenario, over the longer horizon of the
    two, in the reporting currency, each after its own liquidity discount."""

    name: str
    ours: Decimal
    theirs: Decimal

    @property
    def gap(self) -> Decimal:
        return self.theirs - self.ours

    @property
    def ours_text(self) -> str:
        return money_in_table(self.ours)

    @property
    def theirs_text(self) -> str:
        return money_in_table(self.theirs)

    @property
    def gap_text(self) -> str:
        return signed_money(self.gap)


def _priced_equity(package: engine.Package) -> bool:
    return any(g.basis != engine.PriceBasis.RECORDED for g in package.equity)


def scenario_comparison(
    ours: engine.Package, our_rate: Decimal, theirs: engine.Package, their_rate: Decimal
) -> list[ScenarioGap] | None:
    """Both packages under each configured scenario, at their rates to the reporting currency;
    None when neither has equity valued at a share price (the scenarios would change
    nothing)."""
    if not (_priced_equity(ours) or _priced_equity(theirs)):
        return None
    years = max(ours.horizon_years, theirs.horizon_years)
    scenarios, discounts = configured_scenarios(), configured_discounts()

    def totals(package: engine.Package, rate: Decimal) -> list[Decimal]:
        valued = engine.value_scenarios(package, scenarios, discounts=discounts, years=years)
        return [engine.to_cents(v.total_after_discount * rate) for v in valued]

    return [
        ScenarioGap(scenario.name, mine, theirs_total)
        for scenario, mine, theirs_total in zip(
            scenarios, totals(ours, our_rate), totals(theirs, their_rate), strict=True
        )
    ]
