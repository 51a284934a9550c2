"""An offer's page in the admin: the totals year by year in both currencies and the band,
read-only once submitted, never deleted; its history, old versions read-only."""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from offers.models import ApprovalRule, Offer
from offers.services import submit_for_approval
from offers.terms import EquityTerms
from tests.factories import ApprovalRuleFactory
from tests.offers.admin.helpers import (
    ADD,
    M,
    change_url,
    history_url,
    offer_for,
    reload,
    run_action,
    saved_rows,
)

pytestmark = pytest.mark.django_db


# --- The offer's page ----------------------------------------------------------------------


def test_the_page_shows_the_totals_year_by_year_in_both_currencies_and_the_band(
    recruiter_client, recruiter, role
):
    offer = offer_for(
        role,
        recruiter,
        currency="EUR",
        base_salary=Decimal(847_000),
        equity=[EquityTerms(Decimal(3_388_000), [Decimal(p) for p in (40, 30, 20, 10)])],
    )

    page = html.unescape(recruiter_client.get(change_url(offer)).content.decode())

    # Equity 40/30/20/10 of €3,388,000: €1,355,200, €1,016,400, €677,600, €338,800.
    for text in (
        "Year 1",
        "Year 4",
        "Base salary",
        "Equity",
        "1,355,200.00",
        "338,800.00",
        # Year one €847k + €1,355,200 = €2,202,200 = $2,600,000 at 0.847 EUR per USD.
        "2,202,200.00 EUR",
        "2,600,000.00 USD",
        # The whole horizon: 4 × €847k + €3,388,000 = €6,776,000 = $8M, $2M a year.
        "6,776,000.00 EUR",
        "8,000,000.00 USD",
        "2,000,000.00 USD",
        "Horizon total (4 years)",
        f"USD at the latest rate, of 1 Nov 2025 — {(date.today() - date(2025, 11, 1)).days} days "
        "old, older than 7 days: 1.180638 USD per EUR.",
        # $2M a year against the band's $1.4M target and $2M max.
        "Total a year (one-time pay over 4 years): within band (1.43× target)",
        "recurring pay: within band (1.43× target)",
        "above band",  # the base: $1M against a $450k max
    ):
        assert text in page


def test_a_submitted_offer_is_read_only_and_shows_its_approvals(recruiter_client, recruiter, role):
    ApprovalRuleFactory(
        name="Big signing bonus",
        condition=ApprovalRule.Condition.SIGNING_AT_OR_ABOVE,
        amount=M,
    )
    offer = offer_for(role, recruiter, signing_payments=[(0, 2 * M)])
    submit_for_approval(offer, by=recruiter)
    before = saved_rows()

    page = recruiter_client.get(change_url(offer))
    posted = recruiter_client.post(change_url(offer), {"base_salary": "1"})

    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="_save"' not in text
    assert 'name="base_salary"' not in text
    assert "it is not edited" in text
    assert "Compensation approvers" in text
    assert "signing bonus 2,000,000.00 USD" in text
    assert posted.status_code == 403
    assert saved_rows() == before


def test_an_offer_cannot_be_deleted_in_the_admin(client, superuser, recruiter, role):
    offer = offer_for(role, recruiter)
    client.force_login(superuser)

    response = client.get(reverse("admin:offers_offer_delete", args=[offer.pk]))

    assert response.status_code == 403
    assert Offer.objects.filter(pk=offer.pk).exists()


# --- History -------------------------------------------------------------------------------


def test_the_history_lists_every_change_with_who_and_when(
    recruiter_client, recruiter, add_form, admin_form_data
):
    recruiter_client.post(ADD, add_form())
    offer = Offer.objects.get()
    data = admin_form_data(recruiter_client.get(change_url(offer)))
    data["base_salary"] = "450000"
    recruiter_client.post(change_url(offer), data)
    run_action(recruiter_client, "submit_action", [offer])

    response = recruiter_client.get(history_url(offer))

    page = response.content.decode()
    assert response.status_code == 200
    records = response.context["page_obj"].object_list
    assert len(records) == 3  # drafted, edited, submitted
    assert {r.history_user for r in records} == {recruiter}
    assert "400000.00" in page and "450000.00" in page  # the base's change
    assert "Signing bonus paid in month 12: 1,000,000.00" in page
    assert "Equity grant" in page and "year 1 vests 40%" in page
    assert "Housing in year 1: 60,000.00" in page
    assert "Revert" not in page


def test_an_old_version_is_shown_read_only_and_never_restored(recruiter_client, recruiter, role):
    offer = offer_for(role, recruiter)
    record = offer.history.get()
    url = reverse("admin:offers_offer_simple_history", args=[offer.pk, record.history_id])

    shown = recruiter_client.get(url)
    posted = recruiter_client.post(url, {"base_salary": "1"})

    assert shown.status_code == 200
    assert 'name="base_salary"' not in shown.content.decode()
    assert posted.status_code == 403
    assert reload(offer).base_salary == 400_000
