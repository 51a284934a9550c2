"""The compensation engine: what a package pays, year by year, and in another currency.

Pure Python on Decimal, no database: offers, competing offers and counter-offer suggestions all
value packages through it, and its tests are hand-computed examples and properties.

Conventions (the same everywhere in Closer):

- Year 1 is the first twelve months after the start date.
- A payment (an instalment of a signing or retention bonus) is made at a month after the start:
  month 0 is the start date and falls in year 1, month 12 is the first anniversary and falls in
  year 2.
- A grant is a number of shares (or options, or profit units) valued at a price per share on a
  dated basis (a public company's market price; a private company's last preferred price, its
  409A common fair market value or its last tender price; a profit unit's value). An option is
  worth its spread, the price less the strike and never below zero, unless a fair value per
  option is given; a profit unit is worth its price up to its cap.
- A grant is made at a month after the start (0 for the new-hire grant; a refresh grant
  later) and vests from that month: at the end of each period of its frequency (monthly,
  quarterly, semi-annually, annually) each of its years vests its own percentage, spread evenly
  over that year's periods. Anything due before the cliff vests at the cliff. A one-year cliff
  therefore changes no yearly amount; an 18-month cliff moves year 1's vesting into year 2.
- A scenario moves the share price by a percentage a year: what vests in year 1 is valued at
  the price, in year 2 at the price moved once, and so on. Illiquid equity (every basis but a
  public market price) can be shown with a liquidity discount, kept apart from the amounts.
- Base salary and target bonus are paid in every year of the horizon. Relocation is paid in
  year 1; other named amounts in the year given.
- A bonus is clawed back from someone who leaves within its clawback period: pro rata to the
  months left, or all of it; the clock runs from each payment or from the start date. Only
  what was paid by the month they leave is repaid.
- Against a band, a package is held to its pay a year on a basis its schedules' shape cannot
  move: recurring pay (base, target bonus, each grant over its own vesting) and one-time pay
  (signing and retention bonuses, relocation, other amounts) spread over a fixed horizon.
- Two packages are compared over at least four years: year one, the annual average over the
  longer horizon of the two, and the four-year total. Past its own horizon a package pays its
  base and target bonus.
- Amounts are kept exact while computing and rounded to the cent once, on running totals, so
  that the yearly amounts of every component add up to its rounded total to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Just under a trillion: far above any package, below any typo's reach, and what the
# database's money columns (14 digits, 2 decimals) hold.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_MONTHS = 600  # fifty years: no payment, cliff or clawback is further away
MAX_YEARS = 50
MAX_BONUS_PERCENT = Decimal(200)


class CompensationError(ValueError):
    """A package the engine cannot value; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Component(StrEnum):
    BASE_SALARY = "base_salary"
    TARGET_BONUS = "target_bonus"
    SIGNING_BONUS = "signing_bonus"
    EQUITY = "equity"
    RETENTION_BONUS = "retention_bonus"
    RELOCATION = "relocation"
    OTHER = "other"


# Pay that comes every year, and pay that comes once (its total is the same however long the
# package runs). Comparisons show them apart; the band amortises the one-time part.
RECURRING = (Component.BASE_SALARY, Component.TARGET_BONUS, Component.EQUITY)
ONE_TIME = (
    Component.SIGNING_BONUS,
    Component.RETENTION_BONUS,
    Component.RELOCATION,
    Component.OTHER,
)
# Comparisons show at least this many years side by side, and the four-year total is a
# measure: a package's lead in year one can be lost over the years that follow.
COMPARISON_YEARS = 4


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUALLY = "semi_annually"
    ANNUALLY = "annually"

    @property
    def periods_per_year(self) -> int:
        return {"monthly": 12, "quarterly": 4, "semi_annually": 2, "annually": 1}[self.value]

    @property
    def label(self) -> str:
        return {
            "monthly": "Monthly",
            "quarterly": "Quarterly",
            "semi_annually": "Every six months",
            "annually": "Annually",
        }[self.value]


class EquityKind(StrEnum):
    RSU = "rsu"
    OPTIONS = "options"
    PROFIT_UNITS = "profit_units"


class PriceBasis(StrEnum):
    """Where a grant's price per share comes from."""

    MARKET = "market"  # a public company's share price
    PREFERRED = "preferred"  # a private company's last preferred (funding round) price
    COMMON_FMV = "common_fmv"  # a private company's common fair market value (409A)
    TENDER = "tender"  # the price of a private company's last tender offer
    UNIT_VALUE = "unit_value"  # a profit unit's stated value
    RECORDED = "recorded"  # a value typed as it stood (grants recorded before prices were kept)

    @property
    def label(self) -> str:
        return {
            "market": "Market price (public company)",
            "preferred": "Last preferred price (private company)",
            "common_fmv": "Common fair market value, 409A (private company)",
            "tender": "Last tender price (private company)",
            "unit_value": "Profit unit value",
            "recorded": "Value as recorded",
        }[self.value]

    @property
    def liquid(self) -> bool:
        """Whether shares on this basis can be sold at that price: only a public market's. A
        recorded value is taken as it was typed, with no discount."""
        return self in (PriceBasis.MARKET, PriceBasis.RECORDED)


def check_amount(value: Decimal, field: str) -> Decimal:
    """Refuses what money cannot be: negative, fractions of a cent, beyond a trillion."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise CompensationError(field, "Enter an amount as a number, such as 250000.00.")
    if value < 0:
        raise CompensationError(field, "An amount cannot be negative.")
    if value != value.quantize(CENT):
        raise CompensationError(field, "An amount has at most 2 decimal places.")
    if value > MAX_AMOUNT:
        raise CompensationError(field, f"An amount cannot exceed {MAX_AMOUNT:,}.")
    return value


PRICE_STEP = Decimal("0.0001")  # prices, strikes and share counts: to four decimal places
MAX_PRICE = Decimal("999999999.9999")
MAX_SHARES = Decimal("999999999999.9999")
MAX_GROWTH_PERCENT = Decimal(1000)


def check_quantity(value: Decimal, field: str, *, limit: Decimal, what: str) -> Decimal:
    """Refuses a price, strike or share count that is negative, finer than 0.0001, or past
    `limit`; `what` names it in the message."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise CompensationError(field, f"Enter {what} as a number, such as 12.50.")
    if value < 0:
        raise CompensationError(field, f"{what.capitalize()} cannot be negative.")
    if value != value.quantize(PRICE_STEP):
        raise CompensationError(field, f"{what.capitalize()} has at most 4 decimal places.")
    if value > limit:
        raise CompensationError(field, f"{what.capitalize()} cannot exceed {limit:,}.")
    return value


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def spread_to_cents(exact: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """Rounds a series so that its running totals are the rounded running totals of `exact`:
    the parts then add up to the rounded whole, to the cent."""
    parts, running, previous = [], Decimal(0), Decimal(0)
    for amount in exact:
        running += amount
        rounded = to_cents(running)
        parts.append(rounded - previous)
        previous = rounded
    return tuple(parts)


# --- The package ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VestingSchedule:
    yearly_percentages: tuple[Decimal, ...]
    cliff_months: int = 12
    frequency: Frequency = Frequency.QUARTERLY

    def __post_init__(self) -> None:
        if not self.yearly_percentages:
            raise CompensationError("vesting", "A vesting schedule needs at least one year.")
        if len(self.yearly_percentages) > MAX_YEARS:
            raise CompensationError("vesting", f"A vesting schedule is at most {MAX_YEARS} years.")
        if any(p < 0 for p in self.yearly_percentages):
            raise CompensationError("vesting", "A year cannot vest a negative percentage.")
        total = sum(self.yearly_percentages, Decimal(0))
        if total != HUNDRED:
            raise CompensationError(
                "vesting",
                f"The yearly vesting percentages add up to {total.normalize():f}%, not 100%.",
            )
        if self.cliff_months < 0:
            raise CompensationError("cliff_months", "A cliff cannot be negative.")
        if self.cliff_months > self.horizon_years * 12:
            raise CompensationError(
                "cliff_months",
                f"A cliff of {self.cliff_months} months is longer than the "
                f"{self.horizon_years}-year vesting horizon.",
            )

    @property
    def horizon_years(self) -> int:
        return len(self.yearly_percentages)

    @property
    def span_years(self) -> int:
        """The years from the grant to its last vesting: the schedule less any trailing years
        that vest nothing."""
        return max(i + 1 for i, p in enumerate(self.yearly_percentages) if p > 0)

    def vesting_events(self, quantity: Decimal) -> list[tuple[int, Decimal]]:
        """(month after the grant, exact part of `quantity`) for each vesting, the cliff
        applied. `quantity` is what the grant holds: shares, or an amount."""
        periods = self.frequency.periods_per_year
        events = []
        for year, percentage in enumerate(self.yearly_percentages):
            per_period = quantity * percentage / HUNDRED / periods
            for k in range(1, periods + 1):
                month = year * 12 + 12 * k // periods
                events.append((max(month, self.cliff_months), per_period))
        return events

    def vested_by(self, quantity: Decimal, month: int) -> Decimal:
        """How much of `quantity` has vested by the end of `month` months after the grant,
        exact."""
        return sum((part for at, part in self.vesting_events(quantity) if at <= month), Decimal(0))


# The schedules a recruiter picks in one click. A front-loaded or back-loaded schedule keeps
# the usual one-year cliff; 5/15/40/40 vests every six months after it.
STANDARD_SCHEDULES: dict[str, VestingSchedule] = {
    "4 years, 1-year cliff, then monthly": VestingSchedule(
        (Decimal(25),) * 4, cliff_months=12, frequency=Frequency.MONTHLY
    ),
    "5/15/40/40, 1-year cliff, then every 6 months": VestingSchedule(
        tuple(Decimal(p) for p in (5, 15, 40, 40)),
        cliff_months=12,
        frequency=Frequency.SEMI_ANNUALLY,
    ),
    "40/30/20/10, 1-year cliff, then quarterly": VestingSchedule(
        tuple(Decimal(p) for p in (40, 30, 20, 10)),
        cliff_months=12,
        frequency=Frequency.QUARTERLY,
    ),
}


def vesting_year(month: int) -> int:
    """The year (1-based) in which a vesting at the end of `month` falls."""
    return max(month - 1, 0) // 12 + 1


def payment_year(month: int) -> int:
    """The year (1-based) in which a payment made `month` months after the start falls."""
    return month // 12 + 1


@dataclass(frozen=True)
class Payment:
    month: int
    amount: Decimal


class Clawback(StrEnum):
    """How someone who leaves early repays a bonus: pro rata to the months left, or all of it;
    and whether the clawback period runs from each payment or from the start date."""

    PRO_RATA_FROM_PAYMENT = "pro_rata_from_payment"
    PRO_RATA_FROM_START = "pro_rata_from_start"
    ALL_FROM_PAYMENT = "all_from_payment"
    ALL_FROM_START = "all_from_start"

    @property
    def pro_rata(self) -> bool:
        return self in (Clawback.PRO_RATA_FROM_PAYMENT, Clawback.PRO_RATA_FROM_START)

    @property
    def from_start(self) -> bool:
        return self in (Clawback.PRO_RATA_FROM_START, Clawback.ALL_FROM_START)

    @property
    def label(self) -> str:
        return {
            "pro_rata_from_payment": "Pro rata by month, counted from each payment",
            "pro_rata_from_start": "Pro rata by month, counted from the start date",
            "all_from_payment": "All of it, counted from each payment",
            "all_from_start": "All of it, counted from the start date",
        }[self.value]

    def describe(self, months: int) -> str:
        """The term in a sentence, for the letter."""
        if not months:
            return "No clawback."
        clock = "the start date" if self.from_start else "each payment"
        if self.pro_rata:
            return (
                f"Repayable pro rata to the months left if you leave within {months} months "
                f"of {clock}."
            )
        return f"Repayable in full if you leave within {months} months of {clock}."


@dataclass(frozen=True)
class Bonus:
    """A signing or retention bonus: one or more payments, and a clawback period and its
    convention."""

    payments: tuple[Payment, ...]
    clawback_months: int = 0
    clawback: Clawback = Clawback.PRO_RATA_FROM_PAYMENT

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    def repayable_if_leaving_at(self, month: int) -> Decimal:
        """What the person owes back on leaving `month` months after the start (month 0 is
        the start date), to the cent. Only payments received by then are repaid. The clock of
        each runs from its payment or from the start; within the period, pro rata repays the
        part of the months left (all of it in the month of the clock's start), "all" repays
        the whole payment."""
        months = self.clawback_months
        if months <= 0:
            return Decimal(0)
        owed = Decimal(0)
        for payment in self.payments:
            if month < payment.month:
                continue  # not paid yet
            elapsed = month - (0 if self.clawback.from_start else payment.month)
            if elapsed < months:
                owed += (
                    payment.amount * (months - elapsed) / months
                    if self.clawback.pro_rata
                    else payment.amount
                )
        return to_cents(owed)

    @property
    def clawback_ends(self) -> int:
        """The first month from which nothing is repaid."""
        if self.clawback_months <= 0 or not self.payments:
            return 0
        if self.clawback.from_start:
            return self.clawback_months
        return max(p.month for p in self.payments) + self.clawback_months


@dataclass(frozen=True)
class RepaymentRow:
    """Leaving in any month from `first` to `last` (months after the start) repays `owed`."""

    first: int
    last: int
    owed: Decimal


def repayment_schedule(*bonuses: Bonus | None) -> list[RepaymentRow]:
    """What leaving in each month repays of `bonuses` together, months that repay the same
    amount run together; months that repay nothing are left out."""
    kept = [b for b in bonuses if b is not None]
    end = max((b.clawback_ends for b in kept), default=0)
    rows: list[RepaymentRow] = []
    for month in range(end):
        owed = sum((b.repayable_if_leaving_at(month) for b in kept), Decimal(0))
        if owed == 0:
            continue
        if rows and rows[-1].owed == owed and rows[-1].last == month - 1:
            rows[-1] = RepaymentRow(rows[-1].first, month, owed)
        else:
            rows.append(RepaymentRow(month, month, owed))
    return rows


@dataclass(frozen=True)
class Exposure:
    """A package's clawback exposure: the most its holder could have to repay, and from which
    month nothing is repaid (0: nothing ever is)."""

    most: Decimal
    ends: int


def clawback_exposure(package: Package) -> Exposure:
    rows = repayment_schedule(package.signing_bonus, package.retention_bonus)
    if not rows:
        return Exposure(Decimal(0), 0)
    return Exposure(max(row.owed for row in rows), rows[-1].last + 1)


@dataclass(frozen=True)
class Scenario:
    """A path of the share price: `growth_percent` a year (-30, 0, 20...), compounded."""

    name: str
    growth_percent: Decimal = Decimal(0)

    def price_factor(self, year: int) -> Decimal:
        """What the price is multiplied by for what vests in `year` (1-based): 1 in year 1."""
        step, factor = 1 + self.growth_percent / HUNDRED, Decimal(1)
        for _ in range(year - 1):  # Decimal's 0 ** 0 is no number: multiply out instead
            factor *= step
        return factor


FLAT = Scenario("flat")


@dataclass(frozen=True)
class EquityGrant:
    """`shares` shares (options, units) at `price` per share on `basis`, made `grant_month`
    months after the start and vesting from then on `vesting`."""

    shares: Decimal
    price: Decimal
    vesting: VestingSchedule
    kind: EquityKind = EquityKind.RSU
    basis: PriceBasis = PriceBasis.MARKET
    strike: Decimal = Decimal(0)  # options: what exercising one costs
    fair_value: Decimal | None = None  # options: a fair value per option, instead of the spread
    cap: Decimal | None = None  # profit units: the most one unit can be worth
    grant_month: int = 0

    @classmethod
    def of_value(
        cls,
        value: Decimal,
        vesting: VestingSchedule,
        kind: str = EquityKind.RSU,
        *,
        grant_month: int = 0,
    ) -> EquityGrant:
        """A grant recorded as an amount: `value` units at 1.00 on the recorded basis."""
        return cls(
            shares=value,
            price=Decimal(1),
            vesting=vesting,
            kind=EquityKind(kind),
            basis=PriceBasis.RECORDED,
            grant_month=grant_month,
        )

    def value_per_share(self, factor: Decimal = Decimal(1)) -> Decimal:
        """What one share is worth with the price multiplied by `factor`, exact. An option is
        its spread, never below zero, unless a fair value is given (which then moves with the
        price); a profit unit stops at its cap."""
        price = self.price * factor
        if self.kind == EquityKind.OPTIONS:
            if self.fair_value is not None:
                return self.fair_value * factor
            return max(price - self.strike, Decimal(0))
        if self.kind == EquityKind.PROFIT_UNITS and self.cap is not None:
            return min(price, self.cap)
        return price

    @property
    def value(self) -> Decimal:
        """The grant at its price, to the cent."""
        return to_cents(self.shares * self.value_per_share())

    @property
    def annualised(self) -> Decimal:
        """What the grant is worth a year at its price, over its own vesting (exact): a grant
        of 4,000 vesting over four years is 1,000 a year, and so is one of 8,000 over eight."""
        return self.shares * self.value_per_share() / self.vesting.span_years

    def vesting_months(self) -> list[int]:
        """The months after the start at which it vests."""
        return [self.grant_month + at for at, _ in self.vesting.vesting_events(Decimal(1))]

    def vested_shares_by(self, month: int) -> Decimal:
        """Shares vested by the end of `month` months after the start, exact."""
        return self.vesting.vested_by(self.shares, month - self.grant_month)

    def check(self) -> None:
        if self.basis == PriceBasis.RECORDED:
            check_amount(self.shares, "equity")  # an amount as it was typed, 1.00 a unit
        else:
            check_quantity(self.shares, "shares", limit=MAX_SHARES, what="a number of shares")
        check_quantity(self.price, "price", limit=MAX_PRICE, what="a price")
        check_quantity(self.strike, "strike", limit=MAX_PRICE, what="a strike price")
        if self.strike and self.kind != EquityKind.OPTIONS:
            raise CompensationError("strike", "Only options have a strike price.")
        if self.fair_value is not None:
            if self.kind != EquityKind.OPTIONS:
                raise CompensationError("fair_value", "Only options have a fair value.")
            check_quantity(self.fair_value, "fair_value", limit=MAX_PRICE, what="a fair value")
        if self.cap is not None:
            if self.kind != EquityKind.PROFIT_UNITS:
                raise CompensationError("cap", "Only profit units have a cap.")
            check_quantity(self.cap, "cap", limit=MAX_PRICE, what="a cap")
        if not 0 <= self.grant_month <= MAX_MONTHS:
            raise CompensationError(
                "grant_month", f"A grant is made within {MAX_MONTHS} months of the start."
            )
        if self.shares * self.value_per_share() > MAX_AMOUNT:
            raise CompensationError("equity", f"A grant cannot be worth more than {MAX_AMOUNT:,}.")


def grant_on_basis(
    basis: str,
    price: Decimal,
    vesting: VestingSchedule,
    *,
    kind: str,
    value: Decimal | None,
    shares: Decimal | None,
    strike: Decimal = Decimal(0),
    fair_value: Decimal | None = None,
    cap: Decimal | None = None,
    grant_month: int = 0,
) -> EquityGrant:
    """A grant as a package holds it: on the "recorded" basis an amount, `value`; on a price
    basis `shares` at `price`. The one way both a saved grant and one being typed become the
    engine's; refuses, naming the field, the one the basis needs when it is missing."""
    if basis == PriceBasis.RECORDED:
        if value is None:
            raise CompensationError("equity", "Enter what the grant is worth.")
        return EquityGrant.of_value(value, vesting, kind, grant_month=grant_month)
    if shares is None:
        raise CompensationError("shares", "Enter the number of shares granted.")
    return EquityGrant(
        shares=shares,
        price=price,
        vesting=vesting,
        kind=EquityKind(kind),
        basis=PriceBasis(basis),
        strike=strike,
        fair_value=fair_value,
        cap=cap,
        grant_month=grant_month,
    )


@dataclass(frozen=True)
class OtherAmount:
    name: str
    amount: Decimal
    year: int = 1


@dataclass(frozen=True)
class Package:
    currency: str
    base_salary: Decimal = Decimal(0)
    target_bonus_percent: Decimal = Decimal(0)
    signing_bonus: Bonus | None = None
    equity: tuple[EquityGrant, ...] = ()
    retention_bonus: Bonus | None = None
    relocation: Decimal = Decimal(0)
    other: tuple[OtherAmount, ...] = ()

    def check(self) -> None:
        check_amount(self.base_salary, "base_salary")
        if not (0 <= self.target_bonus_percent <= MAX_BONUS_PERCENT):
            raise CompensationError(
                "target_bonus_percent", "A target bonus is between 0% and 200% of base."
            )
        for name, bonus in (
            ("signing_bonus", self.signing_bonus),
            ("retention_bonus", self.retention_bonus),
        ):
            if bonus is None:
                continue
            for payment in bonus.payments:
                check_amount(payment.amount, name)
                if payment.month < 0:
                    raise CompensationError(name, "A payment cannot be made before the start.")
                if payment.month > MAX_MONTHS:
                    raise CompensationError(
                        name, f"A payment is made within {MAX_MONTHS} months of the start."
                    )
            if not 0 <= bonus.clawback_months <= MAX_MONTHS:
                raise CompensationError(
                    name, f"A clawback period is between 0 and {MAX_MONTHS} months."
                )
            if not isinstance(bonus.clawback, Clawback):
                raise CompensationError(name, "Choose how the bonus is clawed back.")
        for grant in self.equity:
            grant.check()
        check_amount(self.relocation, "relocation")
        for other in self.other:
            check_amount(other.amount, "other")
            if not 1 <= other.year <= MAX_YEARS:
                raise CompensationError(
                    "other", f"{other.name}: the year is between 1 and {MAX_YEARS}."
                )

    @property
    def horizon_years(self) -> int:
        """The years needed to show everything the package pays: at least one."""
        years = [1]
        years += [payment_year(g.grant_month) - 1 + g.vesting.horizon_years for g in self.equity]
        years += [vesting_year(month) for g in self.equity for month in g.vesting_months()]
        for bonus in (self.signing_bonus, self.retention_bonus):
            if bonus is not None:
                years += [payment_year(p.month) for p in bonus.payments]
        years += [o.year for o in self.other]
        return max(years)


# --- Valuing it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class YearlyCompensation:
    """What a package pays in each year of its horizon, by component, in one currency."""

    currency: str
    by_component: dict[str, tuple[Decimal, ...]] = field(default_factory=dict)

    @property
    def years(self) -> int:
        return len(next(iter(self.by_component.values()), (Decimal(0),)))

    @property
    def yearly_totals(self) -> tuple[Decimal, ...]:
        return tuple(
            sum((amounts[i] for amounts in self.by_component.values()), Decimal(0))
            for i in range(self.years)
        )

    @property
    def year_one(self) -> Decimal:
        return self.yearly_totals[0]

    @property
    def total(self) -> Decimal:
        return sum(self.yearly_totals, Decimal(0))

    @property
    def annual_average(self) -> Decimal:
        return to_cents(self.total / self.years)

    def component_total(self, component: str) -> Decimal:
        return sum(self.by_component.get(component, ()), Decimal(0))

    def _part(self, components: tuple[Component, ...]) -> tuple[Decimal, ...]:
        return tuple(
            sum(
                (self.by_component[c][i] for c in components if c in self.by_component),
                Decimal(0),
            )
            for i in range(self.years)
        )

    @property
    def recurring(self) -> tuple[Decimal, ...]:
        """Each year's recurring pay: base salary, target bonus, equity vesting."""
        return self._part(RECURRING)

    @property
    def one_time(self) -> tuple[Decimal, ...]:
        """Each year's one-time pay: signing and retention bonuses, relocation, other."""
        return self._part(ONE_TIME)

    def first(self, years: int) -> YearlyCompensation:
        """The first `years` years only."""
        return YearlyCompensation(
            self.currency, {name: a[:years] for name, a in self.by_component.items()}
        )


def _by_year(items: Iterable[tuple[int, Decimal]], years: int) -> list[Decimal]:
    amounts = [Decimal(0)] * years
    for year, amount in items:
        amounts[year - 1] += amount
    return amounts


def _equity_vestings(
    package: Package, scenario: Scenario
) -> list[tuple[EquityGrant, int, Decimal]]:
    """(grant, year, exact amount) of each vesting, at the scenario's price for its year."""
    vestings = []
    for grant in package.equity:
        for at, shares in grant.vesting.vesting_events(grant.shares):
            year = vesting_year(grant.grant_month + at)
            vestings.append(
                (grant, year, shares * grant.value_per_share(scenario.price_factor(year)))
            )
    return vestings


def _years_for(package: Package, years: int | None) -> int:
    package.check()
    needed = package.horizon_years
    if years is None:
        return needed
    if years < needed:
        raise CompensationError(
            "horizon", f"This package pays over {needed} years; it cannot be shown over {years}."
        )
    return years


def _check_scenario(scenario: Scenario) -> None:
    growth = scenario.growth_percent
    if not growth.is_finite() or not -HUNDRED <= growth <= MAX_GROWTH_PERCENT:
        raise CompensationError(
            "scenarios",
            f"{scenario.name}: a share price moves between -100% and {MAX_GROWTH_PERCENT}% a year.",
        )


def compute(
    package: Package, *, years: int | None = None, scenario: Scenario = FLAT
) -> YearlyCompensation:
    """Values `package` over its horizon (or over `years`, to compare it with a longer one),
    its equity at the prices of `scenario` (flat: the grants' own prices)."""
    years = _years_for(package, years)
    _check_scenario(scenario)
    base = package.base_salary
    exact: dict[str, list[Decimal]] = {
        Component.BASE_SALARY: [base] * years,
        Component.TARGET_BONUS: [base * package.target_bonus_percent / HUNDRED] * years,
        Component.SIGNING_BONUS: _by_year(
            ((payment_year(p.month), p.amount) for p in package.signing_bonus.payments)
            if package.signing_bonus
            else (),
            years,
        ),
        Component.EQUITY: _by_year(
            ((year, amount) for _, year, amount in _equity_vestings(package, scenario)), years
        ),
        Component.RETENTION_BONUS: _by_year(
            ((payment_year(p.month), p.amount) for p in package.retention_bonus.payments)
            if package.retention_bonus
            else (),
            years,
        ),
        Component.RELOCATION: _by_year([(1, package.relocation)], years),
        Component.OTHER: _by_year(((o.year, o.amount) for o in package.other), years),
    }
    return YearlyCompensation(
        currency=package.currency,
        by_component={name: spread_to_cents(amounts) for name, amounts in exact.items()},
    )


@dataclass(frozen=True)
class ScenarioValuation:
    """A package under one scenario: what it pays, its equity at the scenario's prices, and
    apart from that the liquidity discount on its illiquid equity, year by year."""

    scenario: Scenario
    compensation: YearlyCompensation
    liquidity_discount: tuple[Decimal, ...]

    @property
    def discount_total(self) -> Decimal:
        return sum(self.liquidity_discount, Decimal(0))

    @property
    def yearly_after_discount(self) -> tuple[Decimal, ...]:
        return tuple(
            total - discount
            for total, discount in zip(
                self.compensation.yearly_totals, self.liquidity_discount, strict=True
            )
        )

    @property
    def total_after_discount(self) -> Decimal:
        return self.compensation.total - self.discount_total


def value_scenarios(
    package: Package,
    scenarios: Sequence[Scenario],
    *,
    discounts: Mapping[PriceBasis, Decimal] | None = None,
    years: int | None = None,
) -> list[ScenarioValuation]:
    """The package under each scenario. `discounts` gives a liquidity discount in percent per
    price basis; only illiquid bases take one."""
    discounts = discounts or {}
    for basis, percent in discounts.items():
        if not percent.is_finite() or not 0 <= percent <= HUNDRED:
            raise CompensationError(
                "liquidity_discount", f"A liquidity discount ({basis}) is between 0% and 100%."
            )
    years = _years_for(package, years)
    valued = []
    for scenario in scenarios:
        compensation = compute(package, years=years, scenario=scenario)
        taken = (
            (year, amount * discounts.get(grant.basis, Decimal(0)) / HUNDRED)
            for grant, year, amount in _equity_vestings(package, scenario)
            if not grant.basis.liquid
        )
        valued.append(
            ScenarioValuation(scenario, compensation, spread_to_cents(_by_year(taken, years)))
        )
    return valued


def convert(
    compensation: YearlyCompensation, *, rate: Decimal, currency: str
) -> YearlyCompensation:
    """The same compensation in `currency`, at `rate` units of it per unit of the original.

    Each yearly amount is converted and rounded to the cent on its own, so converting back
    gives every amount again to within a cent; the converted total is the sum of the converted
    years, as always.
    """
    if not rate.is_finite() or rate <= 0:
        raise CompensationError("rate", "An exchange rate is a positive number.")
    if currency == compensation.currency:
        return compensation
    return YearlyCompensation(
        currency=currency,
        by_component={
            name: tuple(to_cents(amount * rate) for amount in amounts)
            for name, amounts in compensation.by_component.items()
        },
    )


# --- Against a band ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BandBasis:
    """A package's pay a year on a basis the shape of its schedules cannot move: recurring pay
    (base, target bonus, each grant annualised over its own vesting) and one-time pay
    (signing and retention bonuses, relocation, other amounts) spread evenly over a fixed
    horizon."""

    currency: str
    recurring: Decimal  # a year, to the cent
    one_time: Decimal  # in all
    horizon_years: int

    @property
    def one_time_annual(self) -> Decimal:
        return to_cents(self.one_time / self.horizon_years)

    @property
    def annual(self) -> Decimal:
        """Recurring pay and the one-time pay amortised: what the band's total is held to."""
        return self.recurring + self.one_time_annual

    def converted(self, rate: Decimal, currency: str) -> BandBasis:
        if currency == self.currency:
            return self
        return BandBasis(
            currency,
            to_cents(self.recurring * rate),
            to_cents(self.one_time * rate),
            self.horizon_years,
        )


def band_basis(package: Package, *, horizon_years: int = COMPARISON_YEARS) -> BandBasis:
    """`package` a year, normalised (BandBasis), one-time pay over `horizon_years`."""
    if not 1 <= horizon_years <= MAX_YEARS:
        raise CompensationError("horizon", f"A band horizon is 1 to {MAX_YEARS} years.")
    package.check()
    base = package.base_salary
    recurring = base + base * package.target_bonus_percent / HUNDRED
    recurring += sum((grant.annualised for grant in package.equity), Decimal(0))
    one_time = package.relocation + sum((o.amount for o in package.other), Decimal(0))
    for bonus in (package.signing_bonus, package.retention_bonus):
        if bonus is not None:
            one_time += bonus.total
    return BandBasis(package.currency, to_cents(recurring), to_cents(one_time), horizon_years)


# --- Comparing two packages ------------------------------------------------------------------


class Measure(StrEnum):
    """What "more" means when two packages are compared: what the first year pays, the
    yearly average over the horizon of both, or what years one to four pay together."""

    YEAR_ONE = "year_one"
    ANNUAL_AVERAGE = "annual_average"
    FOUR_YEAR_TOTAL = "four_year_total"

    @property
    def label(self) -> str:
        return {
            "year_one": "year one",
            "annual_average": "annual average",
            "four_year_total": "four-year total",
        }[self.value]


@dataclass(frozen=True)
class Gap:
    """Theirs against ours on one measure: positive when theirs pays more."""

    ours: Decimal
    theirs: Decimal

    @property
    def amount(self) -> Decimal:
        return self.theirs - self.ours

    @property
    def percent(self) -> Decimal | None:
        """The gap as a percentage of ours, to 0.1; None when ours pays nothing."""
        if self.ours == 0:
            return None
        return (self.amount / self.ours * HUNDRED).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def more_percent(self) -> Decimal | None:
        """How much more the side that pays more pays, as a percentage of what the other side
        pays ("they pay 20% more", "we pay 25% more"), to 0.1; None when the other pays
        nothing."""
        lower = min(self.ours, self.theirs)
        if lower == 0:
            return None
        return (abs(self.amount) / lower * HUNDRED).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class PackageComparison:
    """Two packages valued over the same years in the same currency: at least
    COMPARISON_YEARS, and `horizon`, the longer of their own horizons, for the annual average
    and the horizon total."""

    ours: YearlyCompensation
    theirs: YearlyCompensation
    horizon: int = 0  # 0: all the years given

    def __post_init__(self) -> None:
        if self.ours.currency != self.theirs.currency or self.ours.years != self.theirs.years:
            raise ValueError("Compare packages in one currency over the same years.")
        if not 0 <= self.horizon <= self.ours.years:
            raise ValueError("The horizon is within the years compared.")

    @property
    def years(self) -> int:
        """The years shown side by side."""
        return self.ours.years

    @property
    def horizon_years(self) -> int:
        return self.horizon or self.years

    @property
    def year_one(self) -> Gap:
        return Gap(self.ours.year_one, self.theirs.year_one)

    @property
    def annual_average(self) -> Gap:
        n = self.horizon_years
        return Gap(self.ours.first(n).annual_average, self.theirs.first(n).annual_average)

    @property
    def total(self) -> Gap:
        """Over the horizon of both."""
        n = self.horizon_years
        return Gap(self.ours.first(n).total, self.theirs.first(n).total)

    @property
    def four_year_total(self) -> Gap:
        n = COMPARISON_YEARS
        if self.years < n:
            raise ValueError(f"A four-year total needs {n} years compared.")
        return Gap(self.ours.first(n).total, self.theirs.first(n).total)

    def gap(self, measure: Measure) -> Gap:
        if measure == Measure.YEAR_ONE:
            return self.year_one
        if measure == Measure.FOUR_YEAR_TOTAL:
            return self.four_year_total
        return self.annual_average

    def drivers(self, measure: Measure) -> list[tuple[str, Decimal]]:
        """Each component's share of the gap on `measure` (theirs minus ours), the largest
        first by size; components that are equal are left out. The shares add up to the gap,
        to within a cent per component on the annual average."""

        def on(compensation: YearlyCompensation, component: str) -> Decimal:
            amounts = compensation.by_component.get(component, ())
            if measure == Measure.YEAR_ONE:
                return amounts[0] if amounts else Decimal(0)
            if measure == Measure.FOUR_YEAR_TOTAL:
                return sum(amounts[:COMPARISON_YEARS], Decimal(0))
            n = self.horizon_years
            return to_cents(sum(amounts[:n], Decimal(0)) / n)

        shares = [
            (component.value, on(self.theirs, component) - on(self.ours, component))
            for component in Component
        ]
        return sorted(
            ((name, share) for name, share in shares if share != 0),
            key=lambda item: abs(item[1]),
            reverse=True,
        )


def compare(
    ours: Package,
    theirs: Package,
    *,
    currency: str,
    rate_ours: Decimal = Decimal(1),
    rate_theirs: Decimal = Decimal(1),
) -> PackageComparison:
    """Values both packages over the longer of their horizons (and at least COMPARISON_YEARS)
    and converts them to `currency` (at `rate_*` units of it per unit of each package's
    currency). Beyond a package's own horizon it pays its base salary and target bonus."""
    horizon = max(ours.horizon_years, theirs.horizon_years)
    years = max(horizon, COMPARISON_YEARS)
    return PackageComparison(
        convert(compute(ours, years=years), rate=rate_ours, currency=currency),
        convert(compute(theirs, years=years), rate=rate_theirs, currency=currency),
        horizon,
    )
