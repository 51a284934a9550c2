"""The figures each package keeps on its row for the reports, hand-computed: year one and its
parts, the annual average, the instalments' totals, the grant, the band and how far above it,
in the reporting currency (USD) at the rate of the day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.figures import refresh_missing
from offers.models import CompetingOffer, Offer
from offers.terms import EquityTerms
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, CompanyFactory, OfferFactory, RoleFactory

pytestmark = pytest.mark.django_db

K = Decimal(1_000)
M = Decimal(1_000_000)


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def application():
    """A senior research scientist in Silicon Valley: the band's total is $900k to $2M."""
    role = RoleFactory(
        family=Role.Family.RESEARCH_SCIENTIST, level="senior", zone=Role.Zone.SILICON_VALLEY
    )
    return ApplicationFactory(role=role)


def test_an_offer_keeps_its_year_one_its_parts_and_how_far_above_the_band_it_is(
    application, recruiter
):
    offer = OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=Decimal("1200000"),
        target_bonus_percent=Decimal(20),
        relocation=Decimal("50000"),
        signing_payments=[(0, Decimal("600000")), (12, Decimal("400000"))],
        signing_clawback_months=12,
        equity=[EquityTerms(value=4 * M, percentages=[Decimal(25)] * 4)],
    )

    row = Offer.objects.get(pk=offer.pk)
    # Year one: base 1.2M, bonus 20% = 240k, the first signing instalment 600k, a quarter of
    # the 4M grant = 1M, relocation 50k: 3.09M.
    assert row.report_year_one == Decimal("3090000.00")
    assert (row.report_base, row.report_bonus, row.report_signing) == (1200 * K, 240 * K, 600 * K)
    assert (row.report_equity, row.report_retention, row.report_other) == (1 * M, 0, 50 * K)
    # Years two to four: 2.84M (the second instalment), 2.44M, 2.44M; 10.81M over 4 years.
    assert row.report_annual_average == Decimal("2702500.00")
    assert row.report_signing_total == 1 * M
    assert row.report_retention_total == 0
    assert row.report_equity_grant == 4 * M
    assert row.report_rate == 1
    # Against the band: recurring 1.2M + 240k + 1M a year of the grant, one-time 1.05M over
    # the 4-year horizon = 262.5k; 2.7025M a year is 702.5k above the band's 2M.
    assert row.report_band_max == 2 * M
    assert row.report_above_band == Decimal("702500.00")


def test_an_offer_within_its_band_is_zero_above_it(application, recruiter):
    offer = OfferFactory(application=application, drafted_by=recruiter, base_salary=400 * K)

    row = Offer.objects.get(pk=offer.pk)

    assert row.report_year_one == 400 * K
    assert row.report_above_band == 0


def test_a_competing_offer_in_euros_is_kept_in_dollars_at_the_days_rate(application, recruiter):
    rival = CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)
    terms = CompetingTerms(
        competitor=rival,
        application=application,
        currency="EUR",
        deadline=timezone.now() + timedelta(days=5),
        confidence=CompetingOffer.Confidence.WRITTEN,
        source="The candidate",
        base_salary=Decimal("847000"),
        signing_payments=[(0, Decimal("423500"))],
    )

    competing = record_competing_offer(application.candidate, terms, by=recruiter)

    row = CompetingOffer.objects.get(pk=competing.pk)
    # 0.847 EUR per USD: 847k EUR is $1M and 423.5k EUR is $500k.
    assert row.report_base == 1 * M
    assert row.report_signing_total == 500 * K
    assert row.report_year_one == Decimal("1500000.00")
    assert row.report_rate.quantize(Decimal("0.000001")) == Decimal("1.180638")


def test_figures_lost_are_written_again_by_the_nightly_refresh(application, recruiter):
    offer = OfferFactory(application=application, drafted_by=recruiter, base_salary=500 * K)
    Offer.objects.filter(pk=offer.pk).update(report_rate=None, report_year_one=None)

    assert refresh_missing() == 1
    assert Offer.objects.get(pk=offer.pk).report_year_one == 500 * K
    assert refresh_missing() == 0
