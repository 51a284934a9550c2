"""The competing offers' admin tests: the market of docs/market.md for every one of them,
the role, Helix (the competitor), Ada and her application, our offer, and theirs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from candidates.models import Company
from offers.demo import build_market
from offers.terms import EquityTerms
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
)
from tests.offers.competing_admin.helpers import EVEN_4_YEARS, K, record


@pytest.fixture(autouse=True)
def market(db):
    """USD and EUR at 0.847 EUR per USD (docs/market.md), and the bands."""
    build_market()


@pytest.fixture
def role():
    return RoleFactory(
        title="Senior Research Scientist",
        city="San Francisco",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        rating_team_lead=5,
        rating_research_freedom=2,
        rating_publishing=5,
    )


@pytest.fixture
def helix():
    return CompanyFactory(
        name="Helix Intelligence",
        kind=Company.Kind.COMPETITOR,
        rating_team_lead=3,
        rating_research_freedom=5,
        rating_publishing=1,
    )


@pytest.fixture
def ada(recruiter):
    return CandidateFactory(
        name="Ada Lovelace",
        owner=recruiter,
        motivator_team_lead=5,
        motivator_publishing=4,
        motivator_research_freedom=3,
    )


@pytest.fixture
def application(ada, role):
    return ApplicationFactory(candidate=ada, role=role)


@pytest.fixture
def our_offer(application, recruiter):
    """$400k base and a $100k signing bonus at the start: year one $500k, then $400k a year."""
    return OfferFactory(
        application=application,
        drafted_by=recruiter,
        base_salary=400 * K,
        signing_payments=[(0, 100 * K)],
    )


@pytest.fixture
def theirs(ada, application, helix, recruiter, our_offer):
    """In euros: a €381,150 base ($450,000 at 0.847) and €677,600 of RSUs ($800,000) vesting
    25% a year: $650,000 every year of the four. Against our offer: +$150,000 in year one."""
    return record(
        ada,
        helix,
        recruiter,
        application,
        currency="EUR",
        base_salary=Decimal(381_150),
        equity=[EquityTerms(Decimal(677_600), EVEN_4_YEARS)],
        notes="Told us €381,150 base and €677,600 of RSUs.",
    )
