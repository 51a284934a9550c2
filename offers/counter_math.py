"""The counter-offer's arithmetic, pure: the smallest additions, lever by lever, that make our
package beat theirs by a margin on a measure without losing year one or the four-year total by
more than the margin, within a band; and the clawback a larger bonus comes with.

It works on any kind of terms (`T`): an offer's terms as typed (offers.counter) or an engine
package read from a file (`manage.py value_package --against`); the caller gives the levers
that add to them and how to value them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Generic, TypeVar

from . import compensation as engine

T = TypeVar("T")

SIGNING_BONUS, EQUITY, BASE_SALARY = "signing_bonus", "equity", "base_salary"
DEFAULT_ORDER = (SIGNING_BONUS, EQUITY, BASE_SALARY)
STEP = Decimal(1000)  # suggestions are whole thousands in our package's currency
PROBE = Decimal(1_000_000)  # the amount a lever's effect is measured with
# How sure we are of a competing offer, from least to most (CompetingOffer.Confidence).
CERTAINTIES = ("rumoured", "verbal", "written", "verified")


def credible(certainty: str, lowest: str) -> bool:
    """Whether an offer this certain counts, `lowest` being the least certain that does."""
    return CERTAINTIES.index(certainty) >= CERTAINTIES.index(lowest)


# The measures a suggestion must not lose by more than the margin, whatever it answers on.
GUARDED = (engine.Measure.YEAR_ONE, engine.Measure.FOUR_YEAR_TOTAL)


@dataclass(frozen=True)
class BandLimits:
    """The band's max total a year and max base, in our package's currency, and the horizon
    one-time pay is spread over."""

    total_max: Decimal
    base_max: Decimal
    horizon_years: int


@dataclass(frozen=True)
class Problem(Generic[T]):
    start: T
    to_package: Callable[[T], engine.Package]
    levers: Mapping[str, Callable[[T, Decimal], T]]
    order: Sequence[str]
    theirs: engine.Package
    currency: str  # of the comparison
    rate_ours: Decimal
    rate_theirs: Decimal
    measure: engine.Measure
    margin_percent: Decimal
    band: BandLimits | None = None  # None: no band, or going above it is allowed


@dataclass(frozen=True)
class Answer(Generic[T]):
    terms: T
    changes: tuple[tuple[str, Decimal], ...]  # (lever, amount added)
    answered: tuple[engine.Measure, ...]
    before: engine.PackageComparison
    after: engine.PackageComparison
    # Still short of beating theirs by the margin, on each measure answered.
    short_by: tuple[tuple[engine.Measure, Decimal], ...]
    # What the measure alone would have taken, and the guarded measure it would have lost.
    alone: tuple[tuple[str, Decimal], ...] = ()
    alone_lost: tuple[engine.Measure, engine.Gap] | None = None

    @property
    def beats(self) -> bool:
        return not self.short_by

    @property
    def nothing_to_do(self) -> bool:
        return not self.changes and not self.short_by


def solve(problem: Problem[T]) -> Answer[T]:
    """The additions, lever by lever in `problem.order`, each as far as it needs to go or the
    band allows (its total a year on the band basis under the max total, the base under the
    max base), rounded up to STEP. Each measure is linear in each lever: the amount is worked
    out from the lever's effect on the measure and checked on the whole package."""
    p = problem
    up = 1 + p.margin_percent / 100

    def money(terms: T) -> engine.PackageComparison:
        return engine.compare(
            p.to_package(terms),
            p.theirs,
            currency=p.currency,
            rate_ours=p.rate_ours,
            rate_theirs=p.rate_theirs,
        )

    before = money(p.start)

    def goals_for(measures: Sequence[engine.Measure]) -> dict[engine.Measure, Decimal]:
        return {m: engine.to_cents(before.gap(m).theirs * up) for m in measures}

    def missing(terms: T, goals: dict[engine.Measure, Decimal]) -> dict[engine.Measure, Decimal]:
        now = money(terms)
        return {m: goal - now.gap(m).ours for m, goal in goals.items()}

    def band_annual(terms: T) -> Decimal:
        assert p.band is not None
        return engine.band_basis(p.to_package(terms), horizon_years=p.band.horizon_years).annual

    def cap(terms: T, lever: str) -> Decimal | None:
        if p.band is None:
            return None
        limits = []
        per_unit = (band_annual(p.levers[lever](terms, PROBE)) - band_annual(terms)) / PROBE
        if per_unit > 0:
            limits.append(max(p.band.total_max - band_annual(terms), Decimal(0)) / per_unit)
        if lever == BASE_SALARY:
            base = p.to_package(terms).base_salary
            limits.append(max(p.band.base_max - base, Decimal(0)))
        return min(limits) if limits else None

    def answer(goals: dict[engine.Measure, Decimal]) -> tuple[T, list[tuple[str, Decimal]]]:
        terms, changes = p.start, []
        for lever in p.order:
            short = {m: v for m, v in missing(terms, goals).items() if v > 0}
            if not short:
                break
            now, probe = money(terms), money(p.levers[lever](terms, PROBE))
            needed = []
            for m, amount in short.items():
                effect = (probe.gap(m).ours - now.gap(m).ours) / PROBE
                if effect > 0:  # e.g. equity vesting after year one does nothing for year one
                    needed.append(amount / effect)
            if not needed:
                continue
            amount = (max(needed) / STEP).to_integral_value(ROUND_CEILING) * STEP
            limit = cap(terms, lever)
            if limit is not None and amount > limit:
                amount = (limit / STEP).to_integral_value(ROUND_FLOOR) * STEP
            if amount <= 0:
                continue
            trial = p.levers[lever](terms, amount)
            # Linear in the lever, but each year is rounded to the cent: a step more if that
            # left it short.
            for _ in range(3):
                if max(missing(trial, goals).values()) <= 0 or (
                    limit is not None and amount + STEP > limit
                ):
                    break
                amount += STEP
                trial = p.levers[lever](terms, amount)
            terms = trial
            changes.append((lever, amount))
        return terms, changes

    def lost(terms: T, answered: Sequence[engine.Measure]) -> list[engine.Measure]:
        now = money(terms)
        return [
            m
            for m in GUARDED
            if m not in answered and now.gap(m).theirs > engine.to_cents(now.gap(m).ours * up)
        ]

    answered = [p.measure]
    terms, changes = answer(goals_for(answered))
    alone: tuple[tuple[str, Decimal], ...] = ()
    alone_lost: tuple[engine.Measure, engine.Gap] | None = None
    if losing := lost(terms, answered):
        if max(missing(terms, goals_for(answered)).values()) <= 0:
            # The measure alone was met, at the cost of the other: say what it would have been.
            alone = tuple(changes)
            alone_lost = (losing[0], money(terms).gap(losing[0]))
        answered += losing
        terms, changes = answer(goals_for(answered))
    goals = goals_for(answered)
    short_by = tuple((m, amount) for m, amount in missing(terms, goals).items() if amount > 0)
    return Answer(
        terms,
        tuple(changes),
        tuple(answered),
        before,
        money(terms),
        short_by,
        alone,
        alone_lost,
    )


# --- The clawback that comes with a larger bonus --------------------------------------------


@dataclass(frozen=True)
class ClawbackProposal:
    """A year of clawback per year of recurring pay the bonus is worth, at least 12 months, at
    most the band horizon; pro rata by month from each payment, unless the bonus already
    repaid all of it."""

    months: int
    terms: engine.Clawback
    was_months: int
    was_terms: engine.Clawback
    total: Decimal  # the bonus
    recurring: Decimal  # recurring pay a year
    repayments: tuple[engine.RepaymentRow, ...]

    @property
    def years_of_pay(self) -> Decimal | None:
        if not self.recurring:
            return None
        return (self.total / self.recurring).quantize(Decimal("0.1"))


def propose_clawback(
    bonus: engine.Bonus, recurring: Decimal, *, was: engine.Bonus | None, horizon_years: int
) -> ClawbackProposal:
    """The clawback for `bonus` (its payments as suggested) in a package paying `recurring` a
    year; `was` is the bonus as it stood."""
    longest = horizon_years * 12
    years = (bonus.total / recurring).to_integral_value(ROUND_CEILING) if recurring else longest
    was_months = was.clawback_months if was else 0
    was_terms = was.clawback if was else engine.Clawback.PRO_RATA_FROM_PAYMENT
    months = int(min(longest, max(12, 12 * years, was_months)))
    convention = (
        was_terms
        if not was_terms.pro_rata and was_months
        else engine.Clawback.PRO_RATA_FROM_PAYMENT
    )
    proposed = replace(bonus, clawback_months=months, clawback=convention)
    return ClawbackProposal(
        months,
        convention,
        was_months,
        was_terms,
        bonus.total,
        recurring,
        tuple(engine.repayment_schedule(proposed)),
    )


# --- Levers on an engine package (a package read from a file) --------------------------------


def add_signing(package: engine.Package, amount: Decimal) -> engine.Package:
    """More signing bonus, paid at the start."""
    bonus = package.signing_bonus or engine.Bonus(())
    payments = [*bonus.payments, engine.Payment(0, amount)]
    merged: dict[int, Decimal] = {}
    for payment in payments:
        merged[payment.month] = merged.get(payment.month, Decimal(0)) + payment.amount
    rows = tuple(engine.Payment(m, a) for m, a in sorted(merged.items()))
    return replace(package, signing_bonus=replace(bonus, payments=rows))


def add_equity(package: engine.Package, amount: Decimal) -> engine.Package:
    """More equity worth `amount`: whole shares more of the first grant at its value a share,
    rounded up, or a new four-year grant recorded at its value."""
    if package.equity:
        first, *rest = package.equity
        per_share = first.value_per_share()
        if per_share <= 0:
            return package
        more = (amount / per_share).to_integral_value(rounding=ROUND_CEILING)
        if first.basis == engine.PriceBasis.RECORDED:
            more = amount
        return replace(package, equity=(replace(first, shares=first.shares + more), *rest))
    grant = engine.EquityGrant.of_value(amount, engine.VestingSchedule((Decimal(25),) * 4))
    return replace(package, equity=(grant,))


def add_base(package: engine.Package, amount: Decimal) -> engine.Package:
    return replace(package, base_salary=package.base_salary + amount)


PACKAGE_LEVERS: dict[str, Callable[[engine.Package, Decimal], engine.Package]] = {
    SIGNING_BONUS: add_signing,
    EQUITY: add_equity,
    BASE_SALARY: add_base,
}
