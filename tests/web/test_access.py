"""Who sees which application, offer and competing offer on Closer's pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from candidates.models import Company
from offers.access import visible_competing_offers, visible_offers
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.services import submit_for_approval
from recruiting.pipeline.access import visible_applications
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(recruiter, hiring_manager):
    """An offer waiting for the compensation approvers, against a competing offer."""
    build_market()
    ApprovalRuleFactory(condition="signing_at_or_above", amount=Decimal(1))
    application = ApplicationFactory(role=RoleFactory(hiring_manager=hiring_manager))
    offer = OfferFactory(
        application=application, drafted_by=recruiter, signing_payments=[(0, Decimal(10_000))]
    )
    submit_for_approval(offer, by=recruiter)
    competing = record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=CompanyFactory(kind=Company.Kind.COMPETITOR),
            application=application,
            currency="USD",
            deadline=timezone.now() + timedelta(days=3),
            base_salary=Decimal(500_000),
        ),
        by=recruiter,
    )
    return offer, competing


def test_each_actor_sees_what_is_theirs_and_nothing_else(
    waiting, recruiter, hiring_manager, approver, outsider
):
    offer, competing = waiting
    other_role = ApplicationFactory()

    assert set(visible_applications(recruiter)) == {offer.application, other_role}
    assert set(visible_applications(hiring_manager)) == {offer.application}
    assert set(visible_applications(approver)) == set()
    assert set(visible_applications(outsider)) == set()
    # The approver sees the offer they must decide, and what it is up against.
    assert list(visible_offers(approver)) == [offer]
    assert list(visible_competing_offers(approver)) == [competing]
    assert list(visible_offers(outsider)) == []
    assert list(visible_competing_offers(outsider)) == []
