"""Decisions over the whole package, hand-computed: clawback conventions and their repayment
schedules, the band basis (recurring pay, one-time pay amortised), and comparisons over years
one to four, with the packages of the talent war."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offers.compensation import (
    Bonus,
    Clawback,
    CompensationError,
    EquityGrant,
    Measure,
    OtherAmount,
    Package,
    Payment,
    RepaymentRow,
    VestingSchedule,
    band_basis,
    clawback_exposure,
    compare,
    repayment_schedule,
)

from .test_compensation import packages, percentages

M = Decimal(1_000_000)
K = Decimal(1_000)
FOUR_EVEN = VestingSchedule((Decimal(25),) * 4)

# The Meta-like package of the talent war, and a strong but ordinary one.
META_LIKE = Package(
    currency="USD",
    base_salary=2 * M,
    equity=(EquityGrant.of_value(32 * M, FOUR_EVEN),),
    signing_bonus=Bonus((Payment(0, 100 * M),), clawback_months=12),
)
ORDINARY = Package(
    currency="USD",
    base_salary=400 * K,
    target_bonus_percent=Decimal(15),
    equity=(EquityGrant.of_value(Decimal("3.2") * M, FOUR_EVEN),),
    signing_bonus=Bonus((Payment(0, 500 * K),), clawback_months=12),
)


# --- Clawback conventions -------------------------------------------------------------------


def test_pro_rata_from_each_payment_repays_the_months_left_of_each():
    bonus = Bonus((Payment(0, 1200 * K), Payment(12, 1200 * K)), 12)

    # Leaving in month 3: 9 of the first payment's 12 months are left; the second is unpaid.
    assert bonus.repayable_if_leaving_at(3) == 900 * K
    # Month 12: the first payment's clock has run out; the second was just paid, all of it.
    assert bonus.repayable_if_leaving_at(12) == 1200 * K
    # Month 20: 4 of the second payment's 12 months are left.
    assert bonus.repayable_if_leaving_at(20) == 400 * K
    assert bonus.repayable_if_leaving_at(24) == 0
    assert bonus.clawback_ends == 24


def test_all_of_it_within_12_months_is_a_cliff():
    bonus = Bonus((Payment(0, 100 * M),), 12, Clawback.ALL_FROM_PAYMENT)

    assert bonus.repayable_if_leaving_at(0) == 100 * M
    assert bonus.repayable_if_leaving_at(11) == 100 * M
    assert bonus.repayable_if_leaving_at(12) == 0
    assert repayment_schedule(bonus) == [RepaymentRow(0, 11, 100 * M)]


def test_a_clock_from_the_start_date_runs_for_later_payments_too():
    # 600k at the start and 600k at month 6, repayable pro rata within 12 months of the start.
    bonus = Bonus((Payment(0, 600 * K), Payment(6, 600 * K)), 12, Clawback.PRO_RATA_FROM_START)

    # Month 3: 9/12 of the first; the second is not paid yet.
    assert bonus.repayable_if_leaving_at(3) == 450 * K
    # Month 6: 6/12 of each (from payment, the second would be repaid in full).
    assert bonus.repayable_if_leaving_at(6) == 600 * K
    assert Bonus(bonus.payments, 12).repayable_if_leaving_at(6) == 900 * K
    # Month 12: nothing, though the second payment is only six months old.
    assert bonus.repayable_if_leaving_at(12) == 0
    assert bonus.clawback_ends == 12


def test_all_from_the_start_repays_only_what_was_paid():
    bonus = Bonus((Payment(0, 300 * K), Payment(6, 300 * K)), 9, Clawback.ALL_FROM_START)

    assert repayment_schedule(bonus) == [
        RepaymentRow(0, 5, 300 * K),
        RepaymentRow(6, 8, 600 * K),
    ]


def test_the_repayment_schedule_of_a_pro_rata_bonus_falls_each_month():
    bonus = Bonus((Payment(0, 120 * K),), 4)

    assert repayment_schedule(bonus) == [
        RepaymentRow(0, 0, 120 * K),
        RepaymentRow(1, 1, 90 * K),
        RepaymentRow(2, 2, 60 * K),
        RepaymentRow(3, 3, 30 * K),
    ]


def test_the_exposure_is_the_most_repayable_and_when_it_ends():
    exposure = clawback_exposure(META_LIKE)

    assert exposure.most == 100 * M
    assert exposure.ends == 12
    assert clawback_exposure(Package("USD", base_salary=M)).most == 0


def test_the_letter_says_each_convention_in_words():
    assert Clawback.ALL_FROM_START.describe(12) == (
        "Repayable in full if you leave within 12 months of the start date."
    )
    assert Clawback.PRO_RATA_FROM_PAYMENT.describe(24) == (
        "Repayable pro rata to the months left if you leave within 24 months of each payment."
    )
    assert Clawback.PRO_RATA_FROM_PAYMENT.describe(0) == "No clawback."


# --- The band basis ---------------------------------------------------------------------------


def test_the_meta_like_package_on_the_band_basis():
    basis = band_basis(META_LIKE)

    # Recurring: 2M base + 32M / 4 years of equity = 10M a year.
    assert basis.recurring == 10 * M
    # One-time: the 100M signing bonus over the 4-year band horizon: 25M a year.
    assert basis.one_time == 100 * M
    assert basis.one_time_annual == 25 * M
    assert basis.annual == 35 * M


def test_the_ordinary_package_on_the_band_basis():
    basis = band_basis(ORDINARY)

    # 400k + 15% (60k) + 3.2M / 4 (800k) = 1,260,000; 500k / 4 = 125,000.
    assert basis.recurring == Decimal("1260000.00")
    assert basis.one_time_annual == Decimal("125000.00")
    assert basis.annual == Decimal("1385000.00")


def test_four_dollars_of_equity_does_not_move_a_package_down_its_band():
    """The defect: 400k base and a 1M signing bonus averaged 1.4M a year over its one-year
    horizon; 4 USD of equity over four years stretched the horizon and made it 650,001."""
    plain = Package("USD", base_salary=400 * K, signing_bonus=Bonus((Payment(0, M),)))
    padded = replace(plain, equity=(EquityGrant.of_value(Decimal(4), FOUR_EVEN),))

    assert band_basis(plain).annual == Decimal("650000.00")  # 400k + 1M / 4
    assert band_basis(padded).annual == Decimal("650001.00")  # and 1 USD a year of equity


def test_a_grant_is_annualised_over_its_vesting_not_its_trailing_empty_years():
    two_years = VestingSchedule((Decimal(50), Decimal(50), Decimal(0), Decimal(0)))

    assert band_basis(Package("USD", equity=(EquityGrant.of_value(M, two_years),))).recurring == (
        500 * K
    )


def test_a_band_horizon_is_a_positive_number_of_years():
    with pytest.raises(CompensationError, match="1 to 50 years"):
        band_basis(META_LIKE, horizon_years=0)


# --- Years one to four ------------------------------------------------------------------------


def test_the_meta_like_package_against_the_ordinary_one_over_four_years():
    comparison = compare(META_LIKE, ORDINARY, currency="USD")

    assert comparison.years == 4
    # Ours (Meta-like): 2M + 8M + 100M in year one, 10M a year after.
    assert comparison.ours.yearly_totals == (110 * M, 10 * M, 10 * M, 10 * M)
    assert comparison.ours.recurring == (10 * M,) * 4
    assert comparison.ours.one_time == (100 * M, 0, 0, 0)
    # Theirs: 400k + 60k + 800k + 500k = 1.76M, then 1.26M a year.
    assert comparison.theirs.yearly_totals == (
        Decimal("1760000.00"),
        Decimal("1260000.00"),
        Decimal("1260000.00"),
        Decimal("1260000.00"),
    )
    assert comparison.four_year_total.ours == 140 * M
    assert comparison.four_year_total.theirs == Decimal("5540000.00")
    assert comparison.gap(Measure.FOUR_YEAR_TOTAL).amount == Decimal("-134460000.00")
    # The annual average still runs over the horizon of both: four years here.
    assert comparison.annual_average.ours == 35 * M


def test_a_one_year_package_is_compared_over_four_years_its_average_over_its_own():
    ours = Package("USD", base_salary=400 * K, signing_bonus=Bonus((Payment(0, M),)))
    theirs = Package("USD", base_salary=500 * K)

    comparison = compare(ours, theirs, currency="USD")

    assert comparison.years == 4
    assert comparison.ours.yearly_totals == (1400 * K, 400 * K, 400 * K, 400 * K)
    assert comparison.year_one.amount == -900 * K
    assert comparison.annual_average.ours == 1400 * K  # over the one-year horizon
    # Over four years they pay 4 × 500k = 2M; we pay 4 × 400k + 1M = 2.6M.
    assert comparison.four_year_total.amount == -600 * K
    assert comparison.drivers(Measure.FOUR_YEAR_TOTAL) == [
        ("signing_bonus", -M),
        ("base_salary", 400 * K),
    ]


# --- Properties ---------------------------------------------------------------------------------

annual_cents = st.integers(min_value=0, max_value=10**10).map(lambda c: Decimal(c) / 100)


@st.composite
def zero_value_components(draw):
    """Something that pays nothing: a grant of no shares, or options under water, a payment
    of 0, a relocation of 0, or a named amount of 0, at any year or month."""
    kind = draw(st.sampled_from(["grant", "options", "payment", "other"]))
    if kind == "grant":
        return "equity", EquityGrant.of_value(Decimal(0), VestingSchedule(draw(percentages())))
    if kind == "options":
        return "equity", EquityGrant(
            shares=Decimal(1000),
            price=Decimal(10),
            strike=Decimal(25),
            vesting=VestingSchedule(draw(percentages())),
            kind="options",
            basis="preferred",
        )
    if kind == "payment":
        return "signing_bonus", Payment(draw(st.integers(0, 120)), Decimal(0))
    return "other", OtherAmount("nothing", Decimal(0), draw(st.integers(1, 10)))


def _with(package: Package, what: str, part: EquityGrant | OtherAmount | Payment) -> Package:
    if isinstance(part, EquityGrant):
        return replace(package, equity=(*package.equity, part))
    if isinstance(part, OtherAmount):
        return replace(package, other=(*package.other, part))
    bonus = package.signing_bonus or Bonus(())
    return replace(package, signing_bonus=replace(bonus, payments=(*bonus.payments, part)))


@given(packages(), zero_value_components())
def test_a_component_worth_nothing_does_not_move_the_band_position(package, zero):
    what, part = zero

    assert band_basis(_with(package, what, part)) == band_basis(package)


@given(
    packages(),
    annual_cents,
    percentages(),
    percentages(),
)
def test_stretching_a_vesting_at_the_same_annualised_value_does_not_move_it(
    package, a_year, shares_before, shares_after
):
    """A grant worth A a year over n years, and the same grant stretched to m years and made
    m × A: the band basis does not change, whatever the schedules' shapes."""

    def grant(shares: tuple[Decimal, ...]) -> EquityGrant:
        schedule = VestingSchedule(shares)
        return EquityGrant.of_value(a_year * schedule.span_years, schedule)

    before = band_basis(replace(package, equity=(*package.equity, grant(shares_before))))
    after = band_basis(replace(package, equity=(*package.equity, grant(shares_after))))

    assert before == after
