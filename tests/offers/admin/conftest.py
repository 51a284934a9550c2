"""The offer admin's tests: the market of docs/market.md for every one of them, and the
role offers are made for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from offers.demo import build_market
from offers.models import ApprovalRule
from recruiting.pipeline.models import Role
from tests.factories import ApplicationFactory, ApprovalRuleFactory, CandidateFactory, RoleFactory
from tests.offers.admin.helpers import ADD, M


@pytest.fixture(autouse=True)
def market(db):
    build_market()


@pytest.fixture
def role():
    """Senior research scientist in Silicon Valley: total $900k–$2M (target $1.4M), base
    $300k–$450k (target $375k)."""
    return RoleFactory(
        title="Senior Research Scientist",
        city="San Francisco",
        family=Role.Family.RESEARCH_SCIENTIST,
        level="senior",
        zone=Role.Zone.SILICON_VALLEY,
    )


@pytest.fixture
def add_form(recruiter_client, admin_form_data, role):
    """The POST data of the add page: an offer with two signing instalments, a 40/30/20/10
    grant and a housing allowance, with `values` on top."""
    application = ApplicationFactory(candidate=CandidateFactory(name="Ada Lovelace"), role=role)
    start = timezone.localdate() + timedelta(days=30)
    expires = timezone.localdate() + timedelta(days=14)

    def build(**values: str) -> dict:
        data = admin_form_data(recruiter_client.get(ADD))
        data.update(
            {
                "application": str(application.pk),
                "kind": "new_hire",
                "currency": "USD",
                "start_date": start.isoformat(),
                "expires_at_0": expires.isoformat(),
                "expires_at_1": "18:00:00",
                "base_salary": "400000",
                "target_bonus_percent": "20",
                "relocation": "50000",
                "signing_clawback_months": "24",
                "retention_clawback_months": "0",
                "payments-TOTAL_FORMS": "2",
                "payments-0-kind": "signing",
                "payments-0-month": "0",
                "payments-0-amount": "1000000",
                "payments-1-kind": "signing",
                "payments-1-month": "12",
                "payments-1-amount": "1000000",
                "equity_grants-TOTAL_FORMS": "1",
                "equity_grants-0-kind": "rsu",
                "equity_grants-0-value": "4000000",
                "equity_grants-0-cliff_months": "12",
                "equity_grants-0-frequency": "quarterly",
                "equity_grants-0-vesting": "40, 30, 20, 10",
                "other_amounts-TOTAL_FORMS": "1",
                "other_amounts-0-name": "Housing",
                "other_amounts-0-amount": "60000",
                "other_amounts-0-year": "1",
                **values,
            }
        )
        return data

    build.application = application
    return build


@pytest.fixture
def signing_rule():
    return ApprovalRuleFactory(
        name="Signing bonus of $1M or more",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=M,
    )
