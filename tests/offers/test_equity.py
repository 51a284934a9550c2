"""Equity in the engine: shares at a dated price, options at their spread, profit units with a
cap, refresh grants, standard schedules and share-price scenarios. Every case is worked out by
hand in its comments; the properties hold for any grant."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offers.compensation import (
    FLAT,
    STANDARD_SCHEDULES,
    CompensationError,
    Component,
    EquityGrant,
    EquityKind,
    Frequency,
    Package,
    PriceBasis,
    Scenario,
    VestingSchedule,
    compute,
    value_scenarios,
)

M = Decimal(1_000_000)
FOUR_YEARS_MONTHLY = STANDARD_SCHEDULES["4 years, 1-year cliff, then monthly"]
FOUR_EVEN_ANNUAL = VestingSchedule((Decimal(25),) * 4, frequency=Frequency.ANNUALLY)


def equity(package: Package) -> tuple[Decimal, ...]:
    return compute(package).by_component[Component.EQUITY]


# --- Hand-computed grants ----------------------------------------------------------------------


def test_four_years_with_a_one_year_cliff_then_monthly_vests_at_the_cliff_and_each_month():
    # 48,000 shares, 25% a year: 12,000 a year, 1,000 a month. Nothing before the cliff; at
    # month 12 the first year's 12,000 at once; then 1,000 at the end of every month.
    grant = EquityGrant(Decimal(48_000), Decimal(100), FOUR_YEARS_MONTHLY)

    assert grant.vested_shares_by(11) == 0
    assert grant.vested_shares_by(12) == 12_000
    assert grant.vested_shares_by(13) == 13_000
    assert grant.vested_shares_by(18) == 18_000  # 12,000 + 6 months × 1,000
    assert grant.vested_shares_by(48) == 48_000
    # At $100 a share: $1.2M a year, $4.8M in all.
    assert equity(Package("USD", equity=(grant,))) == (Decimal("1200000.00"),) * 4


def test_options_are_worth_their_spread_not_the_share_price():
    # 100,000 options at a $10 strike on a $30 share: $20 of spread each, $2M, not $3M.
    options = EquityGrant(
        Decimal(100_000), Decimal(30), FOUR_EVEN_ANNUAL, kind=EquityKind.OPTIONS, strike=Decimal(10)
    )

    assert options.value == Decimal("2000000.00")
    assert equity(Package("USD", equity=(options,))) == (Decimal("500000.00"),) * 4


def test_options_under_water_are_worth_nothing_and_a_fair_value_replaces_the_spread():
    # A $40 strike on a $30 share: the spread would be -$10, so zero.
    under_water = EquityGrant(
        Decimal(100_000), Decimal(30), FOUR_EVEN_ANNUAL, kind=EquityKind.OPTIONS, strike=Decimal(40)
    )
    # With a fair value of $12.50 per option given, 100,000 × $12.50 = $1,250,000.
    fair = EquityGrant(
        Decimal(100_000),
        Decimal(30),
        FOUR_EVEN_ANNUAL,
        kind=EquityKind.OPTIONS,
        strike=Decimal(40),
        fair_value=Decimal("12.50"),
    )

    assert under_water.value == 0
    assert fair.value == Decimal("1250000.00")


def test_a_refresh_grant_at_month_12_vests_from_its_own_date():
    # A $4M new-hire grant (40,000 at $100) and a $2M refresh (20,000 at $100) made at month 12,
    # each 25% a year, annually. The new-hire grant vests $1M at months 12, 24, 36, 48 (years
    # 1-4); the refresh $500k at months 24, 36, 48, 60 (years 2-5).
    new_hire = EquityGrant(Decimal(40_000), Decimal(100), FOUR_EVEN_ANNUAL)
    refresh = EquityGrant(Decimal(20_000), Decimal(100), FOUR_EVEN_ANNUAL, grant_month=12)
    package = Package("USD", equity=(new_hire, refresh))

    assert refresh.vesting_months() == [24, 36, 48, 60]
    assert package.horizon_years == 5
    assert equity(package) == (
        Decimal("1000000.00"),
        Decimal("1500000.00"),
        Decimal("1500000.00"),
        Decimal("1500000.00"),
        Decimal("500000.00"),
    )


def test_a_private_grant_at_its_preferred_price_and_at_its_409a_price():
    # 10,000 shares of a private lab: $250 a share at its last round (preferred), $80 at its
    # 409A common fair market value. The same grant is $2.5M on one basis and $800k on the
    # other: the basis the offer shows decides the figure.
    def grant(price: int, basis: PriceBasis) -> EquityGrant:
        return EquityGrant(Decimal(10_000), Decimal(price), FOUR_EVEN_ANNUAL, basis=basis)

    preferred = grant(250, PriceBasis.PREFERRED)
    fmv = grant(80, PriceBasis.COMMON_FMV)

    assert preferred.value == Decimal("2500000.00")
    assert fmv.value == Decimal("800000.00")
    assert equity(Package("USD", equity=(preferred,))) == (Decimal("625000.00"),) * 4
    assert equity(Package("USD", equity=(fmv,))) == (Decimal("200000.00"),) * 4


def test_a_profit_unit_grant_stops_at_its_cap():
    # 1,000 profit units at a unit value of $500, each capped at $2,000. Flat: $500,000. At
    # +100% a year the unit is worth $500, $1,000, $2,000, then $4,000 capped to $2,000: each
    # year vests 250 units, so $125,000, $250,000, $500,000 and $500,000.
    units = EquityGrant(
        Decimal(1_000),
        Decimal(500),
        FOUR_EVEN_ANNUAL,
        kind=EquityKind.PROFIT_UNITS,
        basis=PriceBasis.UNIT_VALUE,
        cap=Decimal(2_000),
    )
    package = Package("USD", equity=(units,))

    assert units.value == Decimal("500000.00")
    doubling = compute(package, scenario=Scenario("+100%", Decimal(100)))
    assert doubling.by_component[Component.EQUITY] == (
        Decimal("125000.00"),
        Decimal("250000.00"),
        Decimal("500000.00"),
        Decimal("500000.00"),
    )


def test_price_paths_and_a_liquidity_discount_kept_apart():
    # 40,000 private shares at a $100 tender price, 25% a year: 10,000 shares a year. At -30% a
    # year they are worth $100, $70, $49, $34.30: $1,000,000, $700,000, $490,000, $343,000. A 20%
    # liquidity discount on the tender basis takes $200,000, $140,000, $98,000, $68,600 off,
    # shown apart: the equity line is never reduced by it.
    grant = EquityGrant(Decimal(40_000), Decimal(100), FOUR_EVEN_ANNUAL, basis=PriceBasis.TENDER)
    package = Package("USD", base_salary=Decimal(500_000), equity=(grant,))

    down, flat, up = value_scenarios(
        package,
        [Scenario("-30%", Decimal(-30)), FLAT, Scenario("+20%", Decimal(20))],
        discounts={PriceBasis.TENDER: Decimal(20)},
    )

    assert down.compensation.by_component[Component.EQUITY] == (
        Decimal("1000000.00"),
        Decimal("700000.00"),
        Decimal("490000.00"),
        Decimal("343000.00"),
    )
    assert down.liquidity_discount == (
        Decimal("200000.00"),
        Decimal("140000.00"),
        Decimal("98000.00"),
        Decimal("68600.00"),
    )
    assert down.compensation.total == 4 * Decimal(500_000) + Decimal(2_533_000)
    assert down.total_after_discount == down.compensation.total - Decimal("506600.00")
    # Flat: $1M a year of equity, $200k a year of discount.
    assert flat.compensation.total == Decimal("6000000.00")
    assert flat.liquidity_discount == (Decimal("200000.00"),) * 4
    # +20%: $1M, $1.2M, $1.44M, $1.728M.
    assert up.compensation.by_component[Component.EQUITY][3] == Decimal("1728000.00")


def test_a_public_price_takes_no_liquidity_discount():
    grant = EquityGrant(Decimal(1_000), Decimal(100), FOUR_EVEN_ANNUAL, basis=PriceBasis.MARKET)

    (flat,) = value_scenarios(
        Package("USD", equity=(grant,)), [FLAT], discounts={PriceBasis.MARKET: Decimal(20)}
    )

    assert flat.liquidity_discount == (0, 0, 0, 0)


def test_semi_annual_vesting_and_the_standard_schedules():
    # 5/15/40/40, every six months after a one-year cliff: 2.5% at month 6 waits for the cliff,
    # so 5% at 12; then 7.5% at 18 and 24, 20% at 30, 36, 42 and 48.
    schedule = STANDARD_SCHEDULES["5/15/40/40, 1-year cliff, then every 6 months"]
    grant = EquityGrant(Decimal(1_000), Decimal(1), schedule)

    assert [grant.vested_shares_by(m) for m in (6, 12, 18, 24, 30, 48)] == [
        0,
        50,
        125,
        200,
        400,
        1_000,
    ]
    assert STANDARD_SCHEDULES["40/30/20/10, 1-year cliff, then quarterly"].yearly_percentages == (
        40,
        30,
        20,
        10,
    )


@pytest.mark.parametrize(
    ("grant", "field", "message"),
    [
        (
            lambda: EquityGrant(Decimal(-1), Decimal(10), FOUR_EVEN_ANNUAL),
            "shares",
            "A number of shares cannot be negative.",
        ),
        (
            lambda: EquityGrant(Decimal(1), Decimal("10.00001"), FOUR_EVEN_ANNUAL),
            "price",
            "A price has at most 4 decimal places.",
        ),
        (
            lambda: EquityGrant(Decimal(1), Decimal(10), FOUR_EVEN_ANNUAL, strike=Decimal(5)),
            "strike",
            "Only options have a strike price.",
        ),
        (
            lambda: EquityGrant(Decimal(1), Decimal(10), FOUR_EVEN_ANNUAL, cap=Decimal(5)),
            "cap",
            "Only profit units have a cap.",
        ),
        (
            lambda: EquityGrant(Decimal(1), Decimal(10), FOUR_EVEN_ANNUAL, grant_month=-1),
            "grant_month",
            "A grant is made within 600 months of the start.",
        ),
        (
            lambda: EquityGrant(Decimal(10) ** 9, Decimal(10) ** 4, FOUR_EVEN_ANNUAL),
            "equity",
            "A grant cannot be worth more than 999,999,999,999.99.",
        ),
    ],
    ids=[
        "negative-shares",
        "price-too-fine",
        "strike-on-rsu",
        "cap-on-rsu",
        "grant-before",
        "huge",
    ],
)
def test_a_grant_the_engine_cannot_value_is_refused_naming_the_field(grant, field, message):
    with pytest.raises(CompensationError) as refused:
        compute(Package("USD", equity=(grant(),)))

    assert (refused.value.field, refused.value.message) == (field, message)


def test_a_price_path_below_minus_100_percent_is_refused():
    grant = EquityGrant(Decimal(1), Decimal(10), FOUR_EVEN_ANNUAL)

    with pytest.raises(CompensationError) as refused:
        compute(Package("USD", equity=(grant,)), scenario=Scenario("crash", Decimal(-101)))

    assert refused.value.field == "scenarios"


# --- Properties ----------------------------------------------------------------------------

quantities = st.integers(0, 10**8).map(lambda q: Decimal(q) / 100)
prices = st.integers(0, 10**7).map(lambda p: Decimal(p) / 10_000)
growths = st.integers(-100, 200).map(Decimal)


@st.composite
def schedules(draw):
    years = draw(st.integers(1, 5))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=years - 1, max_size=years - 1)))
    bounds = [0, *cuts, 100]
    percentages = tuple(Decimal(b - a) for a, b in zip(bounds, bounds[1:], strict=False))
    return VestingSchedule(
        percentages,
        cliff_months=draw(st.integers(0, years * 12)),
        frequency=draw(st.sampled_from(Frequency)),
    )


@st.composite
def grants(draw):
    kind = draw(st.sampled_from(EquityKind))
    return EquityGrant(
        shares=draw(quantities),
        price=draw(prices),
        vesting=draw(schedules()),
        kind=kind,
        basis=draw(st.sampled_from([b for b in PriceBasis if b != PriceBasis.RECORDED])),
        strike=draw(prices) if kind == EquityKind.OPTIONS else Decimal(0),
        cap=draw(st.one_of(st.none(), prices)) if kind == EquityKind.PROFIT_UNITS else None,
        grant_month=draw(st.integers(0, 36)),
    )


@given(st.lists(grants(), min_size=1, max_size=3), growths)
def test_the_years_add_up_to_the_total_under_any_price_path(grant_list, growth):
    package = Package("USD", equity=tuple(grant_list))

    result = compute(package, scenario=Scenario("path", growth))

    assert sum(result.yearly_totals) == result.total
    assert all(amount >= 0 for amount in result.by_component[Component.EQUITY])


@given(st.lists(grants(), min_size=1, max_size=3))
def test_a_path_of_zero_percent_is_the_flat_valuation(grant_list):
    package = Package("USD", equity=tuple(grant_list))

    assert compute(package, scenario=Scenario("0%", Decimal(0))) == compute(package)


@given(quantities, prices, prices, growths)
def test_options_are_never_worth_less_than_nothing(shares, price, strike, growth):
    options = EquityGrant(shares, price, FOUR_EVEN_ANNUAL, kind=EquityKind.OPTIONS, strike=strike)

    for year in range(1, 5):
        assert options.value_per_share(Scenario("path", growth).price_factor(year)) >= 0
    assert options.value == (shares * max(price - strike, Decimal(0))).quantize(Decimal("0.01"))


@given(grants(), st.integers(0, 100).map(Decimal))
def test_a_liquidity_discount_never_exceeds_the_equity_it_discounts(grant, percent):
    (flat,) = value_scenarios(
        Package("USD", equity=(grant,)), [FLAT], discounts=dict.fromkeys(PriceBasis, percent)
    )

    assert 0 <= flat.discount_total <= flat.compensation.component_total(Component.EQUITY)
    if grant.basis.liquid:
        assert flat.discount_total == 0
