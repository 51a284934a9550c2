"""What the data migrations do to the rows they find."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from offers.models import EquityGrant
from offers.selectors import value_offer
from offers.terms import EquityTerms
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db

equity_as_shares = importlib.import_module("offers.migrations.0008_equity_as_shares_at_a_price")


def test_a_grant_typed_as_a_value_becomes_units_at_the_recorded_price_and_values_the_same(
    recruiter,
):
    from offers.demo import build_market

    build_market()
    offer = OfferFactory.create(
        drafted_by=recruiter, equity=[EquityTerms(Decimal("1234567.89"), [Decimal(25)] * 4)]
    )
    before = value_offer(offer).compensation
    # As the rows stood before the migration: a value, no shares.
    EquityGrant.objects.update(shares=0)

    equity_as_shares.grants_as_recorded_units(apps, None)

    grant = EquityGrant.objects.get()
    assert (grant.shares, grant.value) == (Decimal("1234567.89"), Decimal("1234567.89"))
    assert (offer.equity_basis, offer.share_price) == ("recorded", Decimal(1))
    assert grant.history.first().shares == Decimal("1234567.89")
    assert value_offer(offer).compensation == before
