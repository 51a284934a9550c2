"""The offer form's tests: the market of docs/market.md for every one of them, the role
and the application an offer is drafted for."""

from __future__ import annotations

import pytest

from offers.demo import build_market
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, CandidateFactory, RoleFactory


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def role(hiring_manager):
    """Senior research scientist in Silicon Valley: base band $300k–$450k (target $375k),
    total $900k–$2M a year (target $1.4M)."""
    return RoleFactory(
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
        hiring_manager=hiring_manager,
    )


@pytest.fixture
def application(recruiter, role):
    return ApplicationFactory(
        candidate=CandidateFactory(name="Ada Lovelace", owner=recruiter), role=role
    )
