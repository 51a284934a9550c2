"""The competing offers' alert tests: the market of docs/market.md for every one of them,
the role (its hiring manager may see compensation), Helix, Acme, Ada and her application,
and the competitor's deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from candidates.models import Company
from offers.demo import build_market
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, CandidateFactory, CompanyFactory, RoleFactory


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def role(hiring_manager):
    # This hiring manager co-drafts offers: may see compensation (one who may not is told
    # without figures: test_someone_who_may_not_see_compensation_is_told_without_a_figure).
    hiring_manager.user_permissions.add(
        Permission.objects.get(codename="view_compensation", content_type__app_label="offers")
    )
    return RoleFactory(
        title="Senior Research Scientist",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )


@pytest.fixture
def helix():
    return CompanyFactory(name="Helix Intelligence", kind=Company.Kind.COMPETITOR)


@pytest.fixture
def acme():
    """Where our people work now; it pauses for a quiet week around today."""
    return CompanyFactory(name="Acme AI", kind=Company.Kind.EMPLOYER)


@pytest.fixture
def ada(recruiter):
    return CandidateFactory(name="Ada Lovelace", owner=recruiter)


@pytest.fixture
def application(ada, role):
    return ApplicationFactory(candidate=ada, role=role)


@pytest.fixture
def deadline():
    """The competitor's decision deadline: ten days from now, on the hour."""
    return (timezone.now() + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
