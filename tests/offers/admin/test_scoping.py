"""The admin shows a user the offers and competing offers the workspace shows them, and no
others: an approver reaches an offer waiting for their group, not the rest; only an
administrator manages people."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from candidates.models import Company
from offers.competition import CompetingTerms, record_competing_offer
from offers.permissions import APPROVER_GROUP
from offers.services import submit_for_approval
from tests.factories import (
    ApprovalRuleFactory,
    CompanyFactory,
    OfferFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_approver(approver):
    """The approver, with the admin open to them and the right to view offers there."""
    approver.is_staff = True
    approver.save(update_fields=["is_staff"])
    approver.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_offer", "view_competingoffer"])
    )
    return approver


@pytest.fixture
def two_offers(recruiter):
    """One offer waiting for the approvers, one that asks nothing of them."""
    ApprovalRuleFactory(
        name="Large signing",
        condition="signing_at_or_above",
        amount=Decimal(1),
        group=Group.objects.get(name=APPROVER_GROUP),
    )
    asked = OfferFactory(drafted_by=recruiter, signing_payments=[(0, Decimal(100_000))])
    submit_for_approval(asked, by=recruiter)
    other = OfferFactory(drafted_by=recruiter)
    return asked, other


def test_an_approver_reaches_in_the_admin_only_the_offers_asked_of_them(
    client, staff_approver, two_offers
):
    asked, other = two_offers
    client.force_login(staff_approver)

    listed = client.get(reverse("admin:offers_offer_changelist"))
    opened = client.get(reverse("admin:offers_offer_change", args=[asked.pk]))
    hidden = client.get(reverse("admin:offers_offer_change", args=[other.pk]))

    assert [o.pk for o in listed.context["cl"].result_list] == [asked.pk]
    assert opened.status_code == 200
    assert hidden.status_code == 302  # "doesn't exist": back to the admin's index


def test_an_approver_reaches_only_the_competing_offers_of_those_applications(
    client, staff_approver, two_offers, recruiter
):
    asked, other = two_offers

    def compete(application):
        terms = CompetingTerms(
            competitor=CompanyFactory(kind=Company.Kind.COMPETITOR),
            application=application,
            deadline=timezone.now() + timedelta(days=5),
            currency="USD",
            base_salary=Decimal(500_000),
        )
        return record_competing_offer(application.candidate, terms, by=recruiter)

    seen, unseen = compete(asked.application), compete(other.application)
    client.force_login(staff_approver)

    listed = client.get(reverse("admin:offers_competingoffer_changelist"))
    hidden = client.get(reverse("admin:offers_competingoffer_change", args=[unseen.pk]))

    assert [c.pk for c in listed.context["cl"].result_list] == [seen.pk]
    assert hidden.status_code == 302


def test_an_approver_opens_the_history_only_of_the_offers_asked_of_them(
    client, staff_approver, two_offers
):
    asked, other = two_offers
    client.force_login(staff_approver)

    def history(offer, *version):
        name = "simple_history" if version else "history"
        return client.get(reverse(f"admin:offers_offer_{name}", args=[offer.pk, *version]))

    assert history(asked).status_code == 200
    assert history(asked, asked.history.first().history_id).status_code == 200
    assert history(other).status_code == 404
    assert history(other, other.history.first().history_id).status_code == 404


def test_an_approver_opens_the_history_only_of_the_competing_offers_they_see(
    client, staff_approver, two_offers, recruiter
):
    asked, other = two_offers
    terms = CompetingTerms(
        competitor=CompanyFactory(kind=Company.Kind.COMPETITOR),
        application=other.application,
        deadline=timezone.now() + timedelta(days=5),
        currency="USD",
        base_salary=Decimal(500_000),
    )
    unseen = record_competing_offer(other.application.candidate, terms, by=recruiter)
    client.force_login(staff_approver)

    page = client.get(reverse("admin:offers_competingoffer_history", args=[unseen.pk]))
    version = client.get(
        reverse(
            "admin:offers_competingoffer_simple_history",
            args=[unseen.pk, unseen.history.first().history_id],
        )
    )

    assert page.status_code == 404
    assert version.status_code == 404


def test_a_recruiter_who_sees_every_application_reaches_every_offer(recruiter_client, two_offers):
    listed = recruiter_client.get(reverse("admin:offers_offer_changelist"))

    assert len(listed.context["cl"].result_list) == 2


def test_only_an_administrator_manages_people(recruiter_client, client, superuser):
    assert recruiter_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert "auth/user" not in recruiter_client.get(reverse("admin:index")).content.decode()
    client.force_login(superuser)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200


def test_a_recruiter_still_picks_an_owner_from_the_colleagues(recruiter_client, recruiter):
    response = recruiter_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "candidates",
            "model_name": "candidate",
            "field_name": "owner",
            "term": "rit",
        },
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [str(recruiter)]
