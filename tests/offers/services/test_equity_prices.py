"""Offers whose equity is a number of shares valued at our company's price on a chosen basis:
the price is found by date, converted to the offer's currency, stored on the offer with its
date and source, and a sent offer keeps its figures when prices move."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from candidates.models import Company
from offers.compensation import compute
from offers.models import SharePrice
from offers.selectors import value_offer
from offers.services import send_offer, submit_for_approval
from offers.terms import EquityTerms, OfferError, OfferTerms
from tests.factories import CompanyFactory, OfferFactory
from tests.offers.services.helpers import draft, reload

pytestmark = pytest.mark.django_db

FOUR_EVEN = [Decimal(25)] * 4


@pytest.fixture
def ours():
    return CompanyFactory.create(name="Closer Labs", kind=Company.Kind.OURS)


def price(company: Company, basis: str, amount: str, *, days_ago: int = 10, currency="USD"):
    return SharePrice.objects.create(
        company=company,
        basis=basis,
        price=Decimal(amount),
        currency_id=currency,
        as_of=timezone.localdate() - timedelta(days=days_ago),
        source=f"{basis} source",
    )


def test_shares_are_valued_at_our_latest_price_on_the_chosen_basis(application, recruiter, ours):
    # 40,000 shares at the $142.50 preferred price: $5,700,000, $1,425,000 a year over four.
    price(ours, "preferred", "120.00", days_ago=200)
    latest = price(ours, "preferred", "142.50", days_ago=10)
    price(ours, "common_fmv", "41.20")

    offer = draft(
        application,
        recruiter,
        equity_basis="preferred",
        equity=[EquityTerms(None, FOUR_EVEN, shares=Decimal(40_000))],
    )

    offer = reload(offer)
    assert (offer.equity_basis, offer.share_price) == ("preferred", Decimal("142.5000"))
    assert (offer.share_price_as_of, offer.share_price_source) == (latest.as_of, "preferred source")
    grant = offer.equity_grants.get()
    assert (grant.shares, grant.value) == (Decimal(40_000), Decimal("5700000.00"))
    years = value_offer(offer).compensation.by_component["equity"]
    assert years == (Decimal("1425000.00"),) * 4


def test_the_same_shares_at_the_409a_price_are_worth_what_that_price_says(
    application, recruiter, ours
):
    # 40,000 shares at the $41.20 409A price: $1,648,000.
    price(ours, "preferred", "142.50")
    price(ours, "common_fmv", "41.20")

    offer = draft(
        application,
        recruiter,
        equity_basis="common_fmv",
        equity=[EquityTerms(None, FOUR_EVEN, shares=Decimal(40_000))],
    )

    assert offer.equity_grants.get().value == Decimal("1648000.00")


def test_options_are_valued_at_their_spread_over_the_strike(application, recruiter, ours):
    # 100,000 options at a $10 strike, our tender price $30: $2,000,000 of spread.
    price(ours, "tender", "30")

    offer = draft(
        application,
        recruiter,
        equity_basis="tender",
        equity=[
            EquityTerms(
                None, FOUR_EVEN, kind="options", shares=Decimal(100_000), strike=Decimal(10)
            )
        ],
    )

    assert offer.equity_grants.get().value == Decimal("2000000.00")


def test_a_price_in_dollars_is_converted_to_an_offer_in_euros(application, recruiter, ours):
    # $142.50 at the market's 0.847 EUR per USD: €120.6975 a share; 10,000 shares €1,206,975.
    price(ours, "preferred", "142.50")

    offer = draft(
        application,
        recruiter,
        currency="EUR",
        equity_basis="preferred",
        equity=[EquityTerms(None, FOUR_EVEN, shares=Decimal(10_000))],
    )

    assert offer.share_price == Decimal("120.6975")
    assert "142.5 USD at 0.847 EUR per USD" in offer.share_price_source
    assert offer.equity_grants.get().value == Decimal("1206975.00")


def test_a_basis_with_no_price_is_refused_on_its_field_and_nothing_is_saved(
    application, recruiter, ours
):
    with pytest.raises(OfferError) as refused:
        draft(
            application,
            recruiter,
            equity_basis="tender",
            equity=[EquityTerms(None, FOUR_EVEN, shares=Decimal(1_000))],
        )

    message = refused.value.message_dict["equity_basis"][0]
    assert message.startswith("No last tender price (private company) of Closer Labs's shares")
    assert "add one under Offers → Share prices" in message
    assert not application.offers.exists()


def test_a_grant_on_a_price_basis_needs_its_number_of_shares(application, recruiter, ours):
    price(ours, "preferred", "142.50")

    with pytest.raises(OfferError) as refused:
        draft(
            application,
            recruiter,
            equity_basis="preferred",
            equity=[EquityTerms(Decimal(1_000_000), FOUR_EVEN)],
        )

    assert refused.value.message_dict == {"shares": ["Enter the number of shares granted."]}


def test_a_sent_offer_keeps_its_price_when_a_new_one_is_loaded(
    application, recruiter, ours, approver
):
    price(ours, "preferred", "142.50")
    offer = draft(
        application,
        recruiter,
        equity_basis="preferred",
        equity=[EquityTerms(None, FOUR_EVEN, shares=Decimal(40_000))],
    )
    offer = send_offer(submit_for_approval(offer, by=recruiter), by=recruiter)
    before = value_offer(reload(offer)).compensation.total

    price(ours, "preferred", "300.00", days_ago=0)

    offer = reload(offer)
    assert offer.share_price == Decimal("142.5000")
    assert value_offer(offer).compensation.total == before
    assert offer.share_price_as_of < date.today()


def test_a_saved_refresh_grant_recorded_as_an_amount_keeps_its_month(recruiter):
    """A grant typed as an amount and made a year in vests in years 2 to 5 as typed, and so
    once saved: the saved offer's valuation once read it as made at the start."""
    offer = OfferFactory(
        drafted_by=recruiter,
        base_salary=Decimal(0),
        equity=[EquityTerms(Decimal(400_000), [Decimal(25)] * 4, grant_month=12)],
    )
    offer.refresh_from_db()

    saved = compute(offer.to_package()).by_component["equity"]
    typed = compute(OfferTerms.of(offer).to_package()).by_component["equity"]

    # 100,000 a year, from the year after the grant, a year in: years 2 to 5.
    assert saved == typed == (0, 100_000, 100_000, 100_000, 100_000)
