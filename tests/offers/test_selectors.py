"""Valuing an offer: the rate of the day (or the one it was sent at) and the band in effect."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from offers.demo import build_market
from offers.models import ExchangeRate, Offer
from offers.selectors import RateMissing, value_offer
from offers.services import send_offer, submit_for_approval
from offers.terms import EquityTerms
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, OfferFactory, RoleFactory

pytestmark = pytest.mark.django_db

M = Decimal(1_000_000)


@pytest.fixture(autouse=True)
def market(db):
    build_market()


def offer_for(role: Role, **terms) -> Offer:
    offer = OfferFactory.create(application=ApplicationFactory.create(role=role), **terms)
    return Offer.objects.get(pk=offer.pk)


def test_an_offer_is_placed_in_the_band_of_its_role_in_the_bands_currency():
    # A European senior scientist's band is in euros: total €495k–€1,101k, target €771k.
    role = RoleFactory.create(level="senior", zone=Role.Zone.EUROPE)
    offer = offer_for(role, base_salary=Decimal(1_200_000))  # $1.2M is €1,016,400

    valuation = value_offer(offer)

    assert (valuation.band.currency_id, valuation.band.total_max) == ("EUR", 1_101_000)
    assert str(valuation.band_position) == "within band (1.32× target)"
    assert valuation.base_position.where == "above"
    assert valuation.reporting.total == Decimal("1200000.00")


def test_the_band_is_the_one_in_effect_on_the_valuation_date():
    role = RoleFactory.create(level="senior")  # Silicon Valley scientist
    offer = offer_for(role, base_salary=M)

    now = value_offer(offer)
    in_2023 = value_offer(offer, on=date(2023, 6, 1))

    # $1M a year: within today's $900k–$2M, above 2022's $600k–$900k.
    assert (now.band.effective_on, now.band_position.where) == (date(2025, 10, 1), "within")
    assert (in_2023.band.effective_on, in_2023.band_position.where) == (date(2022, 1, 1), "above")


def test_a_role_with_no_band_has_no_position():
    offer = offer_for(RoleFactory.create(level="junior"), base_salary=M)

    valuation = value_offer(offer)

    assert (valuation.band, valuation.band_position, valuation.base_position) == (None, None, None)
    assert valuation.reporting.total == M


def test_a_eur_offer_before_any_rate_cannot_be_valued():
    offer = offer_for(RoleFactory.create(level="senior"), currency="EUR")

    with pytest.raises(RateMissing, match="No EUR→USD exchange rate .* 31 Oct 2025"):
        value_offer(offer, on=date(2025, 10, 31))


def test_a_sent_offer_keeps_its_rate_on_any_later_date(recruiter):
    offer = OfferFactory.create(
        currency="EUR",
        base_salary=Decimal(847_000),
        equity=[EquityTerms(Decimal(3_388_000), [Decimal(25)] * 4)],
        drafted_by=recruiter,
    )
    offer = send_offer(
        submit_for_approval(offer, by=recruiter), by=recruiter, confirm_stale_rate=True
    )
    later = timezone.localdate() + timedelta(days=400)
    ExchangeRate.objects.create(base_id="USD", quote_id="EUR", rate=Decimal("0.95"), as_of=later)

    valuation = value_offer(Offer.objects.get(pk=offer.pk), on=later)

    # €847k base and €847k of equity a year: $2M a year at 0.847, for 4 years.
    assert valuation.reporting.yearly_totals == (Decimal("2000000.00"),) * 4
    assert valuation.rate == Decimal("1.1806375443")
