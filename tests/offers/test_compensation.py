"""The compensation engine against hand-computed packages, and its properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offers.compensation import (
    Bonus,
    Clawback,
    CompensationError,
    Component,
    EquityGrant,
    Frequency,
    OtherAmount,
    Package,
    Payment,
    VestingSchedule,
    compare,
    compute,
    convert,
)

M = Decimal(1_000_000)
FOUR_EVEN = VestingSchedule((Decimal(25),) * 4)
EUR_PER_USD = Decimal("0.847")


# --- Hand-computed packages ----------------------------------------------------------------


def test_a_150m_signing_bonus_over_four_years_with_a_two_year_clawback():
    bonus = Bonus(
        payments=tuple(Payment(month=m, amount=Decimal("37.5") * M) for m in (0, 12, 24, 36)),
        clawback_months=24,
    )
    package = Package(currency="USD", base_salary=2 * M, signing_bonus=bonus)

    result = compute(package)

    assert result.by_component[Component.SIGNING_BONUS] == (Decimal("37.5") * M,) * 4
    assert result.yearly_totals == (Decimal("39.5") * M,) * 4
    assert result.year_one == Decimal("39500000.00")
    assert result.total == 158 * M
    assert result.annual_average == Decimal("39.5") * M
    # Leaving after 6 months: 18 of the first payment's 24 clawback months are left.
    assert bonus.repayable_if_leaving_at(6) == Decimal("28125000.00")
    # After 18 months: 6/24 of the first payment and 18/24 of the second.
    assert bonus.repayable_if_leaving_at(18) == Decimal("37500000.00")
    # After 48 months only the last payment (month 36) is within its clawback: 12/24 of it.
    assert bonus.repayable_if_leaving_at(48) == Decimal("18750000.00")
    assert bonus.repayable_if_leaving_at(60) == 0


def test_base_2m_and_8m_of_equity_a_year():
    grant = EquityGrant.of_value(value=32 * M, vesting=FOUR_EVEN)
    package = Package(currency="USD", base_salary=2 * M, equity=(grant,))

    result = compute(package)

    assert result.by_component[Component.EQUITY] == (8 * M,) * 4
    assert result.year_one == 10 * M
    assert result.annual_average == 10 * M
    assert result.total == 40 * M


def test_front_loaded_vesting_40_30_20_10():
    schedule = VestingSchedule(tuple(Decimal(p) for p in (40, 30, 20, 10)))
    package = Package(
        currency="USD", equity=(EquityGrant.of_value(value=10 * M, vesting=schedule),)
    )

    assert compute(package).by_component[Component.EQUITY] == (4 * M, 3 * M, 2 * M, 1 * M)


def test_an_18_month_cliff_moves_the_first_years_vesting_into_the_second():
    schedule = VestingSchedule((Decimal(25),) * 4, cliff_months=18, frequency=Frequency.MONTHLY)
    package = Package(currency="USD", equity=(EquityGrant.of_value(Decimal("1200000"), schedule),))

    equity = compute(package).by_component[Component.EQUITY]

    assert equity == (Decimal(0), Decimal(600_000), Decimal(300_000), Decimal(300_000))


def test_target_bonus_relocation_and_other_amounts():
    package = Package(
        currency="EUR",
        base_salary=Decimal("400000"),
        target_bonus_percent=Decimal(15),
        relocation=Decimal("50000"),
        other=(OtherAmount("Housing", Decimal("30000"), year=2),),
    )

    result = compute(package)

    assert result.years == 2
    assert result.by_component[Component.TARGET_BONUS] == (Decimal(60_000),) * 2
    assert result.yearly_totals == (Decimal(510_000), Decimal(490_000))


def test_thirds_are_rounded_so_the_years_add_up_to_the_grant():
    schedule = VestingSchedule((Decimal(100),), frequency=Frequency.MONTHLY)
    package = Package(currency="USD", equity=(EquityGrant.of_value(Decimal("1000.00"), schedule),))
    uneven = VestingSchedule(tuple(Decimal(p) for p in ("33.33", "33.33", "33.34")))
    odd = Package(currency="USD", equity=(EquityGrant.of_value(Decimal("100.01"), uneven),))

    assert compute(package).total == Decimal("1000.00")
    assert compute(odd).by_component[Component.EQUITY] == (
        Decimal("33.33"),
        Decimal("33.34"),
        Decimal("33.34"),
    )
    assert compute(odd).total == Decimal("100.01")


def test_the_150m_signing_bonus_is_about_127m_euros():
    package = Package(
        currency="USD", signing_bonus=Bonus((Payment(0, Decimal(150) * M),), clawback_months=24)
    )

    in_euros = convert(compute(package), rate=EUR_PER_USD, currency="EUR")

    assert in_euros.currency == "EUR"
    assert in_euros.total == Decimal("127050000.00")


def test_a_london_offer_in_pounds_compared_with_a_us_offer_in_dollars():
    # Ours: £500,000 base in London. Theirs: $700,000 base in New York. At 0.76 GBP per USD a
    # pound is 1/0.76 = 1.3157894736... dollars, so ours is $657,894.74 a year (500,000 / 0.76
    # = 657,894.736..., to the cent): they pay $42,105.26 more, 6.4% of ours.
    ours = Package(currency="GBP", base_salary=Decimal(500_000))
    theirs = Package(currency="USD", base_salary=Decimal(700_000))

    comparison = compare(ours, theirs, currency="USD", rate_ours=Decimal(1) / Decimal("0.76"))

    assert comparison.ours.year_one == Decimal("657894.74")
    assert comparison.year_one.amount == Decimal("42105.26")
    assert comparison.year_one.percent == Decimal("6.4")


def test_a_shorter_package_is_shown_over_a_longer_horizon_to_compare():
    package = Package(currency="USD", base_salary=M)

    assert compute(package, years=4).yearly_totals == (M,) * 4
    with pytest.raises(CompensationError, match="over 4 years"):
        compute(Package(currency="USD", equity=(EquityGrant.of_value(M, FOUR_EVEN),)), years=2)


# --- Refused input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field", "message"),
    [
        (lambda: VestingSchedule((Decimal(30),) * 3), "vesting", "add up to 90%, not 100%"),
        (lambda: VestingSchedule((Decimal(50),) * 2, cliff_months=36), "cliff_months", "longer"),
        (lambda: VestingSchedule(()), "vesting", "at least one year"),
        (lambda: compute(Package("USD", base_salary=Decimal(-1))), "base_salary", "negative"),
        (lambda: compute(Package("USD", base_salary=Decimal("1.005"))), "base_salary", "2 decimal"),
        (
            lambda: compute(Package("USD", relocation=Decimal(10) ** 12 + 1)),
            "relocation",
            "999,999,999,999.99",
        ),
        (
            lambda: compute(Package("USD", target_bonus_percent=Decimal(250))),
            "target_bonus_percent",
            "200%",
        ),
        (
            lambda: compute(Package("USD", signing_bonus=Bonus((Payment(-1, M),)))),
            "signing_bonus",
            "before the start",
        ),
        (
            lambda: compute(Package("USD", signing_bonus=Bonus((Payment(601, M),)))),
            "signing_bonus",
            "within 600 months",
        ),
        (
            lambda: compute(Package("USD", retention_bonus=Bonus((Payment(0, M),), 40_000))),
            "retention_bonus",
            "between 0 and 600 months",
        ),
        (lambda: VestingSchedule((Decimal(2),) * 50 + (Decimal(0),)), "vesting", "at most 50"),
        (
            lambda: convert(compute(Package("USD")), rate=Decimal(0), currency="EUR"),
            "rate",
            "positive",
        ),
    ],
)
def test_what_cannot_be_valued_is_refused_naming_the_field(make, field, message):
    with pytest.raises(CompensationError, match=message) as refused:
        make()

    assert refused.value.field == field


# --- Properties ----------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**13).map(lambda c: Decimal(c) / 100)


@st.composite
def percentages(draw):
    """Yearly percentages in hundredths of a percent that add up to exactly 100."""
    years = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=years - 1, max_size=years - 1)))
    bounds = [0, *cuts, 10_000]
    return tuple(Decimal(b - a) / 100 for a, b in zip(bounds, bounds[1:], strict=False))


@st.composite
def schedules(draw):
    shares = draw(percentages())
    cliff = draw(st.integers(min_value=0, max_value=len(shares) * 12))
    return VestingSchedule(shares, cliff_months=cliff, frequency=draw(st.sampled_from(Frequency)))


@st.composite
def packages(draw):
    def bonus():
        payments = st.lists(
            st.builds(Payment, month=st.integers(0, 60), amount=cents), max_size=4
        ).map(tuple)
        return st.one_of(
            st.none(),
            st.builds(Bonus, payments, st.integers(0, 36), st.sampled_from(Clawback)),
        )

    return Package(
        currency="USD",
        base_salary=draw(cents),
        target_bonus_percent=draw(st.integers(0, 20_000).map(lambda p: Decimal(p) / 100)),
        signing_bonus=draw(bonus()),
        equity=tuple(
            draw(
                st.lists(
                    st.builds(EquityGrant.of_value, value=cents, vesting=schedules()), max_size=3
                )
            )
        ),
        retention_bonus=draw(bonus()),
        relocation=draw(cents),
        other=tuple(
            draw(
                st.lists(
                    st.builds(OtherAmount, st.text(max_size=10), cents, st.integers(1, 6)),
                    max_size=2,
                )
            )
        ),
    )


@given(packages())
def test_the_years_add_up_to_the_total(package):
    result = compute(package)

    assert sum(result.yearly_totals) == result.total
    assert all(amount >= 0 for amounts in result.by_component.values() for amount in amounts)
    assert result.component_total(Component.EQUITY) == sum(g.value for g in package.equity)
    signing = package.signing_bonus.total if package.signing_bonus else 0
    assert result.component_total(Component.SIGNING_BONUS) == signing


@given(percentages(), cents)
def test_vesting_percentages_add_up_to_100_and_vest_the_whole_grant(shares, value):
    schedule = VestingSchedule(shares)
    package = Package(currency="USD", equity=(EquityGrant.of_value(value, schedule),))

    assert sum(shares) == 100
    assert compute(package).component_total(Component.EQUITY) == value


@given(percentages(), st.integers(1, 10_000).map(lambda p: Decimal(p) / 100))
def test_vesting_that_does_not_add_up_to_100_is_refused(shares, extra):
    with pytest.raises(CompensationError, match="not 100%"):
        VestingSchedule((*shares, extra))


@given(packages(), st.integers(500_000, 2_000_000).map(lambda r: Decimal(r) / 1_000_000))
def test_converting_there_and_back_is_stable_to_the_cent(package, rate):
    original = compute(package)

    back = convert(
        convert(original, rate=rate, currency="EUR"), rate=Decimal(1) / rate, currency="USD"
    )

    for component, amounts in original.by_component.items():
        for before, after in zip(amounts, back.by_component[component], strict=True):
            assert abs(after - before) <= Decimal("0.01")
    amounts = sum(len(a) for a in original.by_component.values())
    assert abs(back.total - original.total) <= Decimal("0.01") * amounts
