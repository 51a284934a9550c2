"""Who sees amounts in the offer admin: without view_compensation no amount anywhere and
offers and bands read-only; with it, the amounts."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from offers.models import ApprovalRule, CompensationBand, Offer
from offers.services import submit_for_approval, update_draft
from offers.terms import EquityTerms, OfferTerms
from tests.factories import ApprovalRuleFactory, UserFactory
from tests.offers.admin.helpers import ADD, OFFERS, M, change_url, history_url, offer_for

pytestmark = pytest.mark.django_db


# --- Who sees amounts ----------------------------------------------------------------------


VIEW_PERMISSIONS = [
    "view_offer",
    "view_offerpayment",
    "view_equitygrant",
    "view_vestingyear",
    "view_otheramount",
    "view_approval",
    "view_approvalrule",
    "view_compensationband",
    "view_exchangerate",
]


def staff_who_may_view(*, compensation: bool):
    """A colleague who may view offers and the applications they are on (the admin shows
    nobody an offer the workspace would not)."""
    user = UserFactory.create(username=f"viewer_{compensation}".lower())
    codenames = VIEW_PERMISSIONS + (["view_compensation"] if compensation else [])
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="offers", codename__in=codenames),
        Permission.objects.get(codename="view_candidate"),
        Permission.objects.get(codename="view_application"),
    )
    return user


@pytest.fixture
def two_million(recruiter, role):
    """A $2M base (raised from $1.5M, so the history shows the change) and a $2M signing
    bonus, waiting for approval (the reason names the amount); the role's band tops out at
    $2M."""
    ApprovalRuleFactory.create(
        name="Signing bonus rule",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=2 * M,
    )
    offer = offer_for(
        role,
        recruiter,
        base_salary=Decimal(1_500_000),
        signing_payments=[(0, 2 * M)],
        equity=[EquityTerms(2 * M, [Decimal(50)] * 2)],
        other=[("Relocation of the lab", 2 * M, 1)],
    )
    offer = update_draft(
        offer, dataclasses.replace(OfferTerms.of(offer), base_salary=2 * M), by=recruiter
    )
    return submit_for_approval(offer, by=recruiter)


def pages_showing_amounts(offer: Offer) -> list[str]:
    band = CompensationBand.objects.filter(total_max=2 * M).first()
    assert band is not None
    record = offer.history.first()
    return [
        OFFERS,
        change_url(offer),
        history_url(offer),
        reverse("admin:offers_offer_simple_history", args=[offer.pk, record.history_id]),
        reverse("admin:offers_compensationband_changelist"),
        reverse("admin:offers_compensationband_change", args=[band.pk]),
        reverse("admin:offers_approval_changelist"),
        reverse("admin:offers_approvalrule_changelist"),
        reverse("admin:offers_approvalrule_change", args=[ApprovalRule.objects.get().pk]),
    ]


# The $2M amounts, the base before ($1.5M), and the offer's year one ($7M) and annual average
# ($5M), as the pages write them.
AMOUNTS = (
    "2,000,000",
    "2000000",
    "1,500,000",
    "1500000",
    "7,000,000",
    "7000000",
    "5,000,000",
    "5000000",
)


def test_without_view_compensation_no_amount_is_shown_anywhere(client, two_million):
    client.force_login(staff_who_may_view(compensation=False))

    for url in pages_showing_amounts(two_million):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert not [amount for amount in AMOUNTS if amount in page], url
    offer_page = client.get(change_url(two_million)).content.decode()
    assert "hidden" in offer_page
    assert "above band" in offer_page  # where it sits, not by how much
    assert "× target" not in offer_page
    history = client.get(history_url(two_million)).content.decode()
    assert re.search(r"Annual base salary:</strong>\s*hidden", history)


def test_with_view_compensation_the_amounts_are_shown(client, two_million):
    client.force_login(staff_who_may_view(compensation=True))

    for url in pages_showing_amounts(two_million):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        assert [amount for amount in AMOUNTS if amount in page], url
    history = client.get(history_url(two_million)).content.decode()
    assert "1500000.00" in history and "2000000.00" in history


def test_without_view_compensation_offers_and_bands_are_read_only(client, two_million, role):
    user = staff_who_may_view(compensation=False)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="offers",
            codename__in=["add_offer", "change_offer", "add_compensationband"],
        )
    )
    client.force_login(user)

    assert client.get(ADD).status_code == 403
    assert client.get(reverse("admin:offers_compensationband_add")).status_code == 403
    assert client.get(OFFERS).context["action_form"] is None


def test_a_rule_named_for_its_threshold_hides_it_from_whoever_may_not_see_pay(client):
    rule = ApprovalRuleFactory.create(
        name="Signing bonus of $10M or more",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=10 * M,
    )
    other = ApprovalRuleFactory.create(name="Equity of $20M or more", amount=20 * M)
    client.force_login(staff_who_may_view(compensation=False))

    listed = client.get(reverse("admin:offers_approvalrule_changelist")).content.decode()
    searched = client.get(reverse("admin:offers_approvalrule_changelist"), {"q": "10M"})
    page = client.get(reverse("admin:offers_approvalrule_change", args=[rule.pk]))
    history = client.get(reverse("admin:offers_approvalrule_history", args=[rule.pk]))

    for shown in (listed, page.content.decode(), history.content.decode()):
        assert "Signing bonus of [amount hidden] or more" in shown
        assert "$10M" not in shown
    assert page.status_code == 200
    # No search box, and a search tells nothing: "10M" finds every rule.
    assert 'id="searchbar"' not in listed
    assert {r.pk for r in searched.context["cl"].result_list} == {rule.pk, other.pk}
    rule.refresh_from_db()
    assert rule.name == "Signing bonus of $10M or more"  # hidden on the page, not changed


def test_a_rule_named_for_its_threshold_reads_in_full_to_whoever_may_see_pay(client):
    rule = ApprovalRuleFactory.create(name="Signing bonus of $10M or more", amount=10 * M)
    client.force_login(staff_who_may_view(compensation=True))

    listed = client.get(reverse("admin:offers_approvalrule_changelist"), {"q": "10M"})
    page = client.get(reverse("admin:offers_approvalrule_change", args=[rule.pk]))

    assert [r.pk for r in listed.context["cl"].result_list] == [rule.pk]
    assert "Signing bonus of $10M or more" in page.content.decode()
