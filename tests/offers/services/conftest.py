"""The offer services' tests: the market of docs/market.md (0.847 EUR per USD) for every
one of them, the role and application an offer is for, the approver groups, and offers
already in each status."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from offers.demo import build_market
from offers.models import Offer
from offers.permissions import APPROVER_GROUP
from offers.services import (
    accept_offer,
    decline_offer,
    expire_offer,
    rescind_offer,
    revise_offer,
    send_offer,
    submit_for_approval,
)
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, ApprovalRuleFactory, CandidateFactory, RoleFactory
from tests.offers.services.helpers import Condition, Status, draft, move_expiry_to_the_past, reload


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def role():
    """Senior research scientist in Silicon Valley: band total $900k–$2M, target $1.4M."""
    return RoleFactory(
        title="Senior Research Scientist, Pre-training",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
    )


@pytest.fixture
def application(role):
    return ApplicationFactory(role=role, candidate=CandidateFactory(name="Ada Lovelace"))


@pytest.fixture
def approvers():
    return Group.objects.get(name=APPROVER_GROUP)


@pytest.fixture
def offer_in(application, recruiter, approver, approvers):
    """Brings an offer to a status through the services, as people would."""

    def make(status: str) -> Offer:
        if status == Status.PENDING_APPROVAL:
            ApprovalRuleFactory(
                name="Every offer in dollars",
                condition=Condition.CURRENCY_IS,
                currency_id="USD",
                group=approvers,
            )
        offer = draft(application, recruiter)
        if status == Status.DRAFT:
            return reload(offer)
        offer = submit_for_approval(offer, by=recruiter)
        if status in (Status.PENDING_APPROVAL, Status.APPROVED):
            return reload(offer)
        if status == Status.SUPERSEDED:
            revise_offer(offer, by=recruiter)
            return reload(offer)
        if status == Status.RESCINDED:
            rescind_offer(offer, by=recruiter)
            return reload(offer)
        offer = send_offer(offer, by=recruiter)
        if status == Status.ACCEPTED:
            accept_offer(offer, by=recruiter)
        elif status == Status.DECLINED:
            decline_offer(offer, by=recruiter)
        elif status == Status.EXPIRED:
            move_expiry_to_the_past(offer)
            expire_offer(offer)
        offer = reload(offer)
        assert offer.status == status
        return offer

    return make
