"""Signing in and out, and the home page: what needs the signed-in user this week."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from offers.demo import build_market
from offers.models import Approval
from offers.services import submit_for_approval
from recruiting.pipeline.models import Application
from tests.factories import (
    ApplicationFactory,
    ApprovalRuleFactory,
    CandidateFactory,
    OfferFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


def test_signing_in_leads_home_and_signing_out_back_to_sign_in(client, recruiter):
    recruiter.set_password("s3cret-enough")
    recruiter.save()

    page = client.get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("login"))

    signed_in = client.post(
        reverse("login"), {"username": "recruiter", "password": "s3cret-enough"}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == reverse("home")
    assert "What needs you this week" in signed_in.content.decode()

    signed_out = client.post(reverse("logout"), follow=True)
    assert signed_out.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_says_so(client, recruiter):
    page = client.post(reverse("login"), {"username": "recruiter", "password": "nope"})

    assert "Please enter a correct username and password." in page.content.decode()


def test_home_lists_my_approvals_deadlines_and_stale_applications(
    client, recruiter, approver, django_assert_max_num_queries
):
    build_market()
    ApprovalRuleFactory(name="Big signing", condition="signing_at_or_above", amount=Decimal(1))
    ada = CandidateFactory(name="Ada Lovelace", owner=recruiter)
    offer = OfferFactory(
        application=ApplicationFactory(candidate=ada, role=RoleFactory(title="Scientist")),
        drafted_by=recruiter,
        signing_payments=[(0, Decimal(100_000))],
        expires_at=timezone.now() + timedelta(days=3),
    )
    submit_for_approval(offer, by=recruiter)
    stale = ApplicationFactory(candidate=CandidateFactory(name="Grace Hopper", owner=recruiter))
    Application.objects.filter(pk=stale.pk).update(
        stage_entered_at=timezone.now() - timedelta(days=60)
    )

    client.force_login(approver)
    approver_home = client.get(reverse("home")).content.decode()
    client.force_login(recruiter)
    with django_assert_max_num_queries(12):
        recruiter_home = client.get(reverse("home")).content.decode()

    assert Approval.objects.get().status == "pending"
    assert f'href="{reverse("offers:detail", args=[offer.pk])}">Offer v1 to Ada Lovelace' in (
        approver_home
    )
    assert "Nothing waits for your approval." in recruiter_home  # a drafter never approves
    assert "Offer v1 to Ada Lovelace" in recruiter_home  # expiring this week
    assert f'href="{reverse("web:application", args=[stale.pk])}">Grace Hopper' in (recruiter_home)
