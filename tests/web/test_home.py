"""Signing in and out, and the home page: what needs the signed-in user this week."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
    assert page.redirect_chain[-1][0].startswith(reverse("account_login"))

    signed_in = client.post(
        reverse("account_login"), {"login": "recruiter", "password": "s3cret-enough"}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == reverse("home")
    assert "What needs you this week" in signed_in.content.decode()

    signed_out = client.post(reverse("account_logout"), follow=True)
    assert signed_out.redirect_chain[-1][0] == reverse("account_login")
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_says_so(client, recruiter):
    page = client.post(reverse("account_login"), {"login": "recruiter", "password": "nope"})

    assert "The username and/or password you specified are not correct." in page.content.decode()


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
    with django_assert_max_num_queries(13):  # the panels, and the open roles to open
        recruiter_home = client.get(reverse("home")).content.decode()

    assert Approval.objects.get().status == "pending"
    assert f'href="{reverse("offers:detail", args=[offer.pk])}">Offer v1 to Ada Lovelace' in (
        approver_home
    )
    assert "Nothing waits for your approval." in recruiter_home  # a drafter never approves
    assert "Offer v1 to Ada Lovelace" in recruiter_home  # expiring this week
    assert f'href="{reverse("web:application", args=[stale.pk])}">Grace Hopper' in (recruiter_home)


def test_an_administrators_home_reads_only_what_it_shows(client, recruiter):
    """An administrator sees every application but owns no candidate and manages no role: once
    the home page read every stale application (and every application id for the offers) to
    show none; at 100,000 candidates it took 205 ms against a recruiter's 56 ms."""
    admin = get_user_model().objects.create_superuser("boss", "boss@closer.test", "pw-boss-1")
    for _ in range(3):
        stale = ApplicationFactory(candidate=CandidateFactory(owner=recruiter))
        Application.objects.filter(pk=stale.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=60)
        )
    client.force_login(admin)

    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("home"))

    assert page.status_code == 200
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    # No scan of the stale applications, oldest first, for a user who has none.
    assert 'ORDER BY "pipeline_application"."stage_entered_at"' not in sql
    assert 'IN (SELECT U0."id" FROM "pipeline_application"' not in sql  # no filter by all apps


def test_home_links_the_pipelines_a_user_works_on(client, recruiter, hiring_manager):
    mine = RoleFactory(title="Pre-training Lead", hiring_manager=hiring_manager)
    other = RoleFactory(title="Inference Engineer")

    client.force_login(hiring_manager)
    managers_home = client.get(reverse("home")).content.decode()
    client.force_login(recruiter)
    recruiters_home = client.get(reverse("home")).content.decode()

    assert reverse("web:board", args=[mine.pk]) in managers_home
    assert reverse("web:board", args=[other.pk]) not in managers_home
    assert reverse("web:board", args=[mine.pk]) in recruiters_home
    assert reverse("web:board", args=[other.pk]) in recruiters_home
