"""Drafting an offer on the form: every component and the live preview on the page,
exactly the rows typed saved; one open offer an application; retention offers for
employees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from candidates.models import Candidate
from offers.models import EquityGrant, Offer, OfferPayment
from tests.factories import ApplicationFactory, CandidateFactory, OfferFactory
from tests.web.offer_form.helpers import error_on, grant, offer_data, payment, year_values

pytestmark = pytest.mark.django_db


# --- Drafting ------------------------------------------------------------------------------------


def test_the_form_has_every_component_and_the_live_preview(
    recruiter_client, application, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        page = recruiter_client.get(reverse("offers:draft", args=[application.pk]))

    html = page.content.decode()
    for name in (
        "kind",
        "currency",
        "start_date",
        "expires_at",
        "base_salary",
        "target_bonus_percent",
        "relocation",
        "signing_clawback_months",
        "signing_clawback",
        "retention_clawback_months",
        "retention_clawback",
        "payments-0-kind",
        "payments-0-month",
        "payments-0-amount",
        "equity-0-kind",
        "equity-0-value",
        "equity-0-cliff_months",
        "equity-0-frequency",
        "equity-0-years-0-percentage",
        "equity-0-years-3-percentage",
        "other-0-name",
        "other-0-amount",
        "other-0-year",
    ):
        assert f'name="{name}"' in html, name
    assert f'hx-post="{reverse("offers:preview")}"' in html
    assert 'hx-trigger="input changed delay:400ms' in html
    # A new grant vests 25% a year over four years, a row per year.
    assert year_values(html, "equity-0") == ["25"] * 4
    assert "Year 4" in html and "Year 5" not in html
    assert "Add a year" in html
    assert '<option value="USD" selected>' in html  # the band's currency


def test_drafting_an_offer_with_an_instalment_and_a_grant_saves_exactly_those_rows(
    recruiter_client, recruiter, application, django_assert_max_num_queries
):
    data = offer_data(
        payments=[payment(month=0, amount=100_000)],
        equity=[grant(value=1_000_000, vesting=[40, 30, 20, 10], cliff=12, frequency="monthly")],
        signing_clawback_months=12,
    )

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data, follow=False)

    offer = Offer.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("offers:detail", args=[offer.pk])
    assert (offer.version, offer.status, offer.kind) == (1, "draft", "new_hire")
    assert offer.drafted_by == recruiter
    assert (offer.base_salary, offer.signing_clawback_months) == (Decimal(400_000), 12)
    assert [(p.kind, p.month, p.amount) for p in OfferPayment.objects.all()] == [
        ("signing", 0, Decimal(100_000))
    ]
    grant_row = EquityGrant.objects.get()
    assert (grant_row.offer, grant_row.value, grant_row.cliff_months, grant_row.frequency) == (
        offer,
        Decimal(1_000_000),
        12,
        "monthly",
    )
    assert [y.percentage for y in grant_row.vesting_years.all()] == [40, 30, 20, 10]
    assert not offer.other_amounts.exists()
    assert [str(m) for m in get_messages(page.wsgi_request)] == ["Offer v1 drafted."]


def test_a_new_offer_to_an_application_with_an_open_one_is_refused_at_the_top(
    recruiter_client, recruiter, application
):
    OfferFactory(application=application, drafted_by=recruiter)

    # The page leads to the open offer instead of a form that cannot be saved...
    page = recruiter_client.get(reverse("offers:draft", args=[application.pk]))
    assert page["Location"] == reverse("offers:edit", args=[Offer.objects.get().pk])
    # ...and a form posted anyway says why, at the top, with nothing saved.
    page = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]), offer_data(base_salary=999_000)
    )

    assert page.status_code == 200
    assert "This application already has an open offer; revise it instead." in (
        page.context["package"].form.non_field_errors()
    )
    assert 'value="999000"' in page.content.decode()
    assert Offer.objects.count() == 1


def test_a_retention_offer_to_someone_not_an_employee_is_refused_on_the_kind(
    recruiter_client, application
):
    page = recruiter_client.post(
        reverse("offers:draft", args=[application.pk]), offer_data(kind="retention")
    )

    assert (
        error_on(page.content.decode(), "id_kind")
        == "A retention offer is for one of our employees."
    )
    assert not Offer.objects.exists()


def test_an_employee_is_offered_a_retention_offer_by_default(recruiter_client, role, recruiter):
    employee = CandidateFactory(owner=recruiter, relationship=Candidate.Relationship.EMPLOYEE)
    application = ApplicationFactory(candidate=employee, role=role)

    html = recruiter_client.get(reverse("offers:draft", args=[application.pk])).content.decode()

    assert '<option value="retention" selected>' in html


def test_a_repay_it_all_clawback_from_the_start_is_saved_and_its_schedule_shown(
    recruiter_client, application
):
    data = offer_data(
        payments=[payment(month=0, amount=600_000), payment(month=6, amount=600_000)],
        signing_clawback_months=12,
        signing_clawback="all_from_start",
    )

    recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    offer = Offer.objects.get()
    assert (offer.signing_clawback_months, offer.signing_clawback) == (12, "all_from_start")
    page = recruiter_client.get(reverse("offers:detail", args=[offer.pk])).content.decode()
    assert "Repayable in full if you leave within 12 months of the start date." in page
    # Months 0–5: the first $600k, paid; months 6–11: both; from 12, nothing.
    assert '<tr><td>0–5</td><td class="text-end">600,000.00</td></tr>' in page
    assert '<tr><td>6–11</td><td class="text-end">1,200,000.00</td></tr>' in page
    assert "From 12 months after the start on, nothing." in page


def test_an_unknown_clawback_term_is_refused_on_its_field(recruiter_client, application):
    data = offer_data(
        payments=[payment(month=0, amount=600_000)],
        signing_clawback_months=12,
        signing_clawback="half_of_it",
    )

    page = recruiter_client.post(reverse("offers:draft", args=[application.pk]), data)

    assert page.status_code == 200
    error = error_on(page.content.decode(), "id_signing_clawback")
    assert "half_of_it is not one of the available choices" in error
    assert not Offer.objects.exists()
