"""The pay access log's tests: the market, Ada's application for a senior research scientist
role, our offer sent to her ($400k base), Helix's competing offer ($450k base), and a staff
colleague who may open all of it in the admin but not see pay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.demo import build_market
from offers.services import send_offer, submit_for_approval
from recruiting.pipeline.models import Role
from tests.factories import (
    ApplicationFactory,
    CandidateFactory,
    CompanyFactory,
    OfferFactory,
    RoleFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def application(recruiter, hiring_manager):
    role = RoleFactory(
        title="Research Scientist, Pre-training",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )
    candidate = CandidateFactory(
        name="Ada Lovelace",
        owner=recruiter,
        current_pay_currency_id="USD",
        current_base=Decimal(310_000),
    )
    return ApplicationFactory(candidate=candidate, role=role)


@pytest.fixture
def offer(recruiter, application):
    """Our offer, sent: a $400k base."""
    draft = OfferFactory(application=application, drafted_by=recruiter)
    submit_for_approval(draft, by=recruiter)  # no rule applies: approved at once
    return send_offer(draft, by=recruiter)


@pytest.fixture
def competing(recruiter, application, offer):
    """Helix offers a $450k base, answer due in four days."""
    helix = CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)
    return record_competing_offer(
        application.candidate,
        CompetingTerms(
            competitor=helix,
            application=application,
            currency="USD",
            base_salary=Decimal(450_000),
            deadline=timezone.now() + timedelta(days=4),
        ),
        by=recruiter,
    )


@pytest.fixture
def viewer(db):
    """Staff who may view offers, competing offers, candidates and applications in the admin
    and export candidates, and who sees every application (a recruiter's reach), without
    view_compensation."""
    user = UserFactory(username="viewer", first_name="Vic", last_name="Viewer")
    codenames = [
        "view_offer",
        "view_competingoffer",
        "view_candidate",
        "view_application",
        "view_role",
    ]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user
